package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Normalization;

/**
 * Batch normalisation's running statistics update, as PyTorch's with a momentum: a side effect on the state
 * (running_mean [C], running_var [C], num_batches_tracked []) from a batch's {@link BatchMoments}. Only a
 * training step runs it: nn modules hand it to {@code Forward.addStateUpdate}, which evaluation passes refuse,
 * and programs that do not ask for it (gradients, HVPs) never schedule it.
 */
public record RunningStatistics(double momentum) implements Op {
    public static Node of(Node runningMean, Node runningVar, Node batchesTracked, Node moments, double momentum) {
        if (!(moments.op() instanceof BatchMoments)) {
            throw new IllegalArgumentException("running statistics: " + moments.describe() + " is not a batch_moments node");
        }
        Shape channels = Shape.of(moments.shape().dim(1));
        if (!runningMean.shape().equals(channels) || !runningVar.shape().equals(channels)) {
            throw new ShapeException("running statistics of " + moments.describe() + ": running mean "
                    + runningMean.describe() + " and variance " + runningVar.describe() + " must be " + channels);
        }
        if (batchesTracked.shape().numel() != 1) {
            throw new ShapeException("running statistics: the batch counter " + batchesTracked.describe() + " must hold one value");
        }
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException("batch norm momentum must be in [0, 1], got " + momentum);
        return moments.graph().node(new RunningStatistics(momentum), Shape.scalar(), runningMean, runningVar, batchesTracked, moments);
    }

    @Override public String name() { return "running_statistics"; }
    @Override public boolean hasSideEffects() { return true; }
    @Override public int[] overwrittenInputs() { return new int[] {0, 1, 2}; }

    @Override
    public Node[] vjp(Node y, Node g) {
        throw new UnsupportedOperationException("running_statistics updates state; it has no derivative");
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        throw new UnsupportedOperationException("running_statistics updates state; it has no derivative");
    }

    private long n(Node y) {
        return BatchMoments.perChannel(y.input(3).input(0).shape());
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        int channels = in[0].length;
        double n = n(y);
        for (int c = 0; c < channels; c++) {
            in[0][c] = (1 - momentum) * in[0][c] + momentum * in[3][c];
            in[1][c] = (1 - momentum) * in[1][c] + momentum * in[3][channels + c] * n / (n - 1);
        }
        in[2][0] += 1;
    }

    @Override
    public Instruction compile(Node y, Buffers b) {
        Node mean = y.input(0), var = y.input(1), count = y.input(2), moments = y.input(3);
        float[] ma = b.array(mean), va = b.array(var), ca = b.array(count), sa = b.array(moments);
        int mo = b.offset(mean), vo = b.offset(var), co = b.offset(count), so = b.offset(moments);
        int channels = mean.shape().numel();
        float m = (float) momentum;
        long n = n(y);
        return () -> {
            Normalization.updateRunning(channels, m, n, sa, so, ma, mo, va, vo);
            ca[co] += 1;
        };
    }

    @Override public long flops(Node y) { return 6L * y.input(0).shape().numel(); }
}
