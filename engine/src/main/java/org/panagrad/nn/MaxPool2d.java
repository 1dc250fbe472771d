package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/** PyTorch's nn.MaxPool2d(kernel, stride, padding) with square windows; stride defaults to the kernel size. */
public record MaxPool2d(int kernel, int stride, int padding) implements Module {
    public static MaxPool2d of(int kernel) {
        return new MaxPool2d(kernel, kernel, 0);
    }

    @Override
    public Node forward(Node x, Forward f) {
        return Ops.maxPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding});
    }

    @Override
    public List<StateEntry> state() {
        return List.of();
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {}

    @Override
    public String describe() {
        return "MaxPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation=1, ceil_mode=False)";
    }
}
