package org.panagrad.kernels;

import java.util.Arrays;

/**
 * A copy between two strided views of one N-d index space, {@code dst[d + sum i_a * dstStride_a] =
 * src[s + sum i_a * srcStride_a]}: what permute, slice, its zero-padding adjoint and concat all are. Built once,
 * when a program is compiled, from the tensor's dims and both sides' strides; the kernel ({@link Layout#copy})
 * then walks it without allocating.
 * <p>
 * Building it simplifies the index space first: axes of length 1 go, and neighbouring axes that are contiguous
 * with each other on both sides merge (a permute [B,T,H,d] to [B,H,T,d] keeps runs of d; NCHW to NHWC becomes
 * N transposes of C x HW). What is left is one of three shapes of inner loop:
 * <ul>
 *   <li>{@link Kind#ROWS}: both sides contiguous along the last axis: copies of runs;</li>
 *   <li>{@link Kind#TRANSPOSE}: the destination contiguous along the last axis and the source along another
 *       ({@link #tAxis}): 2-D transposes, in 8 x 8 register blocks;</li>
 *   <li>{@link Kind#STRIDED}: anything else (a slice with a step along the last axis): element by element.</li>
 * </ul>
 */
public final class StridedCopy {
    /** The inner loop a copy needs, see the class comment. */
    enum Kind { ROWS, TRANSPOSE, STRIDED }

    /** The simplified index space and both sides' strides, outer axes first; at least one axis. */
    final int[] dims, src, dst;
    final Kind kind;
    /** {@link Kind#TRANSPOSE}: the axis along which the source is contiguous; otherwise -1. */
    final int tAxis;
    /** Axes the walk loops over (the others are the inner loop's), outermost first. */
    final int[] outer;
    private final int size;

    private StridedCopy(int[] dims, int[] src, int[] dst) {
        this.dims = dims;
        this.src = src;
        this.dst = dst;
        int last = dims.length - 1, n = 1;
        for (int d : dims) n *= d;
        size = n;
        int t = -1;
        if (src[last] == 1 && dst[last] == 1) {
            kind = Kind.ROWS;
        } else {
            for (int a = 0; a < last && dst[last] == 1; a++) if (src[a] == 1) t = a;
            kind = t >= 0 ? Kind.TRANSPOSE : Kind.STRIDED;
        }
        tAxis = t;
        int inner = kind == Kind.TRANSPOSE ? 2 : Math.min(2, dims.length); // ROWS and STRIDED loop over two axes
        outer = new int[dims.length - inner];
        for (int a = 0, o = 0; a < last; a++) {
            boolean innerAxis = kind == Kind.TRANSPOSE ? a == t : a == last - 1;
            if (!innerAxis) outer[o++] = a;
        }
    }

    /**
     * The copy of a tensor of the given dims between a source and a destination with these element strides
     * (any non-negative strides; a dense tensor's are {@link #denseStrides}).
     */
    public static StridedCopy of(int[] dims, int[] srcStrides, int[] dstStrides) {
        if (dims.length != srcStrides.length || dims.length != dstStrides.length) {
            throw new IllegalArgumentException("dims " + Arrays.toString(dims) + " and strides "
                    + Arrays.toString(srcStrides) + ", " + Arrays.toString(dstStrides) + " differ in rank");
        }
        int[] d = new int[dims.length + 1], s = new int[d.length], t = new int[d.length];
        int r = 0;
        for (int a = 0; a < dims.length; a++) {
            if (dims[a] == 1) continue;
            // Merge into the previous axis when stepping over this whole axis is one step of that one on both sides.
            if (r > 0 && s[r - 1] == srcStrides[a] * dims[a] && t[r - 1] == dstStrides[a] * dims[a]) {
                d[r - 1] *= dims[a];
                s[r - 1] = srcStrides[a];
                t[r - 1] = dstStrides[a];
            } else {
                d[r] = dims[a];
                s[r] = srcStrides[a];
                t[r] = dstStrides[a];
                r++;
            }
        }
        if (r == 0) { // a single element
            d[0] = 1;
            s[0] = 1;
            t[0] = 1;
            r = 1;
        }
        return new StridedCopy(Arrays.copyOf(d, r), Arrays.copyOf(s, r), Arrays.copyOf(t, r));
    }

    /** Row-major strides of a dense tensor. */
    public static int[] denseStrides(int[] dims) {
        int[] strides = new int[dims.length];
        for (int a = dims.length - 1, s = 1; a >= 0; a--) {
            strides[a] = s;
            s *= dims[a];
        }
        return strides;
    }

    /** Elements copied. */
    public int size() {
        return size;
    }

    /** Whether the copy is one contiguous run on both sides: nothing to do when both start at the same place. */
    public boolean isContiguous() {
        return dims.length == 1 && src[0] == 1 && dst[0] == 1;
    }

    @Override
    public String toString() {
        return kind + " dims " + Arrays.toString(dims) + " src " + Arrays.toString(src) + " dst " + Arrays.toString(dst);
    }
}
