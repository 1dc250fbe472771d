package org.panagrad.optim.secondorder;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.FlatParameters;
import org.panagrad.graph.Node;
import org.panagrad.io.TensorData;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.Map;

/**
 * AdaHessian (Yao et al., 2021): Adam with the second moment of the gradient replaced by that of a Hessian
 * diagonal. Each step runs one compiled program on the minibatch that yields the loss, the gradient g and a
 * Hessian-vector product H z for a Rademacher z; then
 * <pre>
 *   D   = spatial average of |z * Hz|              (Hutchinson; |z * Hz| = |Hz| for z = +-1)
 *   m   = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) D * D
 *   theta -= lr ( (m / (1 - beta1^t)) / ((v / (1 - beta2^t))^(k/2) + eps) + weightDecay theta )
 * </pre>
 * Spatial averaging: the paper averages the diagonal over a convolution kernel's spatial block; the authors'
 * reference code averages absolute values and uses block size 1 for dense (2-D) weights and for biases, which
 * is our default. A {@code spatialBlock} b > 1 averages each run of b consecutive entries of a weight row (its
 * last dimension: the outputs, for a Linear weight; b must divide the row length); biases are never averaged.
 * Weight decay is decoupled, as in the reference.
 * Defaults are the reference's: lr 0.15, betas (0.9, 0.999), eps 1e-4, Hessian power k = 1.
 * <p>
 * The probes z of step t are a pure function of the seed and t (the generator restarts from both each step),
 * so the {@link #snapshot() state} is only the two moments and the step count.
 */
public final class AdaHessian implements ClosureOptimizer {

    /** AdaHessian's hyperparameters, as the reference implementation names them, and the seed of its Rademacher probes. */
    public record Options(double lr, double beta1, double beta2, double eps, double weightDecay,
                          double hessianPower, int spatialBlock, CurvatureProduct.Kind hvp, long seed) {
        public Options {
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(hessianPower > 0 && hessianPower <= 1)) {
                throw new IllegalArgumentException("the Hessian power must be in (0, 1], got " + hessianPower);
            }
            if (spatialBlock < 1) throw new IllegalArgumentException("the spatial block must be >= 1, got " + spatialBlock);
            if (hvp == CurvatureProduct.Kind.GAUSS_NEWTON) {
                throw new IllegalArgumentException("AdaHessian estimates the Hessian's diagonal: use a Hessian mode, not " + hvp);
            }
        }

        public static Options defaults() {
            return new Options(0.15, 0.9, 0.999, 1e-4, 0, 1, 1, CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE, 0);
        }

        public Options withLr(double lr) {
            return new Options(lr, beta1, beta2, eps, weightDecay, hessianPower, spatialBlock, hvp, seed);
        }

        public Options withWeightDecay(double wd) {
            return new Options(lr, beta1, beta2, eps, wd, hessianPower, spatialBlock, hvp, seed);
        }

        public Options withSpatialBlock(int block) {
            return new Options(lr, beta1, beta2, eps, weightDecay, hessianPower, block, hvp, seed);
        }

