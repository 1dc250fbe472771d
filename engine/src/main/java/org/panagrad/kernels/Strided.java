package org.panagrad.kernels;

import java.util.Arrays;

/**
 * An N-d index space and, for each operand, the element stride of each axis (0 repeats the operand along that
 * axis: broadcasting), built once at compile time. Size-1 axes are dropped and adjacent axes that every operand
 * steps through as one are merged, so a bias of [64, 1, 1] broadcast over [32, 64, 14, 14] walks as
 * [32, 64, 196] and dense operands as one long row. Kernels walk the outer axes and hand each innermost row to
 * a SIMD body; nothing broadcast is ever materialised.
 */
public final class Strided {
    private final int[] dims;
    private final int[][] strides;
    private final int[] extents;

    private Strided(int[] dims, int[][] strides) {
        this.dims = dims;
        this.strides = strides;
        this.extents = new int[strides.length];
        for (int k = 0; k < strides.length; k++) {
            int e = 1;
            for (int a = 0; a < dims.length; a++) if (strides[k][a] != 0) e *= dims[a];
            extents[k] = e;
        }
    }

    /**
     * An elementwise op's index space: operand 0 is the dense row-major output of shape {@code dims}, operands
     * 1, 2, ... are the inputs with the given strides (one per axis of dims).
     */
    public static Strided elementwise(int[] dims, int[]... inputStrides) {
        int[][] all = new int[inputStrides.length + 1][];
        all[0] = dense(dims);
        System.arraycopy(inputStrides, 0, all, 1, inputStrides.length);
        return of(dims, all);
    }

    /**
     * A reduction's index space: operand 0 is the dense input of shape {@code dims}, operand 1 the output,
     * which has stride 0 along the reduced axes (bit i of {@code axes} reduces axis i) and is row-major over
     * the others.
     */
    public static Strided reduction(int[] dims, int axes) {
        int[] out = new int[dims.length];
        int s = 1;
        for (int a = dims.length - 1; a >= 0; a--) {
            if ((axes & (1 << a)) != 0) continue;
            out[a] = s;
            s *= dims[a];
        }
        return of(dims, new int[][] {dense(dims), out});
    }

    /** Row-major strides of a dense tensor of shape dims. */
    public static int[] dense(int[] dims) {
        int[] s = new int[dims.length];
        int step = 1;
        for (int a = dims.length - 1; a >= 0; a--) {
            s[a] = step;
            step *= dims[a];
        }
        return s;
    }

    private static Strided of(int[] dims, int[][] strides) {
        for (int[] s : strides) {
            if (s.length != dims.length) {
                throw new IllegalArgumentException("strides " + Arrays.toString(s) + " for dims " + Arrays.toString(dims));
            }
        }
        int ops = strides.length, rank = 0;
        int[] d = new int[Math.max(1, dims.length)];
        int[][] st = new int[ops][d.length];
        for (int a = 0; a < dims.length; a++) {
            if (dims[a] == 1) continue; // never stepped along: its strides do not matter
            if (rank > 0 && mergeable(st, rank - 1, strides, a, dims[a])) {
                d[rank - 1] *= dims[a];
                for (int k = 0; k < ops; k++) st[k][rank - 1] = strides[k][a];
            } else {
                d[rank] = dims[a];
                for (int k = 0; k < ops; k++) st[k][rank] = strides[k][a];
                rank++;
            }
        }
        if (rank == 0) { // a single element
            d[0] = 1;
            rank = 1;
        }
        int[][] trimmed = new int[ops][];
        for (int k = 0; k < ops; k++) trimmed[k] = Arrays.copyOf(st[k], rank);
        return new Strided(Arrays.copyOf(d, rank), trimmed);
    }

    /** Whether every operand steps over (outer, inner) as over one axis: stride(outer) = stride(inner) * dim(inner). */
    private static boolean mergeable(int[][] st, int outer, int[][] strides, int inner, int innerDim) {
        for (int k = 0; k < st.length; k++) {
            if (st[k][outer] != strides[k][inner] * innerDim) return false;
        }
        return true;
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis];
    }

    public int stride(int operand, int axis) {
        return strides[operand][axis];
    }

    /** Elements in the index space. */
    public int size() {
        int n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    /** Distinct elements an operand covers: the product of the dims along which it does not repeat. */
    public int extent(int operand) {
        return extents[operand];
    }

    /** "[32x64x196] strides [12544,196,1] [0,1,0]": what a layout collapsed to, for tests and profiles. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int a = 0; a < dims.length; a++) sb.append(a > 0 ? "x" : "").append(dims[a]);
        sb.append("] strides");
        for (int[] s : strides) sb.append(' ').append(Arrays.toString(s).replace(" ", ""));
        return sb.toString();
    }
}
