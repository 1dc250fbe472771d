package org.panagrad.kernels;

/**
 * A dense tensor seen as [outer, length, inner] for kernels that work along one of its axes (softmax,
 * cross-entropy): the element (o, c, j) is at (o * length + c) * inner + j. With inner = 1 each outer index is a
 * contiguous row (classes last, as [batch, classes]); otherwise the axis is strided and the kernels vectorise
 * across the inner positions (classes in the middle, as PyTorch's [N, C, H, W]).
 */
public record Axis(int outer, int length, int inner) {
    public Axis {
        if (outer < 1 || length < 1 || inner < 1) {
            throw new IllegalArgumentException("an axis view needs positive sizes, got [" + outer + ", " + length + ", " + inner + "]");
        }
    }

    /** Positions along the other axes: outer * inner. */
    public int positions() {
        return outer * inner;
    }

    public int size() {
        return outer * length * inner;
    }
}
