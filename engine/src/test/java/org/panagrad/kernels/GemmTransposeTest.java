package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
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
}
