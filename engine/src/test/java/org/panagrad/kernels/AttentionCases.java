package org.panagrad.kernels;

import org.junit.jupiter.params.provider.Arguments;

import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.panagrad.kernels.KernelTestSupport.random;

/**
 * The sizes and masks every fused attention kernel test runs (forward, backward, second order): sizes around the
 * vector width and the key block (1 to 256 keys and queries), odd head dims (1 to 256); no mask, an additive mask
 * shared by the batch, a boolean one, and a padding mask per batch entry.
 */
final class AttentionCases {
    private AttentionCases() {}

    /** (batch, tq, tk, d, dv). */
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 1, 1, 1), Arguments.of(2, 3, 7, 5, 3), Arguments.of(1, 17, 17, 16, 16),
                Arguments.of(3, 5, 65, 7, 17), Arguments.of(1, 130, 130, 64, 64), Arguments.of(2, 9, 129, 33, 31),
                Arguments.of(1, 64, 64, 8, 40), Arguments.of(1, 3, 3, 3, 3), Arguments.of(1, 63, 63, 63, 63),
                Arguments.of(1, 65, 65, 65, 65), Arguments.of(2, 17, 64, 64, 17), Arguments.of(1, 256, 256, 64, 64),
                Arguments.of(1, 1, 256, 17, 65), Arguments.of(1, 256, 3, 1, 1), Arguments.of(1, 63, 17, 256, 3));
    }

    /**
     * No mask, additive, boolean (keeps each row's diagonal-ish key and two thirds of the rest) and padding (hides
     * key tk - 1 - b of entry b; with one key that hides all: {@link #hidesEveryKey}).
     */
    static AttentionMaskLayout[] masks(Random rnd, int batch, int tq, int tk) {
        float[] additive = random(rnd, tq * tk, -3f, 1f), keep = new float[tq * tk], padding = new float[batch * tk];
        for (int e = 0; e < keep.length; e++) keep[e] = e % (tk + 1) == 0 || rnd.nextInt(3) > 0 ? 1f : 0f;
        for (int b = 0; b < batch; b++) padding[b * tk + tk - 1 - Math.min(b, tk - 1)] = Float.NEGATIVE_INFINITY;
        int[] sameForAll = new int[batch], perEntry = new int[batch];
        for (int b = 0; b < batch; b++) perEntry[b] = b * tk;
        return new AttentionMaskLayout[] {null, new AttentionMaskLayout(additive, sameForAll, tk, 1, false),
            new AttentionMaskLayout(keep, sameForAll, tk, 1, true), new AttentionMaskLayout(padding, perEntry, 0, 1, false)};
    }

    /** Whether {@code mask} (one of {@link #masks}) hides every key of some row: the padding mask over one key. */
    static boolean hidesEveryKey(AttentionMaskLayout[] masks, AttentionMaskLayout mask, int tk) {
        return mask == masks[3] && tk == 1;
    }

    /**
     * What run writes into a fresh output of size floats at 1 and at 2 worker threads (the pool's split of batch
     * entries must change no bit), the thread count restored after.
     */
    static float[][] atOneAndTwoThreads(int size, Consumer<float[]> run) {
        int before = Gemm.threads();
        try {
            float[][] out = new float[2][size];
            for (int threads = 1; threads <= 2; threads++) {
                Gemm.setThreads(threads);
                run.accept(out[threads - 1]);
            }
            return out;
        } finally {
            Gemm.setThreads(before);
        }
    }

    /** How a test names a case. */
    static String describe(String kernel, AttentionDims a, AttentionMaskLayout mask) {
        return kernel + " " + a + (mask == null ? "" : " mask " + mask.keep() + " " + mask.rowStride());
    }
}
