package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/** PyTorch's nn.AvgPool2d(kernel, stride, padding) with square windows, padding counted in the average. */
public record AvgPool2d(int kernel, int stride, int padding) implements Module {
    public static AvgPool2d of(int kernel) {
        return new AvgPool2d(kernel, kernel, 0);
    }

    @Override
    public Node forward(Node x, Forward f) {
        return Ops.avgPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding});
    }

    @Override
    public List<StateEntry> state() {
        return List.of();
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {}

    @Override
    public String describe() {
        return "AvgPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