        public Options withSeed(long s) {
            return new Options(lr, beta1, beta2, eps, weightDecay, hessianPower, spatialBlock, hvp, s);
        }
    }

    private final Options options;
    private final FlatParameters flat;
    private final CurvatureProduct hessian;
    private final HutchinsonDiagonal hutchinson;
    private final List<Program> programs;
    /** For each parameter: its offset in the flat vector, its row length (0 for a bias: no averaging). */
    private final int[] offsets, rowLengths;
    public static final String NAME = "adahessian";
    // The names of the reference implementation's state.
    private static final String EXP_AVG = "exp_avg", EXP_HESSIAN_DIAG_SQ = "exp_hessian_diag_sq", STEPS = "steps";

    private final float[] theta, g, d, m, v;
    private long steps;

    private AdaHessian(ParameterStore store, Objective objective, Options options) {
        if (objective.curvatureLoss() != objective.loss()) {
            throw new IllegalArgumentException("AdaHessian takes gradient and Hessian on the same minibatch; the "
                    + "objective has a separate curvature loss " + objective.curvatureLoss().describe());
        }
        this.options = options;
        List<Node> params = objective.params();
        this.flat = new FlatParameters(store, params);
        this.hessian = CurvatureProduct.compile(store, objective.loss(), params, options.hvp());
        this.hutchinson = new HutchinsonDiagonal(hessian, options.seed());
        this.programs = List.of(hessian.program());
        this.offsets = new int[params.size()];
        this.rowLengths = new int[params.size()];
        int off = 0;
        for (int i = 0; i < params.size(); i++) {
            Node p = params.get(i);
            offsets[i] = off;
            off += p.shape().numel();
            int[] dims = p.shape().dims();
            rowLengths[i] = dims.length >= 2 ? dims[dims.length - 1] : 0;
            if (rowLengths[i] > 0 && rowLengths[i] % options.spatialBlock() != 0) {
                throw new IllegalArgumentException("spatial block " + options.spatialBlock() + " does not divide the rows of "
                        + p.describe() + " (length " + rowLengths[i] + ")");
            }
        }
        int n = flat.dimension();
        this.theta = new float[n];
        this.g = new float[n];
        this.d = new float[n];
        this.m = new float[n];
        this.v = new float[n];
    }

    /** Compiles one program on the objective's loss giving loss, gradient and Hessian-vector product. */
    public static AdaHessian create(ParameterStore store, Objective objective, Options options) {
        return new AdaHessian(store, objective, options);
    }

    @Override
    public List<Program> programs() {
        return programs;
    }

    @Override
    public float step() {
        hutchinson.restartProbes(SplitMix64.streamSeed(options.seed(), steps));
        hutchinson.sample(d);
        float loss = hessian.loss();
        hessian.gradient(g);
        for (int i = 0; i < d.length; i++) d[i] = Math.abs(d[i]);
        spatialAverage(d);
        steps++;
        double b1 = options.beta1(), b2 = options.beta2();
        double bc1 = 1 - Math.pow(b1, steps), bc2 = 1 - Math.pow(b2, steps);
        double halfPower = options.hessianPower() / 2;
        float lr = (float) options.lr(), eps = (float) options.eps(), wd = (float) options.weightDecay();
        flat.read(theta);
        for (int i = 0; i < theta.length; i++) {
            m[i] = (float) (b1 * m[i] + (1 - b1) * g[i]);
            v[i] = (float) (b2 * v[i] + (1 - b2) * d[i] * d[i]);
            double vHat = v[i] / bc2;
            double denom = (halfPower == 0.5 ? Math.sqrt(vHat) : Math.pow(vHat, halfPower)) + eps;
            theta[i] -= lr * (float) (m[i] / bc1 / denom) + lr * wd * theta[i];
        }
        flat.write(theta);
        return loss;
    }

    /** Replaces each run of spatialBlock consecutive entries of every weight row by its mean. */
    private void spatialAverage(float[] x) {
        int b = options.spatialBlock();
        if (b == 1) return;
        for (int p = 0; p < offsets.length; p++) {
            if (rowLengths[p] == 0) continue;
            int end = p + 1 < offsets.length ? offsets[p + 1] : x.length;
            for (int start = offsets[p]; start < end; start += b) {
                float s = 0;
                for (int k = 0; k < b; k++) s += x[start + k];
                float mean = s / b;
                for (int k = 0; k < b; k++) x[start + k] = mean;
            }
        }
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
        int[] shape = {m.length};
        return new OptimizerSnapshot(NAME, List.of(new TensorData(EXP_AVG, shape, m.clone()),
                new TensorData(EXP_HESSIAN_DIAG_SQ, shape.clone(), v.clone())), Map.of(STEPS, Long.toString(steps)));
    }

    @Override
    public void restore(OptimizerSnapshot state) {
        state.requireOptimizer(NAME);
        state.requireTensorNames(EXP_AVG, EXP_HESSIAN_DIAG_SQ);
        float[] savedM = state.tensor(EXP_AVG, m.length), savedV = state.tensor(EXP_HESSIAN_DIAG_SQ, v.length);
        long savedSteps = state.countScalar(STEPS);
        System.arraycopy(savedM, 0, m, 0, m.length);
        System.arraycopy(savedV, 0, v, 0, v.length);
        steps = savedSteps;
    }
}
