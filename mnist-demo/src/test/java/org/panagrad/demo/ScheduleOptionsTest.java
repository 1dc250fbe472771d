package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.panagrad.optim.LearningRateSchedule;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train's --lr-schedule options and each model's recipe, without training. */
class ScheduleOptionsTest {
    /** The parsed options of {@code train args}, checked as the command checks them for {@code epochs}. */
    private static TrainCommand parse(int epochs, String... args) {
        TrainCommand c = new TrainCommand();
        new CommandLine(c).parseArgs(args);
        c.schedule.check(epochs);
        return c;
    }

    private static ScheduleOptions.Plan plan(String model, int stepsPerEpoch, int epochs, String... args) {
        TrainCommand c = parse(epochs, args);
        return c.schedule.plan(model, c.optimizer, c.lr, stepsPerEpoch, epochs);
    }

    @Test
    void eachModelHasItsRecipe() {
        ScheduleOptions.Plan vit = plan("vit-tiny", 469, 10);
        assertEquals(OptimizerChoice.ADAMW, vit.optimizer());
        assertEquals(0.05, vit.weightDecay());
        assertEquals("cosine to 0 over 4690 steps, warm-up 200 steps, weight decay 0.05", vit.text());
        LearningRateSchedule expected = LearningRateSchedule.cosine(2e-3, 0, 4690).withWarmup(200);
        for (long step : new long[] {0, 1, 199, 200, 2345, 4689}) assertEquals(expected.at(step), vit.schedule().at(step));

        ScheduleOptions.Plan cnn = plan("resnet8", 469, 10);
        assertEquals(OptimizerChoice.MOMENTUM, cnn.optimizer());
        assertEquals("cosine to 0 over 4690 steps, weight decay 0.0005", cnn.text());
        assertEquals(0.05, cnn.schedule().at(0));
        assertEquals(0.025, cnn.schedule().at(2345), 1e-12);

        ScheduleOptions.Plan mlp = plan("mlp", 469, 10);
        assertEquals("constant", mlp.text());
        assertEquals(0.05, mlp.schedule().at(4000));
    }

    @Test
    void anotherOptimizerStartsFromItsOwnDefaults() {
        ScheduleOptions.Plan adam = plan("resnet8", 100, 5, "--optimizer", "adam");
        assertEquals(1e-3, adam.lr());
        assertEquals("constant", adam.text());
        assertEquals(0.01, plan("mlp", 100, 5, "--optimizer", "adamw").weightDecay()); // torch.optim.AdamW's
        assertEquals(0.03, plan("vit-tiny", 100, 5, "--lr", "0.03").lr()); // the recipe's optimizer, another rate
    }

    @Test
    void stepDecayCountsEpochsAndMilestones() {
        ScheduleOptions.Plan every = plan("mlp", 10, 6, "--lr-schedule", "step", "--lr-step", "2", "--lr-gamma", "0.5");
        assertEquals(0.05, every.schedule().at(19));
        assertEquals(0.025, every.schedule().at(20));
        assertEquals(0.0125, every.schedule().at(59));
        assertEquals("x0.5 every 2 epochs", every.text());

        ScheduleOptions.Plan at = plan("mlp", 10, 6, "--lr-schedule", "step", "--lr-milestones", "1,4", "--warmup-epochs", "0.5");
        assertEquals(0.05 / 5, at.schedule().at(0), 1e-15); // warm-up over 5 steps
        assertEquals(0.05, at.schedule().at(9), 1e-15);
        assertEquals(0.005, at.schedule().at(10), 1e-15);
        assertEquals(0.0005, at.schedule().at(40), 1e-15);
        assertEquals("x0.1 after epochs 1,4, warm-up 5 steps", at.text());
    }

    @Test
    void cosineEndsAtMinLr() {
        ScheduleOptions.Plan p = plan("lenet5", 10, 3, "--min-lr", "0.001", "--weight-decay", "0");
        assertEquals(0.001, p.schedule().at(30), 1e-15);
        assertEquals("cosine to 0.001 over 30 steps", p.text());
    }

    @Test
    void closureOptimizersKeepAConstantRate() {
        ScheduleOptions.Plan p = plan("resnet8", 100, 5, "--optimizer", "lbfgs");
        assertEquals(1.0, p.schedule().at(300)); // its own trial step, constant
        assertEquals("", p.text());
        assertNull(plan("resnet8", 100, 5, "--optimizer", "newton-cg").schedule());
    }

    @Test
    void wrongCombinationsAndRangesFailNamingTheOption() {
        assertFails("--lr-schedule step needs --lr-step", 5, "--lr-schedule", "step");
        assertFails("--min-lr applies only to --lr-schedule cosine", 5, "--lr-schedule", "step", "--lr-step", "1", "--min-lr", "0");
        assertFails("--lr-gamma applies only to --lr-schedule step", 5, "--lr-schedule", "cosine", "--lr-gamma", "0.5");
        assertFails("not both", 5, "--warmup-steps", "3", "--warmup-epochs", "1");
        assertFails("not both", 5, "--lr-step", "1", "--lr-milestones", "2");
        assertFails("--lr-milestones 3,2: expected increasing epochs", 5, "--lr-milestones", "3,2");
        assertFails("--lr-milestones 2,7 is out of range: expected epochs up to --epochs 5", 5, "--lr-milestones", "2,7");
        assertFails("--weight-decay -1 is out of range", 5, "--weight-decay", "-1");
        assertFails("--warmup-steps -1 is out of range", 5, "--warmup-steps", "-1");
        assertFails("--lr-step 0 is out of range", 5, "--lr-schedule", "step", "--lr-step", "0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> plan("mlp", 10, 5, "--optimizer", "kfac", "--lr-schedule", "cosine"));
        assertTrue(e.getMessage().contains("apply to the compiled optimizers (sgd, momentum, adam, adamw), not to --optimizer kfac"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> plan("mlp", 10, 5, "--lr-schedule", "step"));
        assertTrue(e.getMessage().contains("needs --lr-step"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> plan("mlp", 10, 5, "--lr-schedule", "cosine", "--min-lr", "0.05"));
        assertTrue(e.getMessage().contains("--min-lr 0.05 is out of range: expected less than the learning rate 0.05"),
                e.getMessage());
        CommandLine.ParameterException bad = assertThrows(CommandLine.ParameterException.class,
                () -> parse(5, "--lr-schedule", "linear"));
        assertTrue(bad.getMessage().contains("expected one of constant, step, cosine, got 'linear'"), bad.getMessage());
    }

    private static void assertFails(String message, int epochs, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(epochs, args));
        assertTrue(e.getMessage().contains(message), () -> "'" + message + "' in " + e.getMessage());
    }
}
