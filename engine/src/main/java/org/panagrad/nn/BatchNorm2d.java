package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.ops.Ops;
import org.panagrad.ops.RunningStatistics;
import org.panagrad.runtime.ParameterStore;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * PyTorch's nn.BatchNorm2d (eps 1e-5, momentum 0.1, affine, tracking running statistics) on [N, C, H, W]. In a
 * training pass it normalises with the batch's statistics, differentiated through them, and hands the running
 * statistics' update to {@link Forward#addStateUpdate}, so that only the training step runs it; in an evaluation
 * pass it uses the running statistics. State dict: weight, bias, running_mean, running_var, num_batches_tracked
 * (int64 in the file; a float here, exact to 2^24 batches).
 */
public record BatchNorm2d(String name, Node weight, Node bias, Node runningMean, Node runningVar, Node batchesTracked,
                          double eps, double momentum) implements Module {
    public static final double EPS = 1e-5, MOMENTUM = 0.1;

    public static BatchNorm2d create(Graph g, String name, int channels) {
        Shape c = Shape.of(channels);
        return new BatchNorm2d(name, g.parameter(name + ".weight", channels), g.parameter(name + ".bias", channels),
                g.state(name + ".running_mean", c), g.state(name + ".running_var", c),
                g.state(name + ".num_batches_tracked", Shape.scalar()), EPS, MOMENTUM);
    }

    public int channels() {
        return weight.shape().dim(0);
    }

    @Override
    public Node forward(Node x, Forward f) {
        if (x.shape().rank() != 4) {
            throw new ShapeException(name + " " + describe() + ": expected 4D input [N, C, H, W], got " + x.describe());
        }
        if (x.shape().dim(1) != channels()) {
            throw new ShapeException(name + " " + describe() + ": expected " + channels() + " channels, got " + x.describe());
        }
        Node y;
        if (f.training()) {
            Node moments = Ops.batchMoments(x);
            y = Ops.batchNorm(x, Ops.select(moments, 0, 0), Ops.select(moments, 0, 1), weight, bias, eps);
            f.addStateUpdate(RunningStatistics.of(runningMean, runningVar, batchesTracked, moments, momentum));
        } else {
            y = Ops.batchNorm(x, runningMean, runningVar, weight, bias, eps);
        }
        return f.record(name, this, x, y);
    }

    @Override
    public List<StateEntry> state() {
        return List.of(StateEntry.same(name + ".weight", weight, true), StateEntry.same(name + ".bias", bias, true),
                StateEntry.same(name + ".running_mean", runningMean, false),
                StateEntry.same(name + ".running_var", runningVar, false),
                new StateEntry(name + ".num_batches_tracked", batchesTracked, false, new int[0], "I64",
                        v -> v.clone(), v -> v.clone()));
    }

    /** PyTorch's reset_parameters and reset_running_stats: weight 1, bias 0, mean 0, variance 1, no batches. */
    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        float[] ones = new float[channels()];
        Arrays.fill(ones, 1f);
        store.set(weight, ones);
        store.set(bias, new float[channels()]);
        store.set(runningMean, new float[channels()]);
        store.set(runningVar, ones);
        store.set(batchesTracked, new float[1]);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "BatchNorm2d(%d, eps=%s, momentum=%s, affine=True, track_running_stats=True)",
                channels(), pyFloat(eps), pyFloat(momentum));
    }

    /** A double as Python's repr writes it: 1e-05, 0.1. */
    static String pyFloat(double v) {
        String s = Double.toString(v);
        if (s.contains("E")) {
            String[] parts = s.split("E");
            String mantissa = parts[0].endsWith(".0") ? parts[0].substring(0, parts[0].length() - 2) : parts[0];
            int exp = Integer.parseInt(parts[1]);
            return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
        }
        return s;
    }
}
