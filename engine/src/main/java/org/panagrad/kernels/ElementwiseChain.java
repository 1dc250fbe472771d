package org.panagrad.kernels;

import java.util.Arrays;

/**
 * A small expression of elementwise binary ops over broadcasting operands, evaluated in one walk: each innermost
 * row of the {@link Strided} index space (operands: the dense output, then the leaves) is cut into pieces of at most
 * {@link #PIECE} elements, and each step runs over the piece with the row body the separate ops use
 * ({@code binaryRow}), its result in a piece-sized scratch row that stays in L1 instead of a full tensor in memory.
 * Every element goes through the same float operations in the same order as the separate passes, so the result is
 * the same bit for bit; only the leaves are read from memory and only the last step's result is written.
 * <p>
 * Step k is {@code ops[k](operand a[k], operand b[k])}; an operand is a leaf ({@code >= 0}), an earlier step's result
 * ({@code -1 - step}) or, for b only, the step's constant ({@link #CONSTANT}). The last step is the result.
 * One instance per instruction: its scratch and walk positions make a run single-threaded, as a program's run is.
 */
public final class ElementwiseChain {
    /** Operand reference: the step's own constant, broadcast over the piece. */
    public static final int CONSTANT = Integer.MIN_VALUE;

    /** Elements per piece: a whole number of vectors at every width; ten scratch rows take 20 KB of L1. */
    static final int PIECE = Integer.getInteger("piece", 1024);

    private final BinaryOp[] ops;
    private final int[] a, b;
    private final float[][] constants;
    private final Strided s;
    private final float[][] scratch;
    private final int[][] positions; // per axis, per operand (output first): the walk's offsets, reused each run
    private final float[][] expanded; // per leaf that short-row pieces copy out, a piece of it
    private final int[] expandedFrom, expandedRows; // for a repeated row: where and how many rows it holds (-1: none)
    private final float[][] leafArrays; // where each leaf is read for the current piece, its offset and stride
    private final int[] leafOffsets, leafStrides;

    public ElementwiseChain(BinaryOp[] ops, int[] a, int[] b, float[] constants, Strided s) {
        int steps = ops.length;
        if (steps == 0 || a.length != steps || b.length != steps || constants.length != steps) {
            throw new IllegalArgumentException("a chain needs one op, two operands and one constant per step: "
                    + steps + " ops, " + a.length + " and " + b.length + " operands, " + constants.length + " constants");
        }
        int leaves = s.operands() - 1;
        for (int k = 0; k < steps; k++) {
            check(a[k], k, leaves, false);
            check(b[k], k, leaves, true);
        }
        this.ops = ops.clone();
        this.a = a.clone();
        this.b = b.clone();
        this.constants = new float[steps][];
        for (int k = 0; k < steps; k++) this.constants[k] = new float[] {constants[k]};
        this.s = s;
        this.scratch = new float[steps - 1][PIECE];
        this.positions = new int[s.rank()][s.operands()];
        this.expanded = new float[leaves][];
        for (int l = 0, last = s.rank() - 1; l < leaves && last > 0; l++) {
            int cols = s.dim(last);
            boolean contiguous = s.stride(l + 1, last) == 1 && s.stride(l + 1, last - 1) == cols;
            boolean constant = s.stride(l + 1, last) == 0 && s.stride(l + 1, last - 1) == 0;
            if (!contiguous && !constant) expanded[l] = new float[PIECE];
        }
        this.expandedFrom = new int[leaves];
        this.expandedRows = new int[leaves];
        this.leafArrays = new float[leaves][];
        this.leafOffsets = new int[leaves];
        this.leafStrides = new int[leaves];
    }

    private static void check(int ref, int step, int leaves, boolean constantAllowed) {
        boolean ok = ref >= 0 ? ref < leaves : ref == CONSTANT ? constantAllowed : -1 - ref < step;
        if (!ok) throw new IllegalArgumentException("step " + step + " reads operand " + ref + " (" + leaves + " leaves)");
    }

    /** out = the chain over the leaves, leaf i read from {@code leaves[i]} at {@code offsets[i]}. */
    public void run(float[][] leaves, int[] offsets, float[] out, int outOff) {
        run(Simd.ENABLED, leaves, offsets, out, outOff);
    }

