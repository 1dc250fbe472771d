package org.panagrad.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.panagrad.testing.SteadyState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The layout kernels' SIMD bodies and scalar twins against an index-by-index copy, over awkward sizes. */
class LayoutTest {
    private static final int OFF = 5;

    static java.util.stream.IntStream sizes() {
        return KernelTestSupport.sizes().filter(n -> n <= 129);
    }

    /** Every permutation of rank 1 to 4 over dims mixing 1, the size under test and odd sizes. */
    @ParameterizedTest
    @MethodSource("sizes")
    void permutesMatchTheIndexByIndexCopy(int n) {
        int[][] shapes = {{n}, {n, 3}, {3, n}, {1, n}, {n, 1, 7}, {2, n, 3}, {7, 3, n}, {2, 3, 1, n}, {n, 2, 5, 3},
                {3, 1, n, 17}};
        for (int[] dims : shapes) {
            for (int[] perm : permutations(dims.length)) {
                int[] out = new int[dims.length], srcStrides = new int[dims.length];
                int[] in = StridedCopy.denseStrides(dims);
                for (int a = 0; a < dims.length; a++) {
                    out[a] = dims[perm[a]];
                    srcStrides[a] = in[perm[a]];
                }
                check(out, srcStrides, StridedCopy.denseStrides(out), n * 31 + Arrays.hashCode(perm),
                        Arrays.toString(dims) + " permuted " + Arrays.toString(perm));
            }
        }
    }

    /** The attention and CNN layouts, with the plan each gets. */
    @Test
    void commonPermutesTakeTheirFastPaths() {
        assertEquals(StridedCopy.Kind.ROWS, permute(new int[] {4, 17, 4, 16}, 0, 2, 1, 3).kind); // [B,T,H,d] -> [B,H,T,d]
        assertEquals(StridedCopy.Kind.TRANSPOSE, permute(new int[] {4, 16, 7, 7}, 0, 2, 3, 1).kind); // NCHW -> NHWC
        assertEquals(StridedCopy.Kind.TRANSPOSE, permute(new int[] {4, 7, 7, 16}, 0, 3, 1, 2).kind); // NHWC -> NCHW
        StridedCopy t = permute(new int[] {3, 65, 33}, 0, 2, 1);
        assertEquals(StridedCopy.Kind.TRANSPOSE, t.kind);
        assertEquals(3, t.dims.length);
        assertEquals(3, permute(new int[] {4, 16, 7, 7}, 0, 2, 3, 1).dims.length, "H and W merge: N transposes of C x HW");
        assertTrue(permute(new int[] {5, 1, 7}, 1, 0, 2).isContiguous(), "moving an axis of length 1 moves nothing");
        // Transposes taller than one pass of register blocks, with edges in both directions.
        for (int[] dims : new int[][] {{2, 300, 19}, {2, 19, 300}, {1, 264, 64}}) {
            int[] out = {dims[0], dims[2], dims[1]}, in = StridedCopy.denseStrides(dims);
            check(out, new int[] {in[0], in[2], in[1]}, StridedCopy.denseStrides(out), 5, Arrays.toString(dims) + " transposed");
        }
    }

