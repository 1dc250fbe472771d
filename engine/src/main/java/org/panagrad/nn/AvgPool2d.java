package org.panagrad.nn;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;

/** PyTorch's nn.AvgPool2d(kernel, stride, padding) with square windows, padding counted in the average. */
public record AvgPool2d(int kernel, int stride, int padding) implements StatelessModule {
    public static AvgPool2d of(int kernel) {
        return new AvgPool2d(kernel, kernel, 0);
    }

    @Override
    public Node forward(Node x, Forward f) {
        return Ops.avgPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding});
    }

    @Override
    public String describe() {
        return "AvgPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
