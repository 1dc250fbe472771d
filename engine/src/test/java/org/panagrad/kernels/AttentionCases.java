package org.panagrad.kernels;

import org.junit.jupiter.params.provider.Arguments;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.panagrad.kernels.KernelTestSupport.random;

/**
 * The sizes and masks every fused attention kernel test runs (forward, backward, second order): sizes around the
 * vector width and the key block (1 to 300 keys and queries), odd head dims (1 to 256); six masks: none, an
 * additive one shared by the batch, a boolean one, two padding masks per batch entry (at the back and the front),
 * and a boolean one per entry that hides every key of one row.
 */
final class AttentionCases {
    private AttentionCases() {}

    /** (batch, tq, tk, d, dv). */
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 1, 1, 1), Arguments.of(2, 3, 7, 5, 3), Arguments.of(1, 17, 17, 16, 16),
                Arguments.of(3, 5, 65, 7, 17), Arguments.of(1, 130, 130, 64, 64), Arguments.of(2, 9, 129, 33, 31),
                Arguments.of(1, 64, 64, 8, 40), Arguments.of(1, 3, 3, 3, 3), Arguments.of(1, 63, 63, 63, 63),
                Arguments.of(1, 65, 65, 65, 65), Arguments.of(2, 17, 64, 64, 17), Arguments.of(1, 256, 256, 64, 64),
                Arguments.of(1, 1, 256, 17, 65), Arguments.of(1, 256, 3, 1, 1), Arguments.of(1, 63, 17, 256, 3),
                // The packed forward's larger units: one of 200 rows per entry, and 256 rows then 44.
                Arguments.of(4, 200, 200, 32, 40), Arguments.of(2, 300, 136, 33, 32),
                // Rows one vector wide (16 at 512 bits, 8 at 256) in groups of eight, then four, then one.
                Arguments.of(2, 13, 21, 16, 8));
    }

    /**
     * No mask, additive, boolean (keeps each row's diagonal-ish key and two thirds of the rest), padding (hides
     * key tk - 1 - b of entry b), padding at the front (hides key 0 of the last entry: with causality its
     * query 0 then sees no key, a NaN row whose NaN reaches every key's gradient of that entry) and a boolean mask
     * per entry, the boolean one's keys in every entry except the last's middle row, which sees no key causal or
     * not (so at the packed sizes too, which take only non-causal entries). With one key either padding hides
     * every key of some entry: every row of it NaN.
     */
    static AttentionMaskLayout[] masks(Random rnd, int batch, int tq, int tk) {
        float[] additive = random(rnd, tq * tk, -3f, 1f), keep = new float[tq * tk], padding = new float[batch * tk];
        for (int e = 0; e < keep.length; e++) keep[e] = e % (tk + 1) == 0 || rnd.nextInt(3) > 0 ? 1f : 0f;
        for (int b = 0; b < batch; b++) padding[b * tk + tk - 1 - Math.min(b, tk - 1)] = Float.NEGATIVE_INFINITY;
        float[] front = new float[batch * tk];
        front[(batch - 1) * tk] = Float.NEGATIVE_INFINITY;
        int[] sameForAll = new int[batch], perEntry = new int[batch];
        for (int b = 0; b < batch; b++) perEntry[b] = b * tk;
        float[] blindRow = new float[batch * tq * tk];
        int[] entries = new int[batch];
        for (int b = 0; b < batch; b++) {
            entries[b] = b * tq * tk;
            System.arraycopy(keep, 0, blindRow, b * tq * tk, tq * tk);
        }
        java.util.Arrays.fill(blindRow, ((batch - 1) * tq + tq / 2) * tk, ((batch - 1) * tq + tq / 2 + 1) * tk, 0f);
        return new AttentionMaskLayout[] {null, new AttentionMaskLayout(additive, sameForAll, tk, 1, false),
            new AttentionMaskLayout(keep, sameForAll, tk, 1, true), new AttentionMaskLayout(padding, perEntry, 0, 1, false),
            new AttentionMaskLayout(front, perEntry, 0, 1, false), new AttentionMaskLayout(blindRow, entries, tk, 1, true)};
    }

    /**
     * Runs {@code run} into a fresh output of size floats at 1, 2 and 3 worker threads (the thread count restored
     * after) and asserts that the pool's sharing out of the units changes no bit; returns the 1-thread output.
     */
    static float[] sameBitsAtOneTwoAndThreeThreads(int size, Consumer<float[]> run, String what) {
        int before = Gemm.threads();
        try {
            float[][] out = new float[3][size];
            for (int threads = 1; threads <= 3; threads++) {
                Gemm.setThreads(threads);
                run.accept(out[threads - 1]);
            }
            assertArrayEquals(out[0], out[1], what + ": 2 threads against 1");
            assertArrayEquals(out[0], out[2], what + ": 3 threads against 1");
            return out[0];
        } finally {
            Gemm.setThreads(before);
        }
    }

    /** One case of the thread tests: its sizes and an input array of its own for each of q, k, v and g. */
    record ThreadCase(AttentionDims a, float[] q, float[] k, float[] v, float[] g) {
        int queries() {
            return a.batch() * a.tq() * a.d();
        }

        int keys() {
            return a.batch() * a.tk() * a.d();
        }
    }

    /**
     * The cases the thread tests share out: vit-tiny's many short entries (the row loop), and few entries long
     * enough for the packed GEMMs and the forward's query blocks (130 = 64 + 64 + 2), each causal or not.
     */
    static List<ThreadCase> threadCases(long seed) {
        List<ThreadCase> cases = new ArrayList<>();
        for (int[] s : new int[][] {{96, 17, 16}, {3, 130, 32}}) {
            for (boolean causal : new boolean[] {false, true}) {
                Random rnd = new Random(seed + cases.size());
                int n = s[0] * s[1] * s[2];
                cases.add(new ThreadCase(new AttentionDims(s[0], s[1], s[1], s[2], s[2], 0.25f, causal), random(rnd, n, -2f, 2f),
                        random(rnd, n, -2f, 2f), random(rnd, n, -1f, 1f), random(rnd, n, -1f, 1f)));
            }
        }
        return cases;
    }

    /** How a test names a case. */
    static String describe(String kernel, AttentionDims a, AttentionMaskLayout mask) {
        return kernel + " " + a + (mask == null ? "" : " mask " + mask.keep() + " " + mask.rowStride() + " "
                + java.util.Arrays.toString(mask.offsets()));
    }
}
