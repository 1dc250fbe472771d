package org.panagrad.optim;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;
import org.panagrad.kernels.Updates;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.fused.ContainsProduct;

/**
 * An SGD update that takes in the GEMM producing its gradient, so that the weight gradient is never stored:
 * plain SGD is {@code W = (1 - lr wd) W - lr op(A) op(B)}, one GEMM with beta = 1 - lr wd writing W;
 * momentum (without Nesterov or weight decay) is {@code vel = mu vel + op(A) op(B)}, one GEMM with beta = mu
 * writing the velocity, then {@code W -= lr vel}. Inputs: (A, B, param, hyper[, velocity]). The gradient is
 * never stored, so the output measures what the pass after the GEMM reads (see {@link #measures}).
 */
record GemmSgdUpdate(MatMul product, SgdUpdate update) implements UpdateOp, ContainsProduct {
    /** Whether an SGD update of this kind can take in its gradient's GEMM. */
    static boolean applies(SgdUpdate u) {
        return u.momentum() == 0 || (!u.nesterov() && u.weightDecay() == 0);
    }

    /** The parameter and the velocity, not the product's operands in front of them. */
    @Override
    public int[] overwrittenInputs() {
        return update.momentum() == 0 ? new int[] {2} : new int[] {2, 4};
    }

    @Override
    public Measured measures() {
        return update.momentum() == 0 ? Measured.NOTHING : Measured.VELOCITY_NORM;
    }

    @Override
    public String name() {
        return product.name() + "+" + update.name();
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        double[] grad = new double[in[2].length];
        product.reference(y, in, grad); // y's first two inputs are the product's operands
        double[][] updateInputs = update.momentum() == 0 ? new double[][] {in[2], grad, in[3]}
                : new double[][] {in[2], grad, in[3], in[4]};
        update.reference(y, updateInputs, out);
        if (update.momentum() == 0) {
            out[0] = 0;
        } else {
            double squares = 0;
            for (double v : in[4]) squares += v * v;
            out[0] = Math.sqrt(squares);
        }
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node a = y.input(0), b = y.input(1), param = y.input(2);
        float[] ha = buf.array(y.input(3));
        int m = param.shape().dim(0), n = param.shape().cols(), k = product.inner(y);
        GemmOperand ao = new GemmOperand(buf.array(a), buf.offset(a), a.shape().dim(1), product.transA());
        GemmOperand bo = new GemmOperand(buf.array(b), buf.offset(b), b.shape().dim(1), product.transB());
        float[] pa = buf.array(param);
        GemmOperand w = GemmOperand.of(pa, 0, n);
        float wd = (float) update.weightDecay();
        float[] out = buf.array(y);
        int o = buf.offset(y);
        if (update.momentum() == 0) {
            return () -> {
                float lr = ha[0];
                Gemm.gemm(m, n, k, -lr, ao, bo, 1f - lr * wd, w);
                out[o] = 0; // the placeholder's memory held another value before this step
            };
        }
        float[] va = buf.array(y.input(4));
        GemmOperand velocity = GemmOperand.of(va, 0, n);
        float mu = (float) update.momentum();
        int size = m * n;
        return () -> {
            Gemm.gemm(m, n, k, 1f, ao, bo, mu, velocity);
            out[o] = Updates.norm(Updates.sgd(size, ha[0], 0f, pa, 0, va, 0), size, va, 0);
        };
    }

    @Override
    public long flops(Node y) {
        return 2L * y.input(2).shape().numel() * product.inner(y);
    }
}
