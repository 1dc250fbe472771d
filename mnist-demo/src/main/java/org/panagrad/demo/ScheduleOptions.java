package org.panagrad.demo;

import org.panagrad.optim.LearningRateSchedule;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * {@code train}'s learning-rate schedule and weight decay, and each zoo model's recipe: what a run gets when the
 * command line does not say. The schedule is a function of the optimizer's step count, which a checkpoint
 * saves, so a resumed run continues at exactly the learning rate where it stopped; the compiled step reads the
 * rate from a variable the optimizer writes before each step, so a schedule never recompiles anything.
 */
final class ScheduleOptions {
    /** The learning rate over a run: constant, StepLR/MultiStepLR, CosineAnnealingLR (per step). */
    enum Kind {
        CONSTANT, STEP, COSINE;

        String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A model's defaults for the optimizer named: they apply only when that optimizer is the one used (another
     * optimizer starts from its own defaults: constant rate, PyTorch's weight decay).
     *
     * @param warmupSteps linear warm-up steps before the schedule
     */
    record Recipe(OptimizerChoice optimizer, double lr, Kind schedule, int warmupSteps, double weightDecay) {
        /**
         * CNNs: SGD momentum 0.9 with cosine decay and L2 weight decay 5e-4 (the usual ResNet recipe); vit-tiny:
         * AdamW, weight decay 0.05, 200 warm-up steps then cosine decay (as bench's VitTinyTraining, 98.68% in 10
         * epochs); the MLP keeps the constant rate the README's numbers were measured with.
         */
        static Recipe of(String model) {
            switch (model) {
                case "lenet5":
                case "resnet8":
                    return new Recipe(OptimizerChoice.MOMENTUM, 0.05, Kind.COSINE, 0, 5e-4);
                case "vit-tiny":
                    return new Recipe(OptimizerChoice.ADAMW, 2e-3, Kind.COSINE, 200, 0.05);
                default:
                    return new Recipe(OptimizerChoice.MOMENTUM, OptimizerChoice.MOMENTUM.defaultLearningRate, Kind.CONSTANT,
                            0, 0);
            }
        }
    }

    @Option(names = "--lr-schedule", paramLabel = "NAME", converter = KindConverter.class,
            completionCandidates = KindCandidates.class,
            description = {"How the learning rate moves over the run: ${COMPLETION-CANDIDATES} (default: the model's;"
                    + " cosine for lenet5, resnet8 and vit-tiny, constant for mlp).",
                    "step multiplies it by --lr-gamma every --lr-step epochs or at each of --lr-milestones; cosine"
                            + " decays it to --min-lr along half a cosine over all steps (per step, not per epoch)."})
    Kind schedule;

    @Option(names = "--warmup-steps", paramLabel = "N", description = "Raise the learning rate linearly over the first N"
            + " steps (default: 200 for vit-tiny, else 0).")
    Integer warmupSteps;

    @Option(names = "--warmup-epochs", paramLabel = "X", description = "The same warm-up given in epochs (may be"
            + " fractional).")
    Double warmupEpochs;

    @Option(names = "--lr-step", paramLabel = "EPOCHS", description = "With --lr-schedule step: decay every EPOCHS epochs"
            + " (StepLR).")
    Integer lrStep;

    @Option(names = "--lr-milestones", paramLabel = "E,E,...", split = ",", hideParamSyntax = true,
            description = "With --lr-schedule step: decay after each of these epochs (MultiStepLR; increasing).")
    List<Integer> milestones;

    @Option(names = "--lr-gamma", paramLabel = "X", description = "With --lr-schedule step: the factor of each decay"
            + " (default: 0.1).")
    Double gamma;

    @Option(names = "--min-lr", paramLabel = "X", description = "With --lr-schedule cosine: the last learning rate"
            + " (default: 0).")
    Double minLr;

    @Option(names = "--weight-decay", paramLabel = "X", description = {"L2 penalty added to the gradient for sgd, momentum"
            + " and adam; decoupled (shrinking the weights directly, times the learning rate) for adamw.",
            "Default: the model's for its optimizer (5e-4 for lenet5 and resnet8 with momentum, 0.05 for vit-tiny with"
                    + " adamw), else 0.01 for adamw (PyTorch's) and 0 for the others."})
    Double weightDecay;

    /** Range checks and combinations that need neither data nor a checkpoint, before any work. */
    void check(int epochs) {
        if (warmupSteps != null) OptionRanges.atLeast("--warmup-steps", warmupSteps, 0);
        if (warmupEpochs != null) OptionRanges.nonNegative("--warmup-epochs", warmupEpochs);
        if (warmupSteps != null && warmupEpochs != null) {
            throw new IllegalArgumentException("give --warmup-steps or --warmup-epochs, not both");
        }
        if (lrStep != null) OptionRanges.atLeast("--lr-step", lrStep, 1);
        if (gamma != null) OptionRanges.positive("--lr-gamma", gamma);
        if (minLr != null) OptionRanges.nonNegative("--min-lr", minLr);
        if (weightDecay != null) OptionRanges.nonNegative("--weight-decay", weightDecay);
        if (milestones != null) {
            for (int i = 0; i < milestones.size(); i++) {
                OptionRanges.atLeast("--lr-milestones", milestones.get(i), 1);
                if (i > 0 && milestones.get(i) <= milestones.get(i - 1)) {
                    throw new IllegalArgumentException("--lr-milestones " + joined(milestones) + ": expected increasing epochs");
                }
            }
        }
        if (lrStep != null && milestones != null) {
            throw new IllegalArgumentException("give --lr-step or --lr-milestones, not both");
        }
        if (milestones != null && milestones.get(milestones.size() - 1) > epochs) {
            throw OptionRanges.outOfRange("--lr-milestones", joined(milestones), "epochs up to --epochs " + epochs);
        }
        if (schedule != null) checkFits(schedule);
    }

