package org.panagrad.graph;

import java.util.Arrays;

/**
 * A static tensor shape of rank 0, 1 or 2. Kernels see every shape as a row-major matrix:
 * a scalar is 1x1 and a vector of length n is a single row, 1xn, which is how a bias broadcasts over a batch.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    public static Shape of(int... dims) {
        if (dims.length > 2) {
            throw new IllegalArgumentException("shapes of rank " + dims.length + " are not supported (at most 2): "
                    + Arrays.toString(dims));
        }
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("every dimension must be positive: " + Arrays.toString(dims));
        }
        return new Shape(dims.clone());
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

    /** Rows of the row-major matrix view. */
    public int rows() {
        return dims.length == 2 ? dims[0] : 1;
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

    /** Written as [128x784], [10] or [] for a scalar. */
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
