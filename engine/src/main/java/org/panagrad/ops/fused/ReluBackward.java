package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Elementwise;

/** g where y > 0, else 0: relu's backward as one masked pass instead of a mask and a multiply. */
public record ReluBackward() implements FusedOp {
    public static Node of(Node g, Node y) {
        return g.graph().node(new ReluBackward(), g.shape(), g, y);
    }

    @Override public String name() { return "relu_backward"; }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        for (int i = 0; i < out.length; i++) out[i] = in[1][i] > 0 ? in[0][i] : 0;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node g = y.input(0), act = y.input(1);
        float[] ga = b.array(g), ya = b.array(act), out = b.array(y);
        int go = b.offset(g), yo = b.offset(act), oo = b.offset(y), n = y.shape().numel();
        return () -> Elementwise.reluBackward(n, ga, go, ya, yo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
}
