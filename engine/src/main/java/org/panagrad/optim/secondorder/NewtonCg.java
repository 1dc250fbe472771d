package org.panagrad.optim.secondorder;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.analysis.Vectors;
import org.panagrad.io.TensorData;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.Map;

/**
 * Newton-CG, or Hessian-free optimization in the manner of Martens (2010). Each step:
 * <ol>
 * <li>the loss f and gradient g on the minibatch (one compiled program);</li>
 * <li>truncated conjugate gradient on (C + lambda I) d = -g, where C v is a Gauss-Newton-vector product
 *     (default) or a Hessian-vector product on the curvature sub-batch (one compiled, allocation-free program
 *     per product), started from the previous solution decayed by 0.95 and stopped by Martens' relative
 *     progress criterion or the iteration limit;</li>
 * <li>the reduction ratio rho = (f(theta + d) - f(theta)) / (q(d) - q(0)) with the undamped quadratic model
 *     q(d) - q(0) = g'd + d'Cd/2, which adapts lambda by the Levenberg-Marquardt rule
 *     ({@link LevenbergMarquardt});</li>
 * <li>a backtracking Armijo line search along d on the minibatch (a loss-only program), starting at alpha 1.</li>
 * </ol>
 * Not implemented from Martens' paper: CG-backtracking over the stored CG iterates and the diagonal
 * preconditioner. Every vector is preallocated; a step allocates nothing.
 * <p>
 * Its {@link #snapshot() state}: the damping lambda, the previous CG solution (the warm start) and the step count.
 */
public final class NewtonCg implements ClosureOptimizer {

    /**
     * @param curvature       Gauss-Newton (positive semi-definite, the default) or a Hessian mode
     * @param initialDamping  lambda at the first step
     * @param minDamping      the floor of lambda, and {@code maxDamping} its ceiling
     * @param maxCgIterations CG iterations per step at most (Martens used up to 250)
     * @param cgTolerance     epsilon of the relative-progress stopping criterion (Martens: 5e-4)
     * @param warmStartDecay  the previous CG solution times this starts the next CG (Martens: 0.95)
     * @param armijo          sufficient-decrease constant c of the line search
     * @param backtrack       step-size factor per rejected trial
     * @param maxBacktracks   trials before giving up (no step)
     */
    public record Options(CurvatureProduct.Kind curvature, double initialDamping, double minDamping, double maxDamping,
                          int maxCgIterations, double cgTolerance, double warmStartDecay, double armijo,
                          double backtrack, int maxBacktracks) {
        public static Options defaults() {
            return new Options(CurvatureProduct.Kind.GAUSS_NEWTON, 1.0, 1e-8, 1e8, 50, 5e-4, 0.95, 1e-2, 0.8, 20);
        }

        public Options withCurvature(CurvatureProduct.Kind kind) {
            return new Options(kind, initialDamping, minDamping, maxDamping, maxCgIterations, cgTolerance,
                    warmStartDecay, armijo, backtrack, maxBacktracks);
        }

        public Options withInitialDamping(double lambda) {
            return new Options(curvature, lambda, Math.min(minDamping, lambda), Math.max(maxDamping, lambda),
                    maxCgIterations, cgTolerance, warmStartDecay, armijo, backtrack, maxBacktracks);
        }

        public Options withMaxCgIterations(int n) {
            return new Options(curvature, initialDamping, minDamping, maxDamping, n, cgTolerance, warmStartDecay,
                    armijo, backtrack, maxBacktracks);
        }
    }

    private final SmoothFunction function;
    private LinearOperator curvatureAtPoint;
    private final List<Program> programs;
    private final Options options;
    private final LevenbergMarquardt damping;
    private final ConjugateGradient cg;
    private final BacktrackingLineSearch lineSearch;
    private final ConjugateGradient.Operator dampedCurvature;
    private final BacktrackingLineSearch.Loss minibatchLoss;
    public static final String NAME = "newton-cg";
    private static final String PREVIOUS = "previous_direction", DAMPING = "damping", STEPS = "steps";

    private final float[] g, d, previous, theta0;
    private long steps;
    private int lastCgIterations;
    private double lastRho, lastAlpha, lastPredicted;

