package org.panagrad.demo;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --augment's crop: a shift of the image within the padding, zeros where it moved in, reproducible per (seed, epoch, image). */
class RandomCropTest {
    @Test
    void everyCropIsAShiftWithinThePaddingAndReproducible() {
        int side = 6;
        float[] image = new float[side * side];
        for (int i = 0; i < image.length; i++) image[i] = i + 1;
        RandomCrop crop = new RandomCrop(side, 2, 7);
        java.util.Set<String> shifts = new java.util.HashSet<>();
        for (int k = 0; k < 200; k++) {
            float[] out = new float[side * side + 3];
            crop.copy(image, 0, out, 3, 1, k);
            float[] again = new float[side * side + 3];
            crop.copy(image, 0, again, 3, 1, k);
            assertArrayEquals(out, again);
            int dy = Integer.MIN_VALUE, dx = 0;
            for (int y = 0; y < side && dy == Integer.MIN_VALUE; y++) {
                for (int x = 0; x < side; x++) {
                    float v = out[3 + y * side + x];
                    if (v != 0) {
                        int src = (int) v - 1;
                        dy = src / side - y;
                        dx = src % side - x;
                        break;
                    }
                }
            }
            assertTrue(Math.abs(dy) <= 2 && Math.abs(dx) <= 2, "shift " + dy + ", " + dx);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    int sy = y + dy, sx = x + dx;
                    float expected = sy < 0 || sy >= side || sx < 0 || sx >= side ? 0 : image[sy * side + sx];
                    assertEquals(expected, out[3 + y * side + x], "pixel " + y + "," + x + " of crop " + k);
                }
            }
            shifts.add(dy + "," + dx);
        }
        assertEquals(25, shifts.size(), "every shift in [-2, 2]^2 occurs");
    }
}