    /**
     * The optimizer, learning rate, schedule and weight decay of a run of {@code model}.
     *
     * @param given the --optimizer given, or null for the model's
     * @param lr the --lr given, or null
     * @param stepsPerEpoch optimizer steps in one epoch (the last partial batch included)
     */
    Plan plan(String model, OptimizerChoice given, Double lr, int stepsPerEpoch, int epochs) {
        Recipe recipe = Recipe.of(model);
        OptimizerChoice optimizer = given != null ? given : recipe.optimizer();
        boolean fromRecipe = optimizer == recipe.optimizer();
        double rate = lr != null ? optimizer.learningRate(lr) : fromRecipe ? recipe.lr() : optimizer.learningRate(null);
        Kind kind = schedule != null ? schedule : fromRecipe ? recipe.schedule() : Kind.CONSTANT;
        check(kind, optimizer);
        long warmup = warmupSteps != null ? warmupSteps
                : warmupEpochs != null ? Math.round(warmupEpochs * stepsPerEpoch) : fromRecipe ? recipe.warmupSteps() : 0;
        double decay = weightDecay != null ? weightDecay : fromRecipe ? recipe.weightDecay() : optimizer.defaultWeightDecay();
        if (optimizer.kind == OptimizerChoice.Kind.CLOSURE) {
            return new Plan(optimizer, rate, Double.isNaN(rate) ? null : LearningRateSchedule.constant(rate), 0, "");
        }

        long total = (long) epochs * stepsPerEpoch;
        double g = gamma != null ? gamma : 0.1, floor = minLr != null ? minLr : 0;
        LearningRateSchedule shape;
        String text;
        switch (kind) {
            case STEP:
                if (milestones != null) {
                    long[] at = milestones.stream().mapToLong(e -> (long) e * stepsPerEpoch).toArray();
                    shape = LearningRateSchedule.multiStep(rate, at, g);
                    text = "x" + number(g) + " after epochs " + joined(milestones);
                } else {
                    shape = LearningRateSchedule.stepDecay(rate, (long) lrStep * stepsPerEpoch, g);
                    text = "x" + number(g) + " every " + lrStep + " epochs";
                }
                break;
            case COSINE:
                if (floor >= rate) throw OptionRanges.outOfRange("--min-lr", floor, "less than the learning rate " + rate);
                shape = LearningRateSchedule.cosine(rate, floor, total);
                text = "cosine to " + number(floor) + " over " + total + " steps";
                break;
            default:
                shape = LearningRateSchedule.constant(rate);
                text = "constant";
        }
        if (warmup > 0) {
            shape = shape.withWarmup(warmup);
            text += ", warm-up " + warmup + " steps";
        }
        if (decay > 0) text += ", weight decay " + number(decay);
        return new Plan(optimizer, rate, shape, decay, text);
    }

    /** Options that belong to another schedule, or a schedule an optimizer cannot follow, are errors, not ignored. */
    private void check(Kind kind, OptimizerChoice optimizer) {
        checkFits(kind);
        if (optimizer.kind == OptimizerChoice.Kind.CLOSURE) {
            boolean plain = (schedule == null || schedule == Kind.CONSTANT) && warmupSteps == null && warmupEpochs == null
                    && weightDecay == null;
            if (!plain) {
                throw new IllegalArgumentException("--lr-schedule, warm-up and --weight-decay apply to the compiled optimizers ("
                        + OptimizerChoice.names(OptimizerChoice.Kind.COMPILED) + "), not to --optimizer " + optimizer);
            }
        }
    }

    /** The schedule's own options given for another schedule are errors. */
    private void checkFits(Kind kind) {
        if (kind != Kind.STEP) {
            refuseUnless(lrStep == null, "--lr-step", "step");
            refuseUnless(milestones == null, "--lr-milestones", "step");
            refuseUnless(gamma == null, "--lr-gamma", "step");
        } else if (lrStep == null && milestones == null) {
            throw new IllegalArgumentException("--lr-schedule step needs --lr-step EPOCHS or --lr-milestones E,E,...");
        }
        if (kind != Kind.COSINE) refuseUnless(minLr == null, "--min-lr", "cosine");
    }

    /** 0.0005, not 5.0E-4. */
    static String number(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    private static void refuseUnless(boolean ok, String option, String schedule) {
        if (!ok) throw new IllegalArgumentException(option + " applies only to --lr-schedule " + schedule);
    }

    private static String joined(List<Integer> epochs) {
        return String.join(",", epochs.stream().map(String::valueOf).toArray(String[]::new));
    }

    /**
     * A run's resolved choices.
     *
     * @param schedule the rate per step; a closure optimizer's is its constant rate (it keeps its own step length),
     *                 null for one without a rate (newton-cg)
     * @param text how the schedule reads on the line that opens the run (empty for none)
     */
    record Plan(OptimizerChoice optimizer, double lr, LearningRateSchedule schedule, double weightDecay, String text) {}

    static final class KindConverter implements CommandLine.ITypeConverter<Kind> {
        @Override
        public Kind convert(String value) {
            for (Kind k : Kind.values()) if (k.cliName().equals(value.trim().toLowerCase(Locale.ROOT))) return k;
            throw new CommandLine.TypeConversionException("expected one of " + String.join(", ", new KindCandidates())
                    + ", got '" + value + "'");
        }
    }

    static final class KindCandidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(Kind.values()).map(Kind::cliName).iterator();
        }
    }
}