    void run(boolean simd, float[][] leaves, int[] offsets, float[] out, int outOff) {
        int[] p = positions[0];
        p[0] = outOff;
        for (int i = 0; i < leaves.length; i++) p[i + 1] = offsets[i];
        Arrays.fill(expandedFrom, -1); // the leaves' values may have changed since the last run
        walk(simd, 0, leaves, out);
    }

    private void walk(boolean simd, int axis, float[][] leaves, float[] out) {
        int[] p = positions[axis];
        int last = s.rank() - 1;
        if (axis < last - 1) {
            int[] q = positions[axis + 1];
            for (int i = 0, n = s.dim(axis); i < n; i++) {
                for (int k = 0; k < p.length; k++) q[k] = p[k] + i * s.stride(k, axis);
                walk(simd, axis + 1, leaves, out);
            }
            return;
        }
        int cols = s.dim(last);
        if (axis == last || cols > PIECE / 2) { // rows long enough to be pieces of their own
            int rows = axis == last ? 1 : s.dim(axis);
            int[] q = positions[last];
            for (int i = 0; i < rows; i++) {
                for (int k = 0; k < p.length; k++) q[k] = p[k] + (axis == last ? 0 : i * s.stride(k, axis));
                for (int j = 0; j < cols; j += PIECE) {
                    int n = Math.min(PIECE, cols - j);
                    for (int l = 0; l < leaves.length; l++) {
                        int st = s.stride(l + 1, last);
                        bind(l, leaves[l], q[l + 1] + j * st, st);
                    }
                    steps(simd, n, out, q[0] + j);
                }
            }
            return;
        }
        // Short rows: a piece is several whole rows, a leaf that does not run through them contiguously (a value
        // per row, a row repeated) copied out for the piece, so that each step is one call over the piece.
        int rows = s.dim(axis), per = PIECE / cols;
        for (int i = 0; i < rows; i += per) {
            int r = Math.min(per, rows - i);
            for (int l = 0; l < leaves.length; l++) {
                int rowStride = s.stride(l + 1, axis), colStride = s.stride(l + 1, last), at = p[l + 1] + i * rowStride;
                if (colStride == 1 && rowStride == cols) bind(l, leaves[l], at, 1);
                else if (colStride == 0 && rowStride == 0) bind(l, leaves[l], at, 0);
                else {
                    float[] e = expanded[l];
                    // A row repeated over every row (a bias, an affine weight) is copied out once per run.
                    if (rowStride != 0 || expandedFrom[l] != at || expandedRows[l] < r) {
                        for (int rr = 0, x = at; rr < r; rr++, x += rowStride) {
                            if (colStride == 0) Arrays.fill(e, rr * cols, (rr + 1) * cols, leaves[l][x]);
                            else if (colStride == 1) System.arraycopy(leaves[l], x, e, rr * cols, cols);
                            else for (int c = 0; c < cols; c++) e[rr * cols + c] = leaves[l][x + c * colStride];
                        }
                        expandedFrom[l] = rowStride == 0 ? at : -1;
                        expandedRows[l] = r;
                    }
                    bind(l, e, 0, 1);
                }
            }
            steps(simd, r * cols, out, p[0] + i * cols);
        }
    }

    private void bind(int leaf, float[] array, int offset, int stride) {
        leafArrays[leaf] = array;
        leafOffsets[leaf] = offset;
        leafStrides[leaf] = stride;
    }

    /** The steps over n elements of the bound leaves, the last into out from oi. */
    private void steps(boolean simd, int n, float[] out, int oi) {
        int steps = ops.length;
        for (int k = 0; k < steps; k++) {
            int ra = a[k], rb = b[k];
            float[] x = ra >= 0 ? leafArrays[ra] : scratch[-1 - ra];
            int xi = ra >= 0 ? leafOffsets[ra] : 0, xs = ra >= 0 ? leafStrides[ra] : 1;
            float[] y = rb >= 0 ? leafArrays[rb] : rb == CONSTANT ? constants[k] : scratch[-1 - rb];
            int yi = rb >= 0 ? leafOffsets[rb] : 0, ys = rb >= 0 ? leafStrides[rb] : rb == CONSTANT ? 0 : 1;
            boolean result = k == steps - 1;
            float[] dst = result ? out : scratch[k];
            int di = result ? oi : 0;
            if (simd) ElementwiseSimd.binaryRow(ops[k], n, x, xi, xs, y, yi, ys, dst, di);
            else ElementwiseScalar.binaryRow(ops[k], n, x, xi, xs, y, yi, ys, dst, di);
        }
    }
}