    private NewtonCg(SmoothFunction function, List<Program> programs, Options options) {
        this.options = options;
        this.function = function;
        this.programs = programs;
        this.damping = new LevenbergMarquardt(options.initialDamping(), options.minDamping(), options.maxDamping());
        int n = function.dimension();
        this.cg = new ConjugateGradient(n, options.maxCgIterations(), options.cgTolerance());
        this.lineSearch = new BacktrackingLineSearch(options.armijo(), options.backtrack(), options.maxBacktracks());
        this.g = new float[n];
        this.d = new float[n];
        this.previous = new float[n];
        this.theta0 = new float[n];
        this.dampedCurvature = (v, out) -> {
            curvatureAtPoint.apply(v, out);
            Vectors.axpy(damping.damping(), v, out);
        };
        this.minibatchLoss = function::value;
    }

    /** Compiles the gradient, loss and curvature-product programs over the objective. */
    public static NewtonCg create(ParameterStore store, Objective objective, Options options) {
        CompiledFunction f = new CompiledFunction(store, objective, options.curvature());
        return new NewtonCg(f, f.programs(), options);
    }

    /**
     * Newton-CG on any function (a distributed data set's loss, say), from its current point, with the
     * curvature the function gives ({@code options.curvature()} is the compiled programs' choice only); it has
     * no programs to feed.
     */
    public static NewtonCg minimizing(SmoothFunction function, Options options) {
        return new NewtonCg(function, List.of(), options);
    }

    @Override
    public List<Program> programs() {
        return programs;
    }

    @Override
    public float step() {
        double f0 = function.valueAndGradient(g);
        function.read(theta0);
        System.arraycopy(previous, 0, d, 0, d.length);
        Vectors.scale(options.warmStartDecay(), d);
        double lambda = damping.damping();
        // Every CG product is at theta0 on this minibatch: the forward pass and the rest that does not
        // depend on the direction run once, not once per product.
        curvatureAtPoint = function.curvature();
        lastCgIterations = cg.solve(dampedCurvature, g, d);
        System.arraycopy(d, 0, previous, 0, d.length);
        // The undamped model: phi = g'd + d'(C + lambda I)d/2, less lambda |d|^2 / 2.
        lastPredicted = cg.phi() - 0.5 * lambda * Vectors.dot(d, d);
        function.addScaled(1f, d);
        double f1 = function.value();
        lastRho = lastPredicted < 0 ? (f1 - f0) / lastPredicted : Double.NaN;
        damping.update(lastRho);
        lastAlpha = lineSearch.search(function, theta0, d, f0, Vectors.dot(g, d), 1.0, f1, minibatchLoss);
        steps++;
        return (float) f0;
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
        return new OptimizerSnapshot(NAME, List.of(new TensorData(PREVIOUS, new int[] {previous.length}, previous.clone())),
                Map.of(DAMPING, Double.toString(damping.damping()), STEPS, Long.toString(steps)));
    }

    @Override
    public void restore(OptimizerSnapshot state) {
        state.requireOptimizer(NAME);
        state.requireTensorNames(PREVIOUS);
        float[] savedPrevious = state.tensor(PREVIOUS, previous.length);
        double savedDamping = state.doubleScalar(DAMPING);
        long savedSteps = state.countScalar(STEPS);
        damping.restore(savedDamping);
        System.arraycopy(savedPrevious, 0, previous, 0, previous.length);
        steps = savedSteps;
    }

    /** The damping lambda for the next step. */
    public double damping() {
        return damping.damping();
    }

    public int lastCgIterations() {
        return lastCgIterations;
    }

    /** The reduction ratio of the last step (NaN when the model predicted no decrease). */
    public double lastReductionRatio() {
        return lastRho;
    }

    /** The step size the last line search accepted (0: no step). */
    public double lastStepSize() {
        return lastAlpha;
    }

    /** q(d) - q(0) of the last step: the decrease the undamped quadratic model predicted (negative). */
    public double lastPredictedChange() {
        return lastPredicted;
    }

    /** The minibatch loss where the last step left the parameters. */
    public float lastLoss() {
        return (float) lineSearch.lastLoss();
    }
}
