package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.CounterHash;
import org.panagrad.kernels.DropoutMask;

/**
 * Inverted dropout: each element of x is zeroed with probability p and the others are scaled by 1 / (1 - p).
 * The mask is a pure function of (seed, step, element): {@link CounterHash#streamKey}(seed, step) keys
 * {@link CounterHash#bits24} for each element's index. {@code step} is a one-element node read at every run (the
 * training step number, a state variable the trainer sets), so a gradient and an HVP at one step see one mask,
 * and a rerun gives the same. The op is linear in x with a diagonal 0-or-scale Jacobian: its VJP and JVP are the
 * same dropout of the cotangent or tangent, and its second derivative is zero.
 */
public record Dropout(double p, long seed) implements Op {
    public static Node of(Node x, Node step, double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout of " + x.describe() + ": the probability must be in [0, 1), got " + p);
        }
        if (step.shape().numel() != 1) {
            throw new ShapeException("dropout of " + x.describe() + ": the step " + step.describe() + " must hold one value");
        }
        return x.graph().node(new Dropout(p, seed), x.shape(), x, step);
    }

    /** The multiplier of kept elements, 1 / (1 - p) in float32 as the kernels apply it. */
    float scale() {
        return (float) (1 / (1 - p));
    }

    @Override public String name() { return "dropout"; }

    @Override
    public Node[] vjp(Node y, Node g) {
        return new Node[] {y.graph().node(this, g.shape(), g, y.input(1)), null};
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        return t[0] == null ? null : y.graph().node(this, t[0].shape(), t[0], y.input(1));
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        long key = CounterHash.streamKey(seed, Math.round(in[1][0]));
        int threshold = DropoutMask.threshold(p);
        double scale = scale();
        for (int i = 0; i < out.length; i++) out[i] = CounterHash.bits24(key, i) >= threshold ? in[0][i] * scale : 0;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node x = y.input(0), step = y.input(1);
        float[] xa = b.array(x), sa = b.array(step), out = b.array(y);
        int xo = b.offset(x), so = b.offset(step), oo = b.offset(y), n = y.shape().numel();
        int threshold = DropoutMask.threshold(p);
        float scale = scale();
        long s = seed;
        return () -> DropoutMask.apply(n, CounterHash.streamKey(s, Math.round(sa[so])), 0, threshold, scale, xa, xo, out, oo);
    }

    @Override public int inPlaceInput(Node y) { return 0; }
}
