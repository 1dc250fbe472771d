package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;

/** PyTorch's nn.MaxPool2d(kernel, stride, padding) with square windows; stride defaults to the kernel size. */
public record MaxPool2d(int kernel, int stride, int padding) implements StatelessModule {
    public static MaxPool2d of(int kernel) {
        return new MaxPool2d(kernel, kernel, 0);
    }

    @Override
    public Node forward(Node x, Forward f) {
        return Ops.maxPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding});
    }

    @Override
    public String describe() {
        return "MaxPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation=1, ceil_mode=False)";
    }
}
