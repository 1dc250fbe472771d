package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GemmTransposeTest {
    @Test
    void availableAtEightAndSixteenLanes() {
        int lanes = GemmMicroKernel.LANES;
        assertEquals(lanes == 8 || lanes == 16, GemmTranspose.AVAILABLE, Simd.describe());
    }

    /** Every panel height of this width (BlockedGemm.panelRows) with depths around the transpose block. */
    static Stream<Arguments> panelHeightsAndDepths() {
        int lanes = GemmMicroKernel.LANES;
        return IntStream.rangeClosed(1, GemmMicroKernel.MR).map(tail -> BlockedGemm.panelRows(GemmMicroKernel.MR, GemmMicroKernel.MR + tail))
                .distinct().boxed()
                .flatMap(h -> IntStream.of(1, lanes - 1, lanes, lanes + 1, 2 * lanes + 1, 63, 65, 392).mapToObj(kc -> Arguments.of(kc, h)));
    }

    /**
     * The in-register transpose against the plain copy it replaces, with an offset and a padded row stride; past
     * GemmTranspose.MIDDLE_STEPS (128) steps in whole chunks (392: 384 steps at 16 lanes) and ending in a partial one
     * (200, 500).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 8, 9, 15, 16, 17, 63, 65, 200, 392, 500})
    void packedPanelEqualsTheScalarTranspose(int kc) {
        assumeTrue(GemmTranspose.AVAILABLE, "no register transposes at " + Simd.describe());
        int nr = GemmMicroKernel.NR, lanes = GemmMicroKernel.LANES, ld = kc + 5, src = 3, d = 11;
        float[] b = KernelTestSupport.random(new Random(kc), src + nr * ld, -1f, 1f);
        float[] want = new float[d + kc * nr + 4];
        float[] got = new float[want.length];
        java.util.Arrays.fill(want, -7f);
        java.util.Arrays.fill(got, -7f);
        int done = GemmTranspose.packPanel(b, src, ld, kc, got, d);
        assertEquals(kc / lanes * lanes, done);
        for (int p = 0; p < done; p++) {
            for (int j = 0; j < nr; j++) want[d + p * nr + j] = b[src + j * ld + p];
        }
        assertArrayEquals(want, got, "kc=" + kc);
    }

    /**
     * The A side: every panel height BlockedGemm.panelRows gives at this width (MR and the narrower panels that finish
     * a block) into steps as wide, spilling past the panel only into what is written later. Reads LANES rows.
     */
    @ParameterizedTest
    @MethodSource("panelHeightsAndDepths")
    void packedRowPanelEqualsTheScalarTranspose(int kc, int mr) {
        int lanes = GemmMicroKernel.LANES;
        assumeTrue(GemmTranspose.AVAILABLE, "no register transposes at " + Simd.describe());
        int ld = kc + 3, src = 2, d = 5;
        float[] a = KernelTestSupport.random(new Random(kc), src + lanes * ld, -1f, 1f);
        float[] got = new float[d + kc * mr + lanes];
        java.util.Arrays.fill(got, -7f);
        int done = GemmTranspose.packRowPanel(a, src, ld, kc, got, d, mr);
        assertEquals(kc / lanes * lanes, done);
        for (int p = 0; p < done; p++) {
            for (int r = 0; r < mr; r++) {
                assertEquals(a[src + r * ld + p], got[d + p * mr + r], "kc=" + kc + " step " + p + " row " + r);
            }
        }
        for (int i = 0; i < d; i++) assertEquals(-7f, got[i], "written before the panel at " + i);
    }
}
