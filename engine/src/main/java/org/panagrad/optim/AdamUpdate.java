package org.panagrad.optim;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.AdamHyperparameters;
import org.panagrad.kernels.Updates;

/**
 * PyTorch's Adam (or AdamW, with decoupled weight decay) step on one parameter in one pass: inputs
 * (param, grad, hyper, m, v) with hyper = [learning rate, 1 - beta1^t, 1 - beta2^t] for the current step t.
 */
record AdamUpdate(double beta1, double beta2, double eps, double weightDecay, boolean decoupled) implements UpdateOp {
    Node apply(Node param, Node grad, Node hyper, Node m, Node v) {
        return param.graph().node(this, Shape.scalar(), param, grad, hyper, m, v);
    }

    @Override
    public String name() {
        return decoupled ? "adamw_update" : "adam_update";
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        double[] p = in[0], g = in[1], m = in[3], v = in[4];
        double lr = in[2][0], bc1 = in[2][1], bc2 = in[2][2];
        double squares = 0;
        for (int i = 0; i < p.length; i++) {
            double w = p[i], d = g[i];
            squares += d * d;
            if (decoupled) w -= lr * weightDecay * w; else d += weightDecay * w;
            m[i] = beta1 * m[i] + (1 - beta1) * d;
            v[i] = beta2 * v[i] + (1 - beta2) * d * d;
            p[i] = w - lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
        }
        out[0] = Math.sqrt(squares);
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node param = y.input(0), grad = y.input(1);
        float[] pa = b.array(param), ga = b.array(grad), out = b.array(y);
        float[] ma = b.array(y.input(3)), va = b.array(y.input(4));
        int go = b.offset(grad), n = param.shape().numel(), o = b.offset(y);
        // The schedule array is the hyper state variable, which the optimizer rewrites before each step.
        AdamHyperparameters h = new AdamHyperparameters((float) beta1, (float) beta2, (float) eps, (float) weightDecay,
                decoupled, b.array(y.input(2)));
        return () -> out[o] = Updates.norm(Updates.adam(n, h, pa, 0, ga, go, ma, 0, va, 0), n, ga, go);
    }

    @Override
    public long flops(Node y) {
        return 12L * y.input(0).shape().numel();
    }
}
