package org.panagrad.optim;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.Updates;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.fused.Fusible;

/**
 * PyTorch's SGD step on one parameter, in one pass: inputs (param, grad, hyper) or, with momentum,
 * (param, grad, hyper, velocity); hyper[0] is the learning rate of the current step.
 */
record SgdUpdate(double momentum, boolean nesterov, double weightDecay) implements UpdateOp, Fusible {
    Node apply(Node param, Node grad, Node hyper, Node velocity) {
        Node[] ins = momentum == 0 ? new Node[] {param, grad, hyper} : new Node[] {param, grad, hyper, velocity};
        return param.graph().node(this, Shape.scalar(), ins);
    }

    /**
     * Takes in the GEMM producing a weight gradient that nothing else reads; see {@link GemmSgdUpdate}. Not when
     * that GEMM reads an activation whose gradient is written over it: the update must wait for that gradient
     * (it reads the old weights), which must wait for every reader of the activation. Storing the weight
     * gradient breaks the cycle, and costs less than the activation it lets go.
     */
    @Override
    public Node fuse(Node y, Fusible.Context context) {
        Node grad = y.input(1);
        if (!(grad.op() instanceof MatMul) || grad.shape().rank() != 2 || !context.readOnlyHere(1)
                || !GemmSgdUpdate.applies(this)) {
            return y; // a batched product's gradient is stored first
        }
        for (int k = 0; k < 2; k++) {
            Node operand = grad.input(k);
            if (context.overwrittenInPlace(operand) && grad.shape().numel() < operand.shape().numel()) return y;
        }
        Node[] ins = momentum == 0 ? new Node[] {grad.input(0), grad.input(1), y.input(0), y.input(2)}
                : new Node[] {grad.input(0), grad.input(1), y.input(0), y.input(2), y.input(3)};
        return y.graph().node(new GemmSgdUpdate((MatMul) grad.op(), this), y.shape(), ins);
    }

    @Override
    public String name() {
        return momentum == 0 ? "sgd_update" : nesterov ? "nesterov_update" : "momentum_update";
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        double[] p = in[0], g = in[1];
        double lr = in[2][0];
        double squares = 0;
        for (int i = 0; i < p.length; i++) {
            squares += g[i] * g[i];
            double d = g[i] + weightDecay * p[i];
            if (momentum != 0) {
                double v = momentum * in[3][i] + d;
                in[3][i] = v;
                d = nesterov ? d + momentum * v : v;
            }
            p[i] -= lr * d;
        }
        out[0] = Math.sqrt(squares);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node param = y.input(0), grad = y.input(1), hyper = y.input(2);
        float[] pa = b.array(param), ga = b.array(grad), ha = b.array(hyper), out = b.array(y);
        int go = b.offset(grad), n = param.shape().numel(), o = b.offset(y);
        float wd = (float) weightDecay, mu = (float) momentum;
        if (momentum == 0) {
            return () -> out[o] = Updates.norm(Updates.sgd(n, ha[0], wd, pa, 0, ga, go), n, ga, go);
        }
        float[] va = b.array(y.input(3));
        boolean nest = nesterov;
        return () -> out[o] = Updates.norm(Updates.momentum(n, ha[0], mu, nest, wd, pa, 0, ga, go, va, 0), n, ga, go);
    }
}
