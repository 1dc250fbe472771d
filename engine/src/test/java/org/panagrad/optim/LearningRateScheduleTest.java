package org.panagrad.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Schedules against the formulas of torch.optim.lr_scheduler. */
class LearningRateScheduleTest {
    @Test
    void stepDecayMultipliesByGammaEveryStepSize() {
        LearningRateSchedule s = LearningRateSchedule.stepDecay(0.1, 30, 0.1);
        assertEquals(0.1, s.at(0), 1e-15);
        assertEquals(0.1, s.at(29), 1e-15);
        assertEquals(0.01, s.at(30), 1e-15);
        assertEquals(0.001, s.at(65), 1e-15);
    }

    @Test
    void multiStepMultipliesByGammaAtEachMilestone() {
        LearningRateSchedule s = LearningRateSchedule.multiStep(0.1, new long[] {3, 7}, 0.5);
        assertEquals(0.1, s.at(0), 1e-15);
        assertEquals(0.1, s.at(2), 1e-15);
        assertEquals(0.05, s.at(3), 1e-15);
        assertEquals(0.05, s.at(6), 1e-15);
        assertEquals(0.025, s.at(7), 1e-15);
        assertEquals(0.025, s.at(1_000_000), 1e-15);
        assertEquals(0.1, LearningRateSchedule.multiStep(0.1, new long[0], 0.5).at(99), 1e-15);
    }

    @Test
    void cosineGoesFromLrToMinAlongHalfACosine() {
        LearningRateSchedule s = LearningRateSchedule.cosine(0.1, 0.001, 100);
        assertEquals(0.1, s.at(0), 1e-15);
        assertEquals(0.001 + 0.5 * 0.099, s.at(50), 1e-12);
        assertEquals(0.001 + 0.5 * 0.099 * (1 + Math.cos(Math.PI * 0.25)), s.at(25), 1e-12);
        assertEquals(0.001, s.at(100), 1e-15);
        assertEquals(0.001, s.at(1000), 1e-15);
    }

    @Test
    void warmupRampsLinearlyThenFollowsTheSchedule() {
        LearningRateSchedule s = LearningRateSchedule.constant(0.4).withWarmup(4);
        assertEquals(0.1, s.at(0), 1e-15);
        assertEquals(0.2, s.at(1), 1e-15);
        assertEquals(0.4, s.at(3), 1e-15);
        assertEquals(0.4, s.at(10), 1e-15);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.stepDecay(0.1, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.multiStep(0.1, new long[] {5, 5}, 0.1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.multiStep(0.1, new long[] {0}, 0.1));
        assertThrows(IllegalArgumentException.class, () -> Sgd.of(t -> 0.1, 0, true, 0));
    }
}
