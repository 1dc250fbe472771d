package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;

/** mean((prediction - target)^2) over every element, as PyTorch's MSELoss with reduction "mean". */
public record MeanSquaredError() implements Op, KnownHessianLoss {
    public static Node of(Node prediction, Node target) {
        if (!prediction.shape().equals(target.shape())) {
            throw ShapeException.of("mse_loss", prediction, target, "shapes must be equal");
        }
        return prediction.graph().node(new MeanSquaredError(), Shape.scalar(), prediction, target);
    }

    private static double factor(Node y) {
        return 2.0 / y.input(0).shape().numel();
    }

    @Override public String name() { return "mse_loss"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        Node gp = Mul.of(g, Scale.of(Sub.of(y.input(0), y.input(1)), factor(y)));
        return new Node[] {gp, Neg.of(gp)};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node dt = Tangents.sub(t[0], t[1]);
        return Scale.of(Sum.all(Mul.of(Sub.of(y.input(0), y.input(1)), dt)), factor(y));
    }

    @Override
    public Node hessianTimes(Node loss, Node u) {
        return Scale.of(u, factor(loss));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        double s = 0;
        for (int i = 0; i < in[0].length; i++) {
            double d = in[0][i] - in[1][i];
            s += d * d;
        }
        out[0] = s / in[0].length;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node p = y.input(0), t = y.input(1);
        float[] pa = b.array(p), ta = b.array(t), out = b.array(y);
        int po = b.offset(p), to = b.offset(t), oo = b.offset(y), n = p.shape().numel();
        return () -> {
            float s = 0f;
            for (int i = 0; i < n; i++) {
                float d = pa[po + i] - ta[to + i];
                s += d * d;
            }
            out[oo] = s / n;
        };
    }

    @Override public long flops(Node y) { return 3L * y.input(0).shape().numel(); }
}
