package org.panagrad.ops.fused;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.BinaryOp;
import org.panagrad.kernels.ElementwiseChain;
import org.panagrad.ops.BroadcastBinary;
import org.panagrad.ops.Neg;
import org.panagrad.ops.Scale;

import java.util.Arrays;

/**
 * A chain of elementwise ops (broadcasting binary ops, {@link Scale}, {@link Neg}) as one pass: what derivative rules
 * leave between two GEMMs (layer norm's backward and its second order, GELU's, tangent sums) runs as one walk whose
 * intermediates never reach memory ({@link ElementwiseChain}). Every intermediate has the result's shape; the inputs
 * (leaves) broadcast to it. Step k applies {@code steps[k]} to operands a[k] and b[k], each a leaf ({@code >= 0}) or
 * an earlier step ({@code -1 - step}); a unary step's b is {@link ElementwiseChain#CONSTANT}: a scale multiplies by
 * its constant and a negation by -1, the same float result as the op's own kernel. The last step is the value.
 */
public final class FusedElementwise implements FusedOp {
    private final Op[] steps;
    private final int[] a, b;

    public FusedElementwise(Op[] steps, int[] a, int[] b) {
        for (Op op : steps) {
            if (!fusible(op)) throw new IllegalArgumentException(op.name() + " is not an elementwise op a chain can run");
        }
        this.steps = steps.clone();
        this.a = a.clone();
        this.b = b.clone();
    }

    /** Whether a chain can hold the op: a broadcasting binary op, a scale or a negation. */
    public static boolean fusible(Op op) {
        return op instanceof BroadcastBinary || op instanceof Scale || op instanceof Neg;
    }

    public int size() {
        return steps.length;
    }

    public Op step(int k) {
        return steps[k];
    }

    public int a(int k) {
        return a[k];
    }

    public int b(int k) {
        return b[k];
    }

    @Override public String name() { return "elementwise"; }

    @Override
    public long flops(Node y) {
        return (long) steps.length * y.shape().numel();
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Shape s = y.shape();
        int n = out.length;
        int[][] index = new int[in.length][];
        for (int i = 0; i < in.length; i++) index[i] = BroadcastBinary.index(y.input(i).shape(), s);
        double[][] values = new double[steps.length][];
        for (int k = 0; k < steps.length; k++) {
            double[] v = k == steps.length - 1 ? out : new double[n];
            for (int e = 0; e < n; e++) {
                double x = operand(a[k], e, in, index, values);
                Op op = steps[k];
                if (op instanceof Scale) v[e] = ((Scale) op).c() * x;
                else if (op instanceof Neg) v[e] = -x;
                else v[e] = ((BroadcastBinary) op).apply(x, operand(b[k], e, in, index, values));
            }
            values[k] = v;
        }
    }

    private static double operand(int ref, int e, double[][] in, int[][] index, double[][] values) {
        return ref >= 0 ? in[ref][index[ref][e]] : values[-1 - ref][e];
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        int leaves = y.arity();
        Shape[] shapes = new Shape[leaves];
        float[][] arrays = new float[leaves][];
        int[] offsets = new int[leaves];
        for (int i = 0; i < leaves; i++) {
            shapes[i] = y.input(i).shape();
            arrays[i] = buf.array(y.input(i));
            offsets[i] = buf.offset(y.input(i));
        }
        BinaryOp[] ops = new BinaryOp[steps.length];
        float[] constants = new float[steps.length];
        for (int k = 0; k < steps.length; k++) {
            Op op = steps[k];
            ops[k] = op instanceof BroadcastBinary ? ((BroadcastBinary) op).kernel() : BinaryOp.MUL;
            if (op instanceof Scale) constants[k] = (float) ((Scale) op).c();
            else if (op instanceof Neg) constants[k] = -1f;
        }
        ElementwiseChain chain = new ElementwiseChain(ops, a, b, constants, BroadcastBinary.layout(y.shape(), shapes));
        float[] out = buf.array(y);
        int oo = buf.offset(y);
        return () -> chain.run(arrays, offsets, out, oo);
    }

    /** A leaf of the result's shape: each piece reads all of its elements before the last step writes them. */
    @Override
    public int inPlaceInput(Node y) {
        for (int i = 0; i < y.arity(); i++) if (y.input(i).shape().equals(y.shape())) return i;
        return -1;
    }

    /** "mul(add(#0, #1), scale(#2))": the chain over its leaves, for graphs and errors. */
    @Override
    public String toString() {
        return "FusedElementwise[" + describe(steps.length - 1) + "]";
    }

    private String describe(int k) {
        Op op = steps[k];
        String x = ref(a[k]);
        if (op instanceof Scale) return "scale(" + x + ", " + ((Scale) op).c() + ")";
        if (op instanceof Neg) return "neg(" + x + ")";
        return op.name() + "(" + x + ", " + ref(b[k]) + ")";
    }

    private String ref(int r) {
        return r >= 0 ? "#" + r : describe(-1 - r);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusedElementwise f && Arrays.equals(steps, f.steps) && Arrays.equals(a, f.a) && Arrays.equals(b, f.b);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(steps) + Arrays.hashCode(a)) + Arrays.hashCode(b);
    }
}