    /** Slices (start, step per axis) read into a dense result; padding writes a dense value into a strided place. */
    @ParameterizedTest
    @MethodSource("sizes")
    void slicesAndPaddingMatchTheIndexByIndexCopy(int n) {
        Random rnd = new Random(n);
        for (int trial = 0; trial < 20; trial++) {
            int rank = 1 + rnd.nextInt(4);
            int[] full = new int[rank], out = new int[rank], start = new int[rank], step = new int[rank];
            for (int a = 0; a < rank; a++) {
                full[a] = a == rank - 1 - trial % rank ? n : 1 + rnd.nextInt(6);
                step[a] = 1 + rnd.nextInt(3);
                start[a] = rnd.nextInt(full[a]);
                out[a] = 1 + rnd.nextInt((full[a] - start[a] + step[a] - 1) / step[a]);
            }
            int[] dense = StridedCopy.denseStrides(full), strided = new int[rank];
            for (int a = 0; a < rank; a++) strided[a] = dense[a] * step[a];
            int base = 0;
            for (int a = 0; a < rank; a++) base += start[a] * dense[a];
            String what = "slice of " + Arrays.toString(full) + " from " + Arrays.toString(start) + " by " + Arrays.toString(step);
            check(out, strided, StridedCopy.denseStrides(out), base, 0, numel(full), numel(out), trial, what);
            check(out, StridedCopy.denseStrides(out), strided, 0, base, numel(out), numel(full), trial, "pad: " + what);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void gatherAndScatterAddMatchTheScalarTwins(int rowLen) {
        Random rnd = new Random(rowLen);
        int rows = 7, n = 13;
        float[] table = KernelTestSupport.random(rnd, OFF + rows * rowLen, -1f, 1f);
        float[] g = KernelTestSupport.random(rnd, OFF + n * rowLen, -1f, 1f);
        float[] idx = new float[OFF + n];
        for (int i = 0; i < n; i++) idx[OFF + i] = rnd.nextInt(rows); // repeats, so the scatter really adds
        float[] want = new float[OFF + n * rowLen], got = new float[OFF + n * rowLen];
        LayoutScalar.gatherRows(n, rowLen, table, OFF, idx, OFF, want, OFF);
        LayoutSimd.gatherRows(n, rowLen, table, OFF, idx, OFF, got, OFF);
        assertArrayEquals(want, got, "gather");
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < rowLen; j++) {
                assertEquals(table[OFF + (int) idx[OFF + i] * rowLen + j], want[OFF + i * rowLen + j]);
            }
        }
        float[] wantS = KernelTestSupport.random(rnd, OFF + rows * rowLen, 5f, 6f), gotS = wantS.clone();
        LayoutScalar.scatterAddRows(n, rowLen, g, OFF, idx, OFF, rows, wantS, OFF);
        LayoutSimd.scatterAddRows(n, rowLen, g, OFF, idx, OFF, rows, gotS, OFF);
        assertArrayEquals(wantS, gotS, "scatter-add, bit for bit");
        double[] sums = new double[rows * rowLen];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < rowLen; j++) sums[(int) idx[OFF + i] * rowLen + j] += g[OFF + i * rowLen + j];
        }
        for (int i = 0; i < sums.length; i++) assertEquals(sums[i], wantS[OFF + i], 1e-5);
        for (int i = 0; i < OFF; i++) assertEquals(gotS[i], wantS[i], "wrote before the offset");
    }

    @Test
    void invalidIndicesAreFoundBeforeAnythingIsRead() {
        float[] idx = {0, 3, 2, 4, 1};
        assertEquals(-1, Layout.firstInvalidIndex(5, 5, idx, 0));
        assertEquals(3, Layout.firstInvalidIndex(5, 4, idx, 0));
        assertEquals(1, Layout.firstInvalidIndex(4, 5, new float[] {9, 2, -1, 2, 2}, 1));
        assertEquals(0, Layout.firstInvalidIndex(1, 5, new float[] {1.5f}, 0));
        assertEquals(0, Layout.firstInvalidIndex(1, 5, new float[] {Float.NaN}, 0));
    }

    @Test
    void layoutKernelsAllocateNothing() {
        Random rnd = new Random(3);
        float[] x = KernelTestSupport.random(rnd, 4 * 17 * 4 * 16, -1f, 1f), y = new float[x.length];
        float[] idx = new float[9];
        for (int i = 0; i < idx.length; i++) idx[i] = rnd.nextInt(17);
        Map<String, Runnable> calls = new LinkedHashMap<>();
        for (int[] perm : List.of(new int[] {0, 2, 1, 3}, new int[] {0, 2, 3, 1}, new int[] {3, 1, 0, 2})) {
            StridedCopy p = permute(new int[] {4, 17, 4, 16}, perm);
            calls.put("permute " + p, () -> Layout.copy(p, x, 0, y, 0));
        }
        StridedCopy strided = StridedCopy.of(new int[] {4, 17, 32}, new int[] {1088, 64, 2}, new int[] {544, 32, 1});
        calls.put("strided " + strided, () -> Layout.copy(strided, x, 0, y, 0));
        calls.put("gather", () -> Layout.gatherRows(9, 64, x, 0, idx, 0, y, 0));
        calls.put("scatter-add", () -> Layout.scatterAddRows(9, 64, x, 0, idx, 0, 17, y, 0));
        for (int round = 0; round < 3000; round++) for (Runnable c : calls.values()) c.run();
        List<String> allocating = new ArrayList<>();
        for (Map.Entry<String, Runnable> e : calls.entrySet()) {
            long bytes = SteadyState.allocatedBytes(e.getValue(), 50);
            if (bytes > 0) allocating.add(e.getKey() + ": " + bytes / 50 + " bytes per call");
        }
        assertTrue(allocating.isEmpty(), "layout kernels that allocate: " + allocating);
    }

    private static StridedCopy permute(int[] dims, int... perm) {
        int[] out = new int[dims.length], src = new int[dims.length], in = StridedCopy.denseStrides(dims);
        for (int a = 0; a < dims.length; a++) {
            out[a] = dims[perm[a]];
            src[a] = in[perm[a]];
        }
        return StridedCopy.of(out, src, StridedCopy.denseStrides(out));
    }

    private static void check(int[] dims, int[] srcStrides, int[] dstStrides, int seed, String what) {
        int n = numel(dims);
        check(dims, srcStrides, dstStrides, 0, 0, n, n, seed, what);
    }

    /**
     * Both bodies against a copy index by index over the dims as given (before the plan simplifies them), from
     * src[OFF + srcBase...] to dst[OFF + dstBase...]; elements the copy does not reach must stay as they were.
     */
    private static void check(int[] dims, int[] srcStrides, int[] dstStrides, int srcBase, int dstBase, int srcSize,
                              int dstSize, int seed, String what) {
        Random rnd = new Random(seed);
        float[] src = KernelTestSupport.random(rnd, OFF + srcSize, -1f, 1f);
        float[] want = KernelTestSupport.random(rnd, OFF + dstSize, 7f, 8f), scalar = want.clone(), simd = want.clone();
        int[] idx = new int[dims.length];
        for (int e = 0, n = numel(dims); e < n; e++) {
            int s = OFF + srcBase, d = OFF + dstBase;
            for (int a = 0; a < idx.length; a++) {
                s += idx[a] * srcStrides[a];
                d += idx[a] * dstStrides[a];
            }
            want[d] = src[s];
            for (int a = idx.length - 1; a >= 0 && ++idx[a] == dims[a]; a--) idx[a] = 0;
        }
        StridedCopy p = StridedCopy.of(dims, srcStrides, dstStrides);
        Layout.copy(p, false, src, OFF + srcBase, scalar, OFF + dstBase);
        Layout.copy(p, true, src, OFF + srcBase, simd, OFF + dstBase);
        assertArrayEquals(want, scalar, "scalar: " + what + " (" + p + ")");
        assertArrayEquals(want, simd, "simd: " + what + " (" + p + ")");
    }

    private static int numel(int[] dims) {
        int n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    private static List<int[]> permutations(int rank) {
        List<int[]> all = new ArrayList<>();
        permute(new int[rank], new boolean[rank], 0, all);
        return all;
    }

    private static void permute(int[] perm, boolean[] used, int at, List<int[]> all) {
        if (at == perm.length) {
            all.add(perm.clone());
            return;
        }
        for (int a = 0; a < perm.length; a++) {
            if (used[a]) continue;
            used[a] = true;
            perm[at] = a;
            permute(perm, used, at + 1, all);
            used[a] = false;
        }
    }
}
