package org.panagrad.graph;

import java.util.Arrays;

/**
 * A static tensor shape of rank 0 to {@link #MAX_RANK}, row-major and contiguous: the last axis varies fastest.
 * Its matrix view ({@link #rows()} x {@link #cols()}) folds every axis but the last into rows: a scalar is 1x1,
 * a vector of length n a single row 1xn (which is how a bias broadcasts over a batch), [2, 3, 4] is 6x4.
 */
public final class Shape {
    /** The highest rank a shape may have, as many frameworks cap it (PyTorch's TensorIterator takes 25; 8 suffices for NCHW and attention). */
    public static final int MAX_RANK = 8;

    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    public static Shape of(int... dims) {
        if (dims.length > MAX_RANK) {
            throw new IllegalArgumentException("shapes of rank " + dims.length + " are not supported (at most "
                    + MAX_RANK + "): " + Arrays.toString(dims));
        }
        long n = 1;
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("every dimension must be positive: " + Arrays.toString(dims));
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a tensor of shape " + Arrays.toString(dims) + " has more than "
                        + Integer.MAX_VALUE + " elements, Java's array limit");
            }
        }
        return new Shape(dims.clone());
    }

    /** This shape with a leading axis of length k: the shape of k stacked values of this shape. */
    public Shape withLeading(int k) {
        int[] d = new int[dims.length + 1];
        d[0] = k;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return of(d);
    }

    public static Shape scalar() {
        return new Shape(new int[0]);
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Rows of the row-major matrix view: the product of every dimension but the last. */
    public int rows() {
        return dims.length == 0 ? 1 : numel() / dims[dims.length - 1];
    }

    /** Columns of the row-major matrix view. */
    public int cols() {
        return dims.length == 0 ? 1 : dims[dims.length - 1];
    }

    public int numel() {
        int n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    /** Row-major element strides: stride(last) = 1, stride(i) = stride(i + 1) * dim(i + 1). */
    public int[] strides() {
        int[] strides = new int[dims.length];
        int s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= dims[i];
        }
        return strides;
    }

    public boolean isScalar() {
        return numel() == 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Written as [128x784], [32x64x14x14], [10] or [] for a scalar. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) sb.append('x');
            sb.append(dims[i]);
        }
        return sb.append(']').toString();
    }
}
