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
 * approximation), which the eigenvalues of H make cheap for every delta: one delta for all parameters, or one
 * per layer ({@link PriorStructure#LAYERWISE}), each layer's delta_l on its weight and bias. Predictions are the probit
 * approximation of the linearised model (softmax of f_c / sqrt(1 + pi/8 var f_c)), Monte Carlo averages of the
 * linearised model's softmax over samples of its logits ({@link #glmMonteCarlo}), or Monte Carlo averages of the
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
    private final double[] priorPrecisions;
    private final int[] offsets;
    /** The posterior covariance's p x p block of each pair of classes c <= c2 (last layer, full), as GEMM operands. */
    private GemmOperand[] fullBlocks;
    /** The predictives' buffers, grown to the largest batch and classes seen: steady calls allocate nothing. */
    private final PredictiveScratch scratch = new PredictiveScratch();
    /** The Jacobian program's vectors are the unit vectors: it draws nothing from its generator. */
    private static final SplittableRandom NO_SAMPLING = new SplittableRandom(0);
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
        this.priorPrecisions = new double[layers.size()];
        java.util.Arrays.fill(priorPrecisions, 1);
        this.offsets = new int[layers.size() + 1];
        for (int l = 0; l < layers.size(); l++) {
            StructuredLayer layer = StructuredLayers.of(layers.get(l));
            offsets[l + 1] = offsets[l] + layer.weight().shape().numel() + (layer.bias() == null ? 0 : layer.bias().shape().numel());
        }
        if (offsets[layers.size()] != map.length) {
            throw new IllegalStateException("Laplace: the layers hold " + offsets[layers.size()] + " parameters, the posterior " + map.length);
        }
    }

    /**
     * Fits the Hessian on the training batches.
     *
     * @param logits        [batch, classes] logits of the model on the batches' input, by a pass with layer calls
     * @param allLayers     that pass's layer calls
     * The batches may be the whole training set or a sample of it (laplace-torch fits on its whole loader): the
     * posterior is over the N examples the MAP was trained on, so the Gauss-Newton sum over the batches is scaled by
     * N / (examples in the batches), an unbiased estimate of the sum over all N. Fitting on n of N examples without
     * the scaling would be the posterior of an n-example training set, n/N times as sharp.
     *
     * @param examples      N, the size of the training set the MAP was fitted on (at least the batches' examples)
     * @param logLikelihood sum over that training set of log p(y | x, theta), at the MAP
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
        int batch = logits.shape().dim(0);
        long fitted = (long) train.count() * batch;
        if (train.count() < 1 || fitted > examples) {
            throw new IllegalArgumentException(method + ": " + train.count() + " batches of " + batch + " are not a sample of the "
                    + examples + " training examples");
        }
        double scale = (double) examples / fitted;
        CurvatureOperator hessian = switch (structure) {
            case KRON -> {
                LayerBackprop backprop = LayerBackprop.compile(store, logits, layers, LayerBackprop.Vectors.HESSIAN_FACTOR,
                        method, true, false);
                KroneckerFactors factors = new KroneckerFactors(backprop, "KFLR");
                SplittableRandom unused = new SplittableRandom(0);
                for (int b = 0; b < train.count(); b++) {
                    train.feed(b, backprop.program());
                    backprop.run(unused);
                    factors.add(backprop, batch);
                }
                yield factors.curvature().scaled(examples);
            }
            case DIAG -> {
                CurvatureDiagonal diagonal = CurvatureDiagonal.gaussNewton(store, logits, layers, method);
                float[] one = new float[diagonal.dimension()];
                double[] sum = new double[one.length];
                for (int b = 0; b < train.count(); b++) {
                    train.feed(b, diagonal.program());
                    diagonal.compute(one);
                    // each batch's mean: their mean over the batches times N is the sum over the training set.
                    for (int i = 0; i < one.length; i++) sum[i] += (double) one[i] / train.count();
                }
                for (int i = 0; i < one.length; i++) sum[i] *= examples;
                for (int i = 0; i < one.length; i++) one[i] = (float) sum[i];
                yield KroneckerCurvature.diagonal("GGN diagonal", layers, one);
            }
            case FULL -> fullLastLayer(LayerBackprop.compile(store, logits, layers, LayerBackprop.Vectors.HESSIAN_FACTOR,
                    method, false, true), train, scale);
        };
        return new Laplace(subset, structure, layers, flat, hessian, examples, logLikelihood);
    }

    /**
     * The explicit Gauss-Newton matrix of the last layer over the training set: with parameter (i, c) at i * C + c,
     * block (c, c') is scale * sum_n H_n[c, c'] a_n a_n^T, H_n = diag(p_n) - p_n p_n^T; one GEMM per pair c <= c'.
     */
    private static DenseCurvature fullLastLayer(LayerBackprop backprop, Batches train, double scale) {
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
                            double v = scale * block[i * p + j];
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
        return logMarginalLikelihood(uniform(delta));
    }

    /**
     * The log marginal likelihood with prior precision {@code deltas[l]} on layer l's parameters (laplace-torch's
     * layerwise prior): log p(D | theta) + sum_l [-delta_l/2 |theta_l|^2 + P_l/2 log delta_l
     * - 1/2 sum_(i in l) log(lambda_i + delta_l)], since H is block-diagonal over the layers (diag and kron) or
     * has one layer (full).
     */
    public double logMarginalLikelihood(double[] deltas) {
        requireLayers(deltas);
        double sum = logLikelihood;
        for (int l = 0; l < deltas.length; l++) {
            if (!(deltas[l] > 0)) {
                throw new IllegalArgumentException("Laplace: the prior precision of layer '" + layers.get(l).name()
                        + "' must be positive, got " + deltas[l]);
            }
            sum += layerEvidence(l, deltas[l]);
        }
        return sum;
    }

    /** Layer l's share of the log marginal likelihood at prior precision delta. */
    private double layerEvidence(int l, double delta) {
        double[] values = eigenvalues();
        double logDet = 0, norm = 0;
        for (int i = offsets[l]; i < offsets[l + 1]; i++) {
            logDet += Math.log(Math.max(values[i], 0) + delta);
            norm += (double) map[i] * map[i];
        }
        int size = offsets[l + 1] - offsets[l];
        return -0.5 * delta * norm + 0.5 * size * Math.log(delta) - 0.5 * logDet;
    }

    /** How the prior precision is shared: one for all parameters, or one per layer (laplace-torch's prior_structure). */
    public enum PriorStructure {
        SCALAR, LAYERWISE;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static PriorStructure parse(String s) {
            for (PriorStructure v : values()) if (v.cliName().equals(s.trim().toLowerCase(Locale.ROOT))) return v;
            throw new IllegalArgumentException("unknown prior structure '" + s + "' (expected scalar or layerwise)");
        }
    }

    /** Tunes one prior precision for all parameters ({@link #tunePriorPrecision(PriorStructure)}); returns it. */
    public double tunePriorPrecision() {
        return tunePriorPrecision(PriorStructure.SCALAR)[0];
    }

    /**
     * Sets the prior precisions to the maximiser of the log marginal likelihood over [1e-6, 1e6] and returns them,
     * one per layer. Each layer's share is concave in delta (its derivative, -|theta_l|^2/2 + 1/2 sum_i
     * lambda_i / (delta (lambda_i + delta)), falls), and the shares are separate, so the layerwise optimum is each
     * layer's own maximiser: exact, where laplace-torch takes gradient steps on the joint objective. At the
     * optimum MacKay's fixed point holds: delta_l |theta_l|^2 = sum_i lambda_i / (lambda_i + delta_l).
     */
    public double[] tunePriorPrecision(PriorStructure structure) {
        if (structure == PriorStructure.SCALAR) {
            double delta = maximise(logDelta -> {
                double sum = 0;
                for (int l = 0; l < layers.size(); l++) sum += layerEvidence(l, Math.exp(logDelta));
                return sum;
            });
            java.util.Arrays.fill(priorPrecisions, delta);
        } else {
            for (int l = 0; l < layers.size(); l++) {
                int layer = l;
                priorPrecisions[l] = maximise(logDelta -> layerEvidence(layer, Math.exp(logDelta)));
            }
        }
        return priorPrecisions.clone();
    }

    /**
     * The maximiser over delta in [1e-6, 1e6] of a function of log delta: a grid of 121 points, then
     * golden-section search between the best point's neighbours.
     */
    private static double maximise(java.util.function.DoubleUnaryOperator f) {
        double lo = Math.log(1e-6), hi = Math.log(1e6);
        int points = 121;
        double best = Double.NEGATIVE_INFINITY;
        int bestIndex = 0;
        for (int i = 0; i < points; i++) {
            double v = f.applyAsDouble(lo + (hi - lo) * i / (points - 1));
            if (v > best) {
                best = v;
                bestIndex = i;
            }
        }
        double step = (hi - lo) / (points - 1);
        double a = lo + step * Math.max(bestIndex - 1, 0), b = lo + step * Math.min(bestIndex + 1, points - 1);
        double golden = (Math.sqrt(5) - 1) / 2;
        double x1 = b - golden * (b - a), x2 = a + golden * (b - a);
        double f1 = f.applyAsDouble(x1), f2 = f.applyAsDouble(x2);
        for (int it = 0; it < 60 && b - a > 1e-8; it++) {
            if (f1 > f2) {
                b = x2;
                x2 = x1;
                f2 = f1;
                x1 = b - golden * (b - a);
                f1 = f.applyAsDouble(x1);
            } else {
                a = x1;
                x1 = x2;
                f1 = f2;
                x2 = a + golden * (b - a);
                f2 = f.applyAsDouble(x2);
            }
        }
        return Math.exp(0.5 * (a + b));
    }

    /** The prior precision when one is shared by all layers; fails for a layerwise prior (see {@link #priorPrecisions}). */
    public double priorPrecision() {
        for (double d : priorPrecisions) {
            if (d != priorPrecisions[0]) {
                throw new IllegalStateException("Laplace: the prior precision is layerwise " + java.util.Arrays.toString(priorPrecisions));
            }
        }
        return priorPrecisions[0];
    }

    /** The prior precision of each layer of the subset ({@link #layers()}'s order). */
    public double[] priorPrecisions() {
        return priorPrecisions.clone();
    }

    public void setPriorPrecision(double delta) {
        setPriorPrecisions(uniform(delta));
    }

    public void setPriorPrecisions(double[] deltas) {
        requireLayers(deltas);
        for (int l = 0; l < deltas.length; l++) {
            if (!(deltas[l] > 0)) {
                throw new IllegalArgumentException("Laplace: the prior precision of layer '" + layers.get(l).name()
                        + "' must be positive, got " + deltas[l]);
            }
        }
        System.arraycopy(deltas, 0, priorPrecisions, 0, deltas.length);
    }

    private double[] uniform(double delta) {
        if (!(delta > 0)) throw new IllegalArgumentException("Laplace: the prior precision must be positive, got " + delta);
        double[] d = new double[layers.size()];
        java.util.Arrays.fill(d, delta);
        return d;
    }

    private void requireLayers(double[] deltas) {
        if (deltas.length != layers.size()) {
            throw new IllegalArgumentException("Laplace: " + deltas.length + " prior precisions for the " + layers.size()
                    + " layers " + layers());
        }
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
        float[] variance = scratch.variance(batch * classes);
        logitVariance(jacobian, variance);
        probit(batch, classes, logits, variance, out);
    }

    /** The probit predictive of {@link #probit(LayerBackprop, float[], float[])} from the logits' variances [batch, classes] ({@link #logitVariance}). */
    public static void probit(int batch, int classes, float[] logits, float[] variance, float[] out) {
        probit(batch, classes, logits, variance, classes, 1, out);
    }

    /** The same from the logits' covariances [batch, classes, classes] ({@link #logitCovariance}): their diagonals. */
    public static void probitFromCovariance(int batch, int classes, float[] logits, float[] covariance, float[] out) {
        probit(batch, classes, logits, covariance, classes * classes, classes + 1, out);
    }

    /**
     * The probit of the logits' Gaussian projected onto the zero-sum subspace, from their covariances [batch,
     * classes, classes] ({@link #logitCovariance}): f' = P f with P = I - 1 1^T / K, so mean P f and covariance
     * P Sigma P. softmax(f) = softmax(P f) for every f, so the projection leaves the exact predictive unchanged; it
     * only takes out of each class's variance the part every logit shares, which the softmax ignores but the
     * diagonal probit reads as noise. A last layer's Gauss-Newton matrix has no curvature along the shift of
     * every class's weights and bias by the same amount ((diag p - p p^T) 1 = 0), so that shared variance is the
     * prior's alone (|[a; 1]|^2 / (K delta) per logit), and the plain probit flattens every prediction by it.
     */
    public static void probitZeroSumFromCovariance(int batch, int classes, float[] logits, float[] covariance, float[] out) {
        int block = classes * classes;
        for (int n = 0; n < batch; n++) {
            int base = n * block;
            double total = 0, mean = 0;
            for (int i = 0; i < block; i++) total += covariance[base + i];
            for (int c = 0; c < classes; c++) mean += logits[n * classes + c];
            mean /= classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double row = 0;
                for (int j = 0; j < classes; j++) row += covariance[base + c * classes + j];
                // (P Sigma P)_cc = Sigma_cc - 2 (Sigma 1)_c / K + 1^T Sigma 1 / K^2; never below 0 in exact arithmetic.
                double variance = Math.max(0, covariance[base + c * classes + c] - 2 * row / classes + total / ((double) classes * classes));
                double kappa = 1 / Math.sqrt(1 + Math.PI / 8 * variance);
                out[n * classes + c] = (float) (kappa * (logits[n * classes + c] - mean));
                max = Math.max(max, out[n * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(out[n * classes + c] - max);
            for (int c = 0; c < classes; c++) out[n * classes + c] = (float) (Math.exp(out[n * classes + c] - max) / sum);
        }
    }

    /** The probit with example n's class-c variance at variance[n * exampleStride + c * classStride]. */
    private static void probit(int batch, int classes, float[] logits, float[] variance, int exampleStride,
                               int classStride, float[] out) {
        for (int n = 0; n < batch; n++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double kappa = 1 / Math.sqrt(1 + Math.PI / 8 * variance[n * exampleStride + c * classStride]);
                out[n * classes + c] = (float) (kappa * logits[n * classes + c]);
                max = Math.max(max, out[n * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(out[n * classes + c] - max);
            for (int c = 0; c < classes; c++) out[n * classes + c] = (float) (Math.exp(out[n * classes + c] - max) / sum);
        }
    }

    /**
     * The Monte Carlo predictive of the linearised model (laplace-torch's {@code pred_type="glm"} with
     * {@code link_approx="mc"}) for the batch fed to {@code jacobian} (run here): out [batch, classes] = the mean
     * of softmax(f) over {@code samples} draws f ~ N(f_MAP, J Sigma J^T) of each example's logits, J the
     * Jacobian of the logits in the subset's parameters and Sigma the posterior covariance. Unlike the probit it
     * takes the correlations between the classes' logits; unlike {@link #sample} it never runs the network at
     * sampled parameters. {@code logits} are the MAP logits of the same batch.
     */
    public void glmMonteCarlo(LayerBackprop jacobian, float[] logits, int samples, SplittableRandom rnd, float[] out) {
        requireSamples(samples);
        int batch = jacobian.batch(), classes = jacobian.classes();
        float[] covariance = scratch.covariance(batch * classes * classes);
        logitCovariance(jacobian, covariance);
        glmMonteCarlo(batch, classes, covariance, logits, samples, rnd, out);
    }

    /**
     * The GLM Monte Carlo predictive from the logits' covariances [batch, classes, classes] ({@link #logitCovariance}),
     * so that one Jacobian run and covariance serve this and {@link #probitFromCovariance}.
     */
    public void glmMonteCarlo(int batch, int classes, float[] covariance, float[] logits, int samples, SplittableRandom rnd,
                              float[] out) {
        requireSamples(samples);
        PredictiveScratch.Glm w = scratch.glm(classes);
        double[] block = w.block, values = w.values, root = w.root, f = w.f, z = w.z, mean = w.mean;
        float[] vectors = w.vectors;
        for (int n = 0; n < batch; n++) {
            // root = U diag(sqrt(lambda)): root z ~ N(0, covariance), also where the covariance is singular.
            for (int i = 0; i < block.length; i++) block[i] = covariance[n * classes * classes + i];
            try {
                w.eigen.decompose("the logit covariance", block, values, vectors);
            } catch (ArithmeticException e) {
                throw new ArithmeticException("Laplace GLM Monte Carlo, example " + n + " of the batch: " + e.getMessage());
            }
            for (int i = 0; i < classes; i++) {
                for (int k = 0; k < classes; k++) root[i * classes + k] = vectors[i * classes + k] * Math.sqrt(Math.max(values[k], 0));
            }
            java.util.Arrays.fill(mean, 0);
            for (int s = 0; s < samples; s++) {
                for (int c = 0; c < classes; c++) z[c] = rnd.nextGaussian();
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    double v = logits[n * classes + c];
                    for (int k = 0; k < classes; k++) v += root[c * classes + k] * z[k];
                    f[c] = v;
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) {
                    f[c] = Math.exp(f[c] - max);
                    sum += f[c];
                }
                for (int c = 0; c < classes; c++) mean[c] += f[c] / sum;
            }
            for (int c = 0; c < classes; c++) out[n * classes + c] = (float) (mean[c] / samples);
        }
    }

    private static void requireSamples(int samples) {
        if (samples < 1) throw new IllegalArgumentException("Laplace: the GLM Monte Carlo predictive needs at least 1 sample, got " + samples);
    }

    /**
     * Runs {@code jacobian} (the batch fed to it) and writes the covariance [batch, classes, classes] of the logits of
     * the model linearised in the subset's parameters, under the posterior: what {@link #glmMonteCarlo} and
     * {@link #probitFromCovariance} read.
     */
    public void logitCovariance(LayerBackprop jacobian, float[] covariance) {
        logitCovariance(jacobian, covariance, true);
    }

    /** The same, but only the variances [batch, classes] (the covariances' diagonals), which the probit reads. */
    public void logitVariance(LayerBackprop jacobian, float[] variance) {
        logitCovariance(jacobian, variance, false);
    }

    private void logitCovariance(LayerBackprop jacobian, float[] out, boolean full) {
        int batch = jacobian.batch(), classes = jacobian.classes(), size = batch * classes * (full ? classes : 1);
        if (out.length < size) {
            throw new IllegalArgumentException("Laplace: the logits' " + (full ? "covariances" : "variances") + " of a batch of "
                    + batch + " and " + classes + " classes need " + size + " floats, got " + out.length);
        }
        jacobian.run(NO_SAMPLING);
        java.util.Arrays.fill(out, 0, size, 0f);
        if (hessian instanceof KroneckerCurvature k) {
            k.addLogitCovariance(jacobian, priorPrecisions, scratch.kronecker(jacobian), out, full);
        } else {
            addFullCovariance(jacobian, out, full);
        }
    }

    /** cov(f_c, f_c') = a Sigma_cc' a^T with Sigma_cc' the posterior covariance of class c's with class c''s parameters. */
    private void addFullCovariance(LayerBackprop jacobian, float[] covariance, boolean full) {
        int batch = jacobian.batch(), classes = jacobian.classes(), p = jacobian.inputSize(0);
        double priorPrecision = priorPrecision();
        if (fullBlocks == null || fullBlocksPrecision != priorPrecision) {
            double[] sigma = ((DenseCurvature) hessian).inverse(priorPrecision);
            int size = p * classes, pair = 0;
            fullBlocks = new GemmOperand[classes * (classes + 1) / 2];
            for (int c = 0; c < classes; c++) {
                for (int c2 = c; c2 < classes; c2++, pair++) {
                    float[] block = new float[p * p];
                    for (int i = 0; i < p; i++) {
                        for (int j = 0; j < p; j++) block[i * p + j] = (float) sigma[(i * classes + c) * size + j * classes + c2];
                    }
                    fullBlocks[pair] = GemmOperand.of(block, 0, p);
                }
            }
            fullBlocksPrecision = priorPrecision;
        }
        PredictiveScratch.Rows rows = scratch.rows(batch * p, p);
        float[] inputs = rows.inputs().array(), products = rows.products().array();
        jacobian.readInputs(0, inputs);
        for (int c = 0, pair = 0; c < classes; c++) {
            for (int c2 = c; c2 < classes; c2++, pair++) {
                if (!full && c2 != c) continue;
                Gemm.gemm(batch, p, p, 1f, rows.inputs(), fullBlocks[pair], 0f, rows.products());
                for (int n = 0; n < batch; n++) {
                    double s = 0;
                    for (int i = 0; i < p; i++) s += (double) products[n * p + i] * inputs[n * p + i];
                    KroneckerCurvature.addEntry(covariance, full, n, c, c2, classes, s);
                }
            }
        }
    }

    /**
     * Writes a posterior sample of the subset's parameters into the parameter store (the other parameters keep
     * their values); {@link #restoreMap} puts the MAP back.
     */
    public void sample(SplittableRandom rnd, float[] z, float[] draw) {
        for (int i = 0; i < z.length; i++) z[i] = (float) rnd.nextGaussian();
        if (hessian instanceof KroneckerCurvature k) k.sampleInverse(priorPrecisions, z, draw);
        else hessian.sampleInverse(priorPrecision(), z, draw);
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
