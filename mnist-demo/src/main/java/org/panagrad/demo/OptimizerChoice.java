package org.panagrad.demo;

import org.panagrad.curvature.KfacOptimizer;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.secondorder.AdaHessian;
import org.panagrad.optim.secondorder.Lbfgs;
import org.panagrad.optim.secondorder.NewtonCg;
import org.panagrad.optim.secondorder.Objective;
import picocli.CommandLine;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import static org.panagrad.optim.LearningRateSchedule.constant;

/**
 * The optimizers {@code --optimizer} accepts. Adding one is adding a constant here: its command-line name, its
 * default learning rate and batch size, and how to build its {@link BatchStep} for a model. First-order
 * optimizers are compiled into the training step; second-order ones are closure optimizers running their own
 * programs.
 */
enum OptimizerChoice {
    SGD("sgd", Kind.COMPILED, 0.1, 128) {
        @Override
        Optimizer compiled(LearningRateSchedule lr, double weightDecay) {
            return Sgd.of(lr, 0, false, weightDecay);
        }
    },
    MOMENTUM("momentum", Kind.COMPILED, 0.05, 128) {
        @Override
        Optimizer compiled(LearningRateSchedule lr, double weightDecay) {
            return Sgd.of(lr, 0.9, false, weightDecay);
        }
    },
    ADAM("adam", Kind.COMPILED, 1e-3, 128) {
        @Override
        Optimizer compiled(LearningRateSchedule lr, double weightDecay) {
            return Adam.adam(lr, 0.9, 0.999, 1e-8, weightDecay);
        }
    },
    /** Adam with decoupled weight decay; PyTorch's default decay 0.01. */
    ADAMW("adamw", Kind.COMPILED, 1e-3, 128) {
        @Override
        Optimizer compiled(LearningRateSchedule lr, double weightDecay) {
            return Adam.adamW(lr, weightDecay);
        }

        @Override
        double defaultWeightDecay() {
            return 0.01;
        }
    },
    /** Hessian-free: Gauss-Newton products on a sub-batch; its step length comes from CG and a line search. */
    NEWTON_CG("newton-cg", Kind.CLOSURE, Double.NaN, 500) {
        @Override
        BatchStep create(Model model, int batch, int lastBatch, Settings s) {
            Model.Batch train = model.trainingBatch("train", batch);
            Model.Batch curvature = model.trainingBatch("train_curvature", s.newtonCg().curvatureBatch(batch));
            Objective objective = Objective.of(train.loss(), model.parameters()).withCurvatureLoss(curvature.loss());
            NewtonCg.Options options = NewtonCg.Options.defaults().withMaxCgIterations(s.newtonCg().cgIterations())
                    .withInitialDamping(s.newtonCg().damping());
            return new ClosureBatchStep(model, cliName, "the adapted damping and the previous CG direction",
                    NewtonCg.create(model.store, objective, options), List.of(train, curvature));
        }

        @Override
        String describe(Settings s, int batch) {
            return String.format(Locale.ROOT, "newton-cg (Gauss-Newton on %d of each batch, CG <= %d, damping %s)",
                    s.newtonCg().curvatureBatch(batch), s.newtonCg().cgIterations(), s.newtonCg().damping());
        }
    },
    /** The reference's lr 0.15 is tuned for ResNets; 0.05 trained MNIST's MLP well in bench/. */
    ADAHESSIAN("adahessian", Kind.CLOSURE, 0.05, 128) {
        @Override
        BatchStep create(Model model, int batch, int lastBatch, Settings s) {
            Model.Batch train = model.trainingBatch("train", batch);
            AdaHessian optimizer = AdaHessian.create(model.store, Objective.of(train.loss(), model.parameters()),
                    AdaHessian.Options.defaults().withLr(s.lr()).withSeed(s.seed()));
            return new ClosureBatchStep(model, cliName, "the moments and the step count", optimizer, List.of(train));
        }
    },
    /** K-FAC: Kronecker-factored natural gradient with sampled-label factors, damping, momentum and KL clipping. */
    KFAC("kfac", Kind.CLOSURE, KfacOptimizer.Options.defaults().lr(), 128) {
        @Override
        BatchStep create(Model model, int batch, int lastBatch, Settings s) {
            Model.Batch train = model.trainingBatch("train", batch);
            KfacOptimizer optimizer = KfacOptimizer.create(model.store, train.loss(), train.logits(), train.layers(),
                    s.kfac().options(s.lr(), s.seed()));
            return new ClosureBatchStep(model, cliName, "the momentum and the Kronecker factors", optimizer, List.of(train));
        }

        @Override
        String describe(Settings s, int batch) {
            KfacOptimizer.Options o = s.kfac().options(s.lr(), s.seed());
            return String.format(Locale.ROOT, "kfac lr %s (x%s every %d steps; damping %s, momentum %s, KL clip %s, factors"
                    + " every %d steps, inverses every %d)", o.lr(), o.lrGamma(), o.lrStepSize(), o.damping(), o.momentum(),
                    o.klClip(), o.factorInterval(), o.inverseInterval());
        }
    },
    /** Large batches: the (s, y) pairs measure curvature on one minibatch, and small ones make them noise. */
    LBFGS("lbfgs", Kind.CLOSURE, 1.0, 1000) {
        @Override
        BatchStep create(Model model, int batch, int lastBatch, Settings s) {
            Model.Batch train = model.trainingBatch("train", batch);
            Lbfgs.Options d = Lbfgs.Options.defaults();
            Lbfgs optimizer = Lbfgs.create(model.store, Objective.of(train.loss(), model.parameters()),
                    new Lbfgs.Options(s.lr(), d.history(), d.armijo(), d.backtrack(), d.maxBacktracks()));
            return new ClosureBatchStep(model, cliName, "the last " + d.history() + " (s, y) pairs", optimizer, List.of(train));
        }
    };

