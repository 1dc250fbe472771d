package org.panagrad.optim.secondorder;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LevenbergMarquardtTest {

    @Test
    void theReductionRatioRaisesKeepsOrLowersTheDamping() {
        LevenbergMarquardt lm = new LevenbergMarquardt(1, 1e-3, 1e3);
        assertEquals(1.5, lm.update(0.1), 1e-15, "poor model: rho < 1/4");
        assertEquals(2.25, lm.update(-3), 1e-15, "the loss went up");
        assertEquals(2.25, lm.update(0.5), 1e-15, "rho in [1/4, 3/4] keeps the damping");
        assertEquals(2.25, lm.update(0.25), 1e-15, "1/4 itself is not poor");
        assertEquals(2.25, lm.update(0.75), 1e-15, "3/4 itself is not good");
        assertEquals(1.5, lm.update(0.9), 1e-15, "good model: rho > 3/4");
        assertEquals(2.25, lm.update(Double.NaN), 1e-15, "no predicted decrease counts as poor");
    }

    @Test
    void theDampingStaysWithinItsBounds() {
        LevenbergMarquardt lm = new LevenbergMarquardt(1, 0.5, 2);
        for (int i = 0; i < 10; i++) lm.update(1);
        assertEquals(0.5, lm.damping());
        for (int i = 0; i < 10; i++) lm.update(0);
        assertEquals(2, lm.damping());
        assertThrows(IllegalArgumentException.class, () -> new LevenbergMarquardt(3, 0.5, 2));
    }
}
