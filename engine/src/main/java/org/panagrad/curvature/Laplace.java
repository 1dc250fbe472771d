package org.panagrad.curvature;

import org.panagrad.analysis.CurvatureOperator;
import org.panagrad.analysis.FlatParameters;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;
import org.panagrad.nn.LayerCall;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The Laplace approximation of a trained classifier (MacKay 1992; laplace-torch's design, Daxberger et al. 2021):
 * around the MAP parameters theta of a subset (all layers, or the last layer), the posterior is
 * N(theta, (H + delta I)^-1) with H the Gauss-Newton matrix of the summed loss over the N training examples and
 * delta the precision of an isotropic Gaussian prior. H is {@code diag} (exact diagonal), {@code kron} (KFLR:
 * N times the mean Kronecker factors' product) or {@code full} (explicit; last layer only).
 *
 * <p>The prior precision is tuned by maximising the log marginal likelihood
 * log p(D | theta) - delta/2 |theta|^2 + P/2 log delta - 1/2 log det(H + delta I) (the evidence of the Gaussian
 * approximation), which the eigenvalues of H make cheap for every delta. Predictions are either the probit
 * approximation of the linearised model (softmax of f_c / sqrt(1 + pi/8 var f_c)) or Monte Carlo averages of the
 * network's softmax over posterior samples of the parameters ({@link #sample}).
 */
public final class Laplace {
    /** Which parameters get a posterior. */
    public enum Subset {
        ALL("all"), LAST_LAYER("last-layer");

        public final String cliName;

        Subset(String cliName) {
            this.cliName = cliName;
        }

        public static Subset parse(String s) {
            for (Subset v : values()) if (v.cliName.equals(s.trim().toLowerCase(Locale.ROOT))) return v;
            throw new IllegalArgumentException("unknown Laplace subset '" + s + "' (expected all or last-layer)");
        }
    }

    /** How the Hessian of the subset is represented. */
    public enum Structure {
        DIAG, KRON, FULL;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Structure parse(String s) {
            for (Structure v : values()) if (v.cliName().equals(s.trim().toLowerCase(Locale.ROOT))) return v;
            throw new IllegalArgumentException("unknown Laplace Hessian structure '" + s + "' (expected diag, kron or full)");
        }
    }

    /** The training (or test) set as equal batches fed into a program's inputs. */
    public interface Batches {
        int count();

        /** Feeds batch b into the program's inputs. */
        void feed(int b, Program program);
    }

    private final Subset subset;
    private final Structure structure;
    private final List<LayerCall> layers;
    private final FlatParameters parameters;
    private final float[] map;
    private final CurvatureOperator hessian;
    private final int examples;
    private final double logLikelihood;
    private double[] eigenvalues;
    private double priorPrecision = 1;
    private float[][] fullBlocks;
    private double fullBlocksPrecision = Double.NaN;

    private Laplace(Subset subset, Structure structure, List<LayerCall> layers, FlatParameters parameters,
                    CurvatureOperator hessian, int examples, double logLikelihood) {
        this.subset = subset;
        this.structure = structure;
        this.layers = layers;
        this.parameters = parameters;
        this.map = new float[parameters.dimension()];
        parameters.read(map);
        this.hessian = hessian;
        this.examples = examples;
        this.logLikelihood = logLikelihood;
    }

    /**
     * Fits the Hessian on the training batches.
     *
     * @param logits        [batch, classes] logits of the model on the batches' input, by a pass with layer calls
     * @param allLayers     that pass's layer calls
     * @param examples      N, the training examples the batches hold
     * @param logLikelihood sum over the training set of log p(y | x, theta), at the MAP
     */
    public static Laplace fit(ParameterStore store, Node logits, List<LayerCall> allLayers, Subset subset,
                              Structure structure, Batches train, int examples, double logLikelihood) {
        if (allLayers.isEmpty()) throw new IllegalArgumentException("Laplace: the model has no layers");
        List<LayerCall> layers = subset == Subset.ALL ? List.copyOf(allLayers) : List.of(allLayers.get(allLayers.size() - 1));
        String method = "Laplace (" + subset.cliName + ", " + structure.cliName() + ")";
        if (structure == Structure.FULL && subset != Subset.LAST_LAYER) {
            throw new IllegalArgumentException("Laplace: --hessian full is for --subset last-layer only: the full Hessian of"
                    + " all parameters does not fit in memory; use kron or diag for all");
        }
        if (structure == Structure.FULL && layers.get(0).output() != logits) {
            throw new IllegalArgumentException("Laplace: the last layer '" + layers.get(0).name() + "' must produce the logits");
        }
        List<Node> params = new ArrayList<>();
        for (LayerCall call : layers) {
            LayerBackprop.requireSupported(call, method);
            StructuredLayer layer = StructuredLayers.of(call);
            params.add(layer.weight());
            if (layer.bias() != null) params.add(layer.bias());
        }
        FlatParameters flat = new FlatParameters(store, params);
        LayerBackprop backprop = LayerBackprop.compile(store, logits, layers, LayerBackprop.Vectors.HESSIAN_FACTOR, method,
                structure == Structure.KRON, structure != Structure.KRON);
        int batch = backprop.batch();
        if (train.count() * batch != examples) {
            throw new IllegalArgumentException(method + ": " + train.count() + " batches of " + batch + " are not the "
                    + examples + " examples");
        }
        SplittableRandom unused = new SplittableRandom(0);
        CurvatureOperator hessian = switch (structure) {
            case KRON -> {
                KroneckerFactors factors = new KroneckerFactors(backprop, "KFLR");
                for (int b = 0; b < train.count(); b++) {
                    train.feed(b, backprop.program());
                    backprop.run(unused);
                    factors.add(backprop, batch);
                }
                yield factors.curvature().scaled(examples);
            }
            case DIAG -> {
                EigenvalueRefit diagonal = EigenvalueRefit.diagonal(backprop);
                for (int b = 0; b < train.count(); b++) {
                    train.feed(b, backprop.program());
                    backprop.run(unused);
                    diagonal.add(batch);
                }
                yield diagonal.result().scaled(examples);
            }
            case FULL -> fullLastLayer(backprop, train);
        };
        return new Laplace(subset, structure, layers, flat, hessian, examples, logLikelihood);
    }

    /**
     * The explicit Gauss-Newton matrix of the last layer over the training set: with parameter (i, c) at i * C + c,
     * block (c, c') is sum_n H_n[c, c'] a_n a_n^T, H_n = diag(p_n) - p_n p_n^T; one GEMM per pair c <= c'.
     */
    private static DenseCurvature fullLastLayer(LayerBackprop backprop, Batches train) {
        int batch = backprop.batch(), classes = backprop.classes(), p = backprop.inputSize(0), size = p * classes;
        double[] h = new double[size * size];
        float[] inputs = new float[batch * p], weighted = new float[batch * p], block = new float[p * p];
        float[] probabilities = new float[batch * classes];
        SplittableRandom unused = new SplittableRandom(0);
        for (int b = 0; b < train.count(); b++) {
            train.feed(b, backprop.program());
            backprop.run(unused);
            backprop.readInputs(0, inputs);
            backprop.readProbabilities(probabilities);
            for (int c = 0; c < classes; c++) {
                for (int c2 = c; c2 < classes; c2++) {
                    for (int n = 0; n < batch; n++) {
                        float pc = probabilities[n * classes + c], pc2 = probabilities[n * classes + c2];
                        float w = (c == c2 ? pc : 0) - pc * pc2;
                        for (int i = 0; i < p; i++) weighted[n * p + i] = w * inputs[n * p + i];
                    }
                    Gemm.gemm(p, p, batch, 1f, GemmOperand.transposeOf(weighted, 0, p), GemmOperand.of(inputs, 0, p), 0f, GemmOperand.of(block, 0, p));
                    for (int i = 0; i < p; i++) {
                        for (int j = 0; j < p; j++) {
                            double v = block[i * p + j];
                            h[(i * classes + c) * size + j * classes + c2] += v;
                            if (c != c2) h[(j * classes + c2) * size + i * classes + c] += v;
                        }
                    }
                }
            }
        }
        return new DenseCurvature("the last layer's Gauss-Newton matrix", h, size);
    }

    /** The log marginal likelihood at prior precision delta (P/2 log 2 pi terms cancel between prior and posterior). */
    public double logMarginalLikelihood(double delta) {
        if (!(delta > 0)) throw new IllegalArgumentException("Laplace: the prior precision must be positive, got " + delta);
        double[] values = eigenvalues();
        double logDet = 0;
        for (double v : values) logDet += Math.log(Math.max(v, 0) + delta);
        double norm = 0;
        for (float t : map) norm += (double) t * t;
        return logLikelihood - 0.5 * delta * norm + 0.5 * values.length * Math.log(delta) - 0.5 * logDet;
    }

    /**
     * Sets the prior precision to the maximiser of the log marginal likelihood over [1e-6, 1e6]: a grid of
     * 121 points in log delta, then golden-section search between the best point's neighbours. Returns it.
     */
    public double tunePriorPrecision() {
        double lo = Math.log(1e-6), hi = Math.log(1e6);
        int points = 121;
        double best = Double.NEGATIVE_INFINITY;
        int bestIndex = 0;
        for (int i = 0; i < points; i++) {
            double v = logMarginalLikelihood(Math.exp(lo + (hi - lo) * i / (points - 1)));
            if (v > best) {
                best = v;
                bestIndex = i;
            }
        }
        double step = (hi - lo) / (points - 1);
        double a = lo + step * Math.max(bestIndex - 1, 0), b = lo + step * Math.min(bestIndex + 1, points - 1);
        double golden = (Math.sqrt(5) - 1) / 2;
        double x1 = b - golden * (b - a), x2 = a + golden * (b - a);
        double f1 = logMarginalLikelihood(Math.exp(x1)), f2 = logMarginalLikelihood(Math.exp(x2));
        for (int it = 0; it < 60 && b - a > 1e-8; it++) {
            if (f1 > f2) {
                b = x2;
                x2 = x1;
                f2 = f1;
                x1 = b - golden * (b - a);
                f1 = logMarginalLikelihood(Math.exp(x1));
            } else {
                a = x1;
                x1 = x2;
                f1 = f2;
                x2 = a + golden * (b - a);
                f2 = logMarginalLikelihood(Math.exp(x2));
            }
        }
        priorPrecision = Math.exp(0.5 * (a + b));
        return priorPrecision;
    }

    public double priorPrecision() {
        return priorPrecision;
    }

    public void setPriorPrecision(double delta) {
        if (!(delta > 0)) throw new IllegalArgumentException("Laplace: the prior precision must be positive, got " + delta);
        priorPrecision = delta;
    }

    private double[] eigenvalues() {
        if (eigenvalues == null) eigenvalues = hessian.eigenvalues();
        return eigenvalues;
    }

    /**
     * A program that backpropagates the logits' Jacobian to the subset's layers, for {@link #probit}: compile it
     * once per batch size over a forward pass (its logits and layer calls) of the same model.
     */
    public LayerBackprop jacobianProgram(ParameterStore store, Node logits, List<LayerCall> allLayers) {
        List<LayerCall> chosen = subset == Subset.ALL ? allLayers : List.of(allLayers.get(allLayers.size() - 1));
        return LayerBackprop.compile(store, logits, chosen, LayerBackprop.Vectors.JACOBIAN, "Laplace predictive", false, true);
    }

    /**
     * The probit predictive for the batch fed to {@code jacobian} (run here): out [batch, classes] =
     * softmax(f / sqrt(1 + pi/8 var f)), with f the MAP logits and var f their variance under the posterior of
     * the model linearised in the subset's parameters. {@code logits} are the MAP logits of the same batch.
     */
    public void probit(LayerBackprop jacobian, float[] logits, float[] out) {
        int batch = jacobian.batch(), classes = jacobian.classes();
        jacobian.run(new SplittableRandom(0));
        float[] variance = new float[batch * classes];
        if (hessian instanceof KroneckerCurvature k) {
            k.addLogitVariance(jacobian, priorPrecision, new KroneckerCurvature.Workspace(jacobian), variance);
        } else {
            addFullVariance(jacobian, variance);
        }
        for (int n = 0; n < batch; n++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double kappa = 1 / Math.sqrt(1 + Math.PI / 8 * variance[n * classes + c]);
                out[n * classes + c] = (float) (kappa * logits[n * classes + c]);
                max = Math.max(max, out[n * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(out[n * classes + c] - max);
            for (int c = 0; c < classes; c++) out[n * classes + c] = (float) (Math.exp(out[n * classes + c] - max) / sum);
        }
    }

    /** var f_c = a Sigma_cc a^T with Sigma_cc the posterior covariance block of class c's parameters. */
    private void addFullVariance(LayerBackprop jacobian, float[] variance) {
        int batch = jacobian.batch(), classes = jacobian.classes(), p = jacobian.inputSize(0);
        if (fullBlocks == null || fullBlocksPrecision != priorPrecision) {
            double[] sigma = ((DenseCurvature) hessian).inverse(priorPrecision);
            int size = p * classes;
            fullBlocks = new float[classes][p * p];
            for (int c = 0; c < classes; c++) {
                for (int i = 0; i < p; i++) {
                    for (int j = 0; j < p; j++) fullBlocks[c][i * p + j] = (float) sigma[(i * classes + c) * size + j * classes + c];
                }
            }
            fullBlocksPrecision = priorPrecision;
        }
        float[] inputs = new float[batch * p], products = new float[batch * p];
        jacobian.readInputs(0, inputs);
        for (int c = 0; c < classes; c++) {
            Gemm.gemm(batch, p, p, 1f, GemmOperand.of(inputs, 0, p), GemmOperand.of(fullBlocks[c], 0, p), 0f, GemmOperand.of(products, 0, p));
            for (int n = 0; n < batch; n++) {
                double s = 0;
                for (int i = 0; i < p; i++) s += (double) products[n * p + i] * inputs[n * p + i];
                variance[n * classes + c] += (float) s;
            }
        }
    }

    /**
     * Writes a posterior sample of the subset's parameters into the parameter store (the other parameters keep
     * their values); {@link #restoreMap} puts the MAP back.
     */
    public void sample(SplittableRandom rnd, float[] z, float[] draw) {
        for (int i = 0; i < z.length; i++) z[i] = (float) rnd.nextGaussian();
        hessian.sampleInverse(priorPrecision, z, draw);
        for (int i = 0; i < draw.length; i++) draw[i] += map[i];
        parameters.write(draw);
    }

    public void restoreMap() {
        parameters.write(map);
    }

    /** P, the number of parameters with a posterior. */
    public int dimension() {
        return map.length;
    }

    public CurvatureOperator hessian() {
        return hessian;
    }

    public Subset subset() {
        return subset;
    }

    public Structure structure() {
        return structure;
    }

    public int examples() {
        return examples;
    }

    public List<String> layers() {
        List<String> names = new ArrayList<>();
        for (LayerCall c : layers) names.add(c.name());
        return names;
    }
}