    /**
     * The hyperparameters from the command line, defaults filled in.
     *
     * @param lr the learning rate (NaN for Newton-CG, which has none); the schedule's starting value
     * @param schedule the learning rate per step, for the compiled optimizers
     * @param scheduleText how the schedule and weight decay read in the run's opening line (empty for none)
     */
    record Settings(double lr, long seed, NewtonCgOptions newtonCg, KfacOptions kfac, LearningRateSchedule schedule,
                    double weightDecay, String scheduleText) {
        /** A constant learning rate, no weight decay. */
        Settings(double lr, long seed, NewtonCgOptions newtonCg) {
            this(lr, seed, newtonCg, new KfacOptions(), constant(lr), 0, "");
        }
    }

    /** Compiled into the training step (first-order), or running programs of its own (closure). */
    enum Kind { COMPILED, CLOSURE }

    final String cliName;
    final Kind kind;
    /** NaN: the optimizer takes no learning rate. */
    final double defaultLearningRate;
    final int defaultBatch;

    OptimizerChoice(String cliName, Kind kind, double defaultLearningRate, int defaultBatch) {
        this.cliName = cliName;
        this.kind = kind;
        this.defaultLearningRate = defaultLearningRate;
        this.defaultBatch = defaultBatch;
    }

    /** The step for minibatches of {@code batch} images and, when nonzero, a last one of {@code lastBatch}. */
    BatchStep create(Model model, int batch, int lastBatch, Settings settings) {
        return new CompiledBatchStep(model, cliName, compiled(settings), batch, lastBatch);
    }

    /** The first-order optimizer to compile into a training step, following {@code lr} step by step. */
    Optimizer compiled(LearningRateSchedule lr, double weightDecay) {
        throw new IllegalArgumentException(cliName + " is not compiled into a training step: it runs programs of its own"
                + " (expected " + names(Kind.COMPILED) + ")");
    }

    /** The compiled optimizer at a constant rate and its default weight decay (what graph and profile show). */
    final Optimizer compiled(double lr) {
        return compiled(constant(lr), defaultWeightDecay());
    }

    final Optimizer compiled(Settings s) {
        return compiled(s.schedule(), s.weightDecay());
    }

    /** --weight-decay when neither it nor the model's recipe gives one. */
    double defaultWeightDecay() {
        return 0;
    }

    /** For the line that opens a run: the optimizer and its settings. */
    String describe(Settings s, int batch) {
        return cliName + " lr " + s.lr() + (s.scheduleText().isEmpty() ? "" : " (" + s.scheduleText() + ")");
    }

    /** The learning rate to use: the one given (checked), else the default. */
    double learningRate(Double given) {
        if (given == null) return defaultLearningRate;
        if (Double.isNaN(defaultLearningRate)) {
            throw new IllegalArgumentException("--lr does not apply to --optimizer " + cliName
                    + ": its step length comes from conjugate gradient and a line search (see --damping)");
        }
        return OptionRanges.positive("--lr", given);
    }

    static OptimizerChoice parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (OptimizerChoice c : values()) {
            if (c.cliName.equals(wanted)) return c;
        }
        throw new IllegalArgumentException("unknown optimizer '" + name + "' (expected " + names() + ")");
    }

    static String names() {
        return Arrays.stream(values()).map(c -> c.cliName).collect(Collectors.joining(", "));
    }

    static String names(Kind kind) {
        return Arrays.stream(values()).filter(c -> c.kind == kind).map(c -> c.cliName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return cliName;
    }

    static final class Converter implements CommandLine.ITypeConverter<OptimizerChoice> {
        @Override
        public OptimizerChoice convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Candidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(values()).map(c -> c.cliName).iterator();
        }
    }

    /** For graph and profile, which show the compiled training step. */
    static final class CompiledCandidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(values()).filter(c -> c.kind == Kind.COMPILED).map(c -> c.cliName).iterator();
        }
    }
}
