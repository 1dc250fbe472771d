package org.panagrad.optim.secondorder;

import org.panagrad.analysis.Vectors;
import org.panagrad.io.TensorData;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * L-BFGS, the baseline of first-order information: the two-loop recursion over the last {@code history}
 * pairs (s, y) of parameter and gradient changes, with the initial inverse Hessian scaled by s'y / y'y as in
 * torch.optim.LBFGS. One iteration per {@link #step()} (torch runs up to max_iter per call).
 * <p>
 * Line search: backtracking (Armijo) by default, or torch's strong-Wolfe option ({@link LineSearch#STRONG_WOLFE},
 * {@link StrongWolfeLineSearch}, whose curvature condition guarantees s'y &gt; 0). Either way its trials run the
 * gradient program, so the gradient at the accepted point comes for free and y is measured on the same minibatch
 * as s (pairs from two different minibatches would mix curvature with sampling noise). A pair with
 * s'y &lt;= 1e-10 (which Armijo does not exclude) is skipped, as torch does. The first step, without history, is scaled by
 * {@link FirstStep}: min(1, 1/|g|_1) lr by default, as in torch, or lr/|g|_2 (a step of length lr, as L-BFGS-B and
 * Breeze, MLlib's optimizer, take it); a direction that does not descend drops the history.
 * <p>
 * Its {@link #snapshot() state}: the pairs in use, oldest first, as tensors s and y of shape [pairs, n], their
 * rho = 1/s'y (exact doubles, as text), and the step count.
 */
public final class Lbfgs implements ClosureOptimizer {

    /**
     * @param lr      the first trial step size along the quasi-Newton direction (torch: 1)
     * @param history pairs kept (torch: 100; each pair costs two parameter-sized vectors)
     */
    public record Options(double lr, int history, double armijo, double backtrack, int maxBacktracks,
                          LineSearch lineSearch, FirstStep firstStep) {
        public Options {
            if (history < 1) throw new IllegalArgumentException("L-BFGS needs a history of at least 1, got " + history);
            if (!(lr > 0)) throw new IllegalArgumentException("the learning rate must be positive, got " + lr);
            if (lineSearch == null) throw new IllegalArgumentException("L-BFGS needs a line search");
            if (firstStep == null) throw new IllegalArgumentException("L-BFGS needs a first-step rule");
        }

        /** Backtracking (Armijo) with these constants, torch's first step. */
        public Options(double lr, int history, double armijo, double backtrack, int maxBacktracks) {
            this(lr, history, armijo, backtrack, maxBacktracks, LineSearch.ARMIJO, FirstStep.TORCH);
        }

        public static Options defaults() {
            return new Options(1.0, 10, 1e-4, 0.5, 30);
        }

        public Options withHistory(int m) {
            return new Options(lr, m, armijo, backtrack, maxBacktracks, lineSearch, firstStep);
        }

        /**
         * The same options with another line search; strong Wolfe uses c1 = {@code armijo}, c2 = 0.9 and
         * {@code maxBacktracks} evaluations at most.
         */
        public Options withLineSearch(LineSearch search) {
            return new Options(lr, history, armijo, backtrack, maxBacktracks, search, firstStep);
        }

        /** The same options with another scaling of the first step. */
        public Options withFirstStep(FirstStep first) {
            return new Options(lr, history, armijo, backtrack, maxBacktracks, lineSearch, first);
        }
    }

    /**
     * The length of the first trial step, before any pair sets the scale (later iterations try lr along the
     * direction the two-loop recursion scaled by s'y / y'y, Shanno and Phua's initial Hessian).
     */
    public enum FirstStep {
        /**
         * lr min(1, 1/|g|_1), torch.optim.LBFGS's: cautious on a problem with many parameters, where |g|_1 grows
         * with their number, so a strong-Wolfe search usually extrapolates before it accepts.
         */
        TORCH,
        /**
         * lr / |g|_2: a step of length lr along -g, as L-BFGS-B (Byrd, Lu, Nocedal and Zhu) and Breeze (MLlib's
         * L-BFGS) take it: independent of the number of parameters.
         */
        UNIT_LENGTH
    }

    /** How a step length along the quasi-Newton direction is chosen. */
    public enum LineSearch {
        /** Backtracking from the first trial until the loss decreases enough (sufficient decrease only). */
        ARMIJO,
        /** Bracketing and zooming until both strong Wolfe conditions hold, as torch's "strong_wolfe". */
        STRONG_WOLFE
    }

    public static final String NAME = "lbfgs";
    private static final String S = "s", Y = "y", RHO = "rho", STEPS = "steps";
    private static final double MIN_CURVATURE = 1e-10;

    private final Options options;
    private final SmoothFunction function;
    private final List<Program> programs;
    private final BacktrackingLineSearch lineSearch;
    private final BacktrackingLineSearch.Loss lossWithGradient;
    private final StrongWolfeLineSearch wolfe;
    private final StrongWolfeLineSearch.Line line;
    private double lineSlope;
    private final float[][] s, y;
    private final double[] rho, alpha;
    private final float[] g, gNew, d, theta0;
    private int count, newest = -1;
    private long steps;
    private double lastStepSize;
    /** The value at the current point, with g its gradient, when a step of a fixed-data function left them. */
    private double valueHere = Double.NaN;

    private Lbfgs(SmoothFunction function, List<Program> programs, Options options) {
        this.options = options;
        this.function = function;
        this.programs = programs;
        this.lineSearch = new BacktrackingLineSearch(options.armijo(), options.backtrack(), options.maxBacktracks());
        int n = function.dimension(), m = options.history();
        this.s = new float[m][n];
        this.y = new float[m][n];
        this.rho = new double[m];
        this.alpha = new double[m];
        this.g = new float[n];
        this.gNew = new float[n];
        this.d = new float[n];
        this.theta0 = new float[n];
        this.lossWithGradient = () -> function.valueAndGradient(gNew);
        this.wolfe = new StrongWolfeLineSearch(options.armijo(), StrongWolfeLineSearch.C2, options.maxBacktracks());
        this.line = new StrongWolfeLineSearch.Line() {
            @Override
            public double evaluate(double alpha) {
                BacktrackingLineSearch.moveTo(function, theta0, alpha, d);
                double f = function.valueAndGradient(gNew);
                lineSlope = Vectors.dot(gNew, d);
                return f;
            }

            @Override
            public double slope() {
                return lineSlope;
            }
        };
    }

    /** Compiles the loss-and-gradient program; the objective's curvature loss is not used. */
    public static Lbfgs create(ParameterStore store, Objective objective, Options options) {
        CompiledFunction f = new CompiledFunction(store, objective, null);
        return new Lbfgs(f, f.programs(), options);
    }

    /**
     * L-BFGS on any function (a distributed data set's loss, say), from its current point; it has no programs
     * to feed. On a function with {@link SmoothFunction#fixedData() fixed data} a step starts from the value and
     * gradient where the last one ended, so an iteration costs only its line search's evaluations.
     */
    public static Lbfgs minimizing(SmoothFunction function, Options options) {
        return new Lbfgs(function, List.of(), options);
    }

    @Override
    public List<Program> programs() {
        return programs;
    }

    @Override
    public float step() {
        double f0 = function.fixedData() && !Double.isNaN(valueHere) ? valueHere : function.valueAndGradient(g);
        function.read(theta0);
        double first = direction();
        double slope = Vectors.dot(g, d);
        if (!(slope < 0)) {
            count = 0;
            first = direction();
            slope = Vectors.dot(g, d);
        }
        lastStepSize = options.lineSearch() == LineSearch.STRONG_WOLFE
                ? wolfe.search(line, f0, slope, first)
                : lineSearch.search(function, theta0, d, f0, slope, first, Double.NaN, lossWithGradient);
        if (lastStepSize > 0) {
            remember(lastStepSize);
            valueHere = lastValue();
            System.arraycopy(gNew, 0, g, 0, g.length); // the gradient at the accepted point
        } else {
            valueHere = f0; // back at theta0, whose gradient g still is
        }
        steps++;
        return (float) f0;
    }

    /** d = -H g by the two-loop recursion; returns the first trial step size. */
    private double direction() {
        Vectors.negate(g, d);
        if (count == 0) {
            if (options.firstStep() == FirstStep.TORCH) return options.lr() * Math.min(1, 1 / Vectors.norm1(g));
            double norm = Vectors.norm(g);
            return options.lr() / (norm > 0 ? norm : 1); // finite at g = 0, as torch's rule
        }
        int m = s.length;
        for (int k = 0, i = newest; k < count; k++, i = (i - 1 + m) % m) {
            alpha[i] = rho[i] * Vectors.dot(s[i], d);
            Vectors.axpy(-alpha[i], y[i], d);
        }
        Vectors.scale(1 / (rho[newest] * Vectors.dot(y[newest], y[newest])), d);
        for (int k = 0, i = (newest - count + 1 + m) % m; k < count; k++, i = (i + 1) % m) {
            double beta = rho[i] * Vectors.dot(y[i], d);
            Vectors.axpy(alpha[i] - beta, s[i], d);
        }
        return options.lr();
    }

    /** Stores s = step * d and y = g(theta0 + s) - g(theta0), both on this minibatch, if s'y is positive. */
    private void remember(double step) {
        double sy = 0;
        for (int i = 0; i < d.length; i++) sy += step * d[i] * ((double) gNew[i] - g[i]);
        if (sy <= MIN_CURVATURE) return; // checked before writing: the slot may hold the oldest pair still in use
        int next = (newest + 1) % s.length;
        float[] sn = s[next];
        for (int i = 0; i < sn.length; i++) sn[i] = (float) (step * d[i]);
        Vectors.sub(gNew, g, y[next]);
        rho[next] = 1 / sy;
        newest = next;
        count = Math.min(count + 1, s.length);
    }

    @Override
    public long stepCount() {
        return steps;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptimizerSnapshot snapshot() {
        int n = g.length, m = s.length;
        float[] sOut = new float[count * n], yOut = new float[count * n];
        double[] rhoOut = new double[count];
        for (int k = 0, i = (newest - count + 1 + m) % m; k < count; k++, i = (i + 1) % m) {
            System.arraycopy(s[i], 0, sOut, k * n, n);
            System.arraycopy(y[i], 0, yOut, k * n, n);
            rhoOut[k] = rho[i];
        }
        return new OptimizerSnapshot(NAME, List.of(new TensorData(S, new int[] {count, n}, sOut),
                new TensorData(Y, new int[] {count, n}, yOut)),
                Map.of(RHO, OptimizerSnapshot.doubleListText(rhoOut), STEPS, Long.toString(steps)));
    }

    /** Takes the pairs into slots 0..pairs-1, newest last: the order, not the slots, is what the steps use. */
    @Override
    public void restore(OptimizerSnapshot state) {
        state.requireOptimizer(NAME);
        state.requireTensorNames(S, Y);
        int n = g.length, m = s.length;
        int[] shape = state.shapeOf(S);
        int pairs = shape.length == 2 ? shape[0] : -1;
        if (pairs < 0 || pairs > m) {
            throw new IllegalArgumentException(NAME + " state: tensor '" + S + "' has shape " + Arrays.toString(shape)
                    + "; expected [pairs, " + n + "] with at most " + m + " pairs (the history this optimizer keeps)");
        }
        float[] savedS = state.tensor(S, pairs, n), savedY = state.tensor(Y, pairs, n);
        double[] savedRho = state.doubleList(RHO, pairs);
        long savedSteps = state.countScalar(STEPS);
        for (int k = 0; k < pairs; k++) {
            System.arraycopy(savedS, k * n, s[k], 0, n);
            System.arraycopy(savedY, k * n, y[k], 0, n);
            rho[k] = savedRho[k];
        }
        count = pairs;
        newest = pairs - 1;
        steps = savedSteps;
        valueHere = Double.NaN;
    }

    /** The step size the last line search accepted (0: no step). */
    public double lastStepSize() {
        return lastStepSize;
    }

    /** The minibatch loss where the last step left the parameters. */
    public float lastLoss() {
        return (float) lastValue();
    }

    private double lastValue() {
        return options.lineSearch() == LineSearch.STRONG_WOLFE ? wolfe.lastValue() : lineSearch.lastLoss();
    }

    /** Whether the last strong-Wolfe line search ended at a step meeting both conditions. */
    public boolean lastStepSatisfiedWolfe() {
        return options.lineSearch() == LineSearch.STRONG_WOLFE && wolfe.lastSatisfiedWolfe();
    }
}
