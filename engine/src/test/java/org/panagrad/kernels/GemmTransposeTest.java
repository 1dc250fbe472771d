package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GemmTransposeTest {
    /** The in-register transpose against the plain copy it replaces, with an offset and a padded row stride. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 8, 9, 15, 16, 17, 63, 65, 392})
    void packedPanelEqualsTheScalarTranspose(int kc) {
        assumeTrue(GemmTranspose.AVAILABLE, "8-lane species only");
        int nr = GemmMicroKernel.NR, ld = kc + 5, src = 3, d = 11;
        float[] b = KernelTestSupport.random(new Random(kc), src + nr * ld, -1f, 1f);
        float[] want = new float[d + kc * nr + 4];
        float[] got = new float[want.length];
        java.util.Arrays.fill(want, -7f);
        java.util.Arrays.fill(got, -7f);
        int done = GemmTranspose.packPanel(b, src, ld, kc, got, d);
        assertEquals(kc / 8 * 8, done);
        for (int p = 0; p < done; p++) {
            for (int j = 0; j < nr; j++) want[d + p * nr + j] = b[src + j * ld + p];
        }
        assertArrayEquals(want, got, "kc=" + kc);
    }

    /**
     * The A side: MR (or MR_EDGE) rows into steps as wide, spilling past the panel only into what is written
     * later.
     */
    @ParameterizedTest
    @CsvSource({"1, 6", "7, 6", "8, 6", "9, 6", "16, 6", "17, 6", "63, 6", "65, 6", "392, 6",
            "1, 4", "8, 4", "9, 4", "17, 4", "65, 4", "392, 4"})
    void packedRowPanelEqualsTheScalarTranspose(int kc, int mr) {
        assumeTrue(GemmTranspose.AVAILABLE, "8-lane species only");
        int ld = kc + 3, src = 2, d = 5;
        float[] a = KernelTestSupport.random(new Random(kc), src + 8 * ld, -1f, 1f);
        float[] got = new float[d + kc * mr + 8];
        java.util.Arrays.fill(got, -7f);
        int done = GemmTranspose.packRowPanel(a, src, ld, kc, got, d, mr);
        assertEquals(kc / 8 * 8, done);
        for (int p = 0; p < done; p++) {
            for (int r = 0; r < mr; r++) {
                assertEquals(a[src + r * ld + p], got[d + p * mr + r], "kc=" + kc + " step " + p + " row " + r);
            }
        }
        for (int i = 0; i < d; i++) assertEquals(-7f, got[i], "written before the panel at " + i);
    }
}
