package org.panagrad.curvature;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;
import org.panagrad.optim.secondorder.HutchinsonDiagonal;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The diagonal of a curvature matrix of the mean loss over all parameters as one flat vector (parameters in
 * the given order, each row-major), by one of several methods behind one API, as BackPACK's DiagGGNExact,
 * DiagGGNMC, DiagHessian, SumGradSquared and curvlinops' Hutchinson diagonal:
 * <ul>
 * <li>{@link Kind#GGN}: the Gauss-Newton matrix (1/N) sum_n J_n^T H_n J_n exactly, by backpropagating each
 *     column of a symmetric factorisation of H_n (one backward pass per class);</li>
 * <li>{@link Kind#GGN_MONTE_CARLO}: its unbiased estimate from columns of H_n sampled with the model's own
 *     labels, one backward pass per sample;</li>
 * <li>{@link Kind#HESSIAN}: the Hessian exactly, for MLPs (Linear layers and elementwise activations);</li>
 * <li>{@link Kind#EMPIRICAL_FISHER}: (1/N) sum_n g_n g_n^T with g_n the gradient of sample n's loss;</li>
 * <li>{@link Kind#HUTCHINSON_HESSIAN}, {@link Kind#HUTCHINSON_GGN}: Hutchinson's estimate from products with
 *     Rademacher vectors, for any model (no layer structure needed).</li>
 * </ul>
 * The exact Hessian diagonal supports Linear layers and names any other layer it meets; the GGN diagonals and
 * the empirical Fisher take any layer through the per-sample path ({@link PerSampleParameters}: structured for
 * Linear and Conv2d, generic for the rest) and refuse a loss whose samples interact, named. Feed the data through
 * {@link #program()}; {@link #compute} allocates nothing.
 */
public final class CurvatureDiagonal {
    /** The matrix and the method. */
    public enum Kind {
        GGN("exact GGN diagonal"),
        GGN_MONTE_CARLO("Monte Carlo GGN diagonal"),
        HESSIAN("exact Hessian diagonal"),
        EMPIRICAL_FISHER("empirical Fisher diagonal"),
        HUTCHINSON_HESSIAN("Hutchinson Hessian diagonal"),
        HUTCHINSON_GGN("Hutchinson GGN diagonal");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** Samples per {@link #compute} of the estimated kinds (ignored by the exact ones), and their generator's seed. */
    public record Settings(int samples, long seed) {
        public static final Settings DEFAULT = new Settings(1, 0);

        public Settings {
            if (samples < 1) throw new IllegalArgumentException("a diagonal estimate needs at least one sample, got " + samples);
        }
    }

    private final Kind kind;
    private final FlatOutputs outputs;
    private final SampledHessianFactor factor;
    private final HutchinsonDiagonal hutchinson;
    private final int samples;
    private final double[] sum;
    private final float[] one;

    private CurvatureDiagonal(Kind kind, FlatOutputs outputs, SampledHessianFactor factor, HutchinsonDiagonal hutchinson,
                              int samples, int dimension) {
        this.kind = kind;
        this.outputs = outputs;
        this.factor = factor;
        this.hutchinson = hutchinson;
        this.samples = samples;
        this.sum = hutchinson != null ? new double[dimension] : null;
        this.one = hutchinson != null ? new float[dimension] : null;
    }

    /**
     * Compiles the diagonal of {@code kind} for {@code params}; {@code calls} are the forward pass's layer calls
     * ({@link org.panagrad.nn.Forward#layerCalls()}), which the structured kinds need.
     */
    public static CurvatureDiagonal compile(ParameterStore store, Node loss, List<LayerCall> calls, List<Node> params,
                                            Kind kind, Settings settings) {
        if (kind == Kind.HUTCHINSON_HESSIAN || kind == Kind.HUTCHINSON_GGN) {
            CurvatureProduct product = CurvatureProduct.compile(store, loss, params, kind == Kind.HUTCHINSON_GGN
                    ? CurvatureProduct.Kind.GAUSS_NEWTON : CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE, false);
            HutchinsonDiagonal h = new HutchinsonDiagonal(product, settings.seed());
            return new CurvatureDiagonal(kind, null, null, h, settings.samples(), product.dimension());
        }
        String method = kind.description();
        int n = Losses.samples(method, loss);
        if (kind == Kind.HESSIAN) {
            List<StructuredLayer> linear = StructuredLayers.covering(method, loss, calls, params);
            List<Node[]> perCall = MlpHessianDiagonal.build(loss, StructuredLayers.calls(linear));
            return structured(store, kind, SampleGradients.inParameterOrder(params, linear, perCall), 1, null, settings.samples());
        }
        PerSampleParameters parts = PerSampleParameters.of(method, loss, calls, params);
        SampledHessianFactor factor = null;
        List<Node> columns;
        double scale = 1.0 / n;
        switch (kind) {
            case EMPIRICAL_FISHER -> {
                List<Node> squares = parts.squareSums(List.of(parts.ownLosses(loss)));
                return structured(store, kind, squares, scale, null, settings.samples());
            }
            case GGN -> columns = Losses.hessianFactor(method, loss);
            case GGN_MONTE_CARLO -> {
                factor = SampledHessianFactor.create(method, loss, settings.samples(), settings.seed());
                columns = factor.columns();
                scale /= settings.samples();
            }
            default -> throw new AssertionError(kind);
        }
        List<PerSampleParameters.Pass> passes = new ArrayList<>();
        for (Node column : columns) passes.add(parts.pass(Losses.prediction(loss), column));
        return structured(store, kind, parts.squareSums(passes), scale, factor, settings.samples());
    }

    /**
     * The exact GGN diagonal of the mean softmax cross-entropy over {@code logits} ([batch, classes]; the labels
     * do not enter) for the weights and biases of {@code layers}, in that order: Laplace's diag structure.
     */
    public static CurvatureDiagonal gaussNewton(ParameterStore store, Node logits, List<LayerCall> layers, String method) {
        if (logits.shape().rank() != 2) {
            throw new IllegalArgumentException(method + ": the logits must be [batch, classes], got " + logits.describe());
        }
        List<StructuredLayer> structured = new ArrayList<>();
        List<Node> params = new ArrayList<>();
        for (LayerCall call : layers) {
            LayerBackprop.requireSupported(call, method);
            StructuredLayer layer = StructuredLayers.of(call);
            structured.add(layer);
            params.add(layer.weight());
            if (layer.bias() != null) params.add(layer.bias());
        }
        List<Node[]> perCall = backpropagated(logits, structured, Losses.crossEntropyFactor(logits, Ops.softmax(logits, 1)));
        return structured(store, Kind.GGN, SampleGradients.inParameterOrder(params, structured, perCall),
                1.0 / logits.shape().dim(0), null, 1);
    }

    /** The program of the diagonal from its unscaled square sums, one per parameter in order. */
    private static CurvatureDiagonal structured(ParameterStore store, Kind kind, List<Node> squares, double scale,
                                                SampledHessianFactor factor, int samples) {
        List<Node> diag = new ArrayList<>();
        for (Node d : squares) diag.add(scale == 1 ? d : Ops.scale(d, scale));
        List<Node> requested = new ArrayList<>(diag);
        Program program;
        if (factor != null) {
            requested.addAll(factor.outputs());
            program = Compiler.compile(store, requested, Compiler.Options.ALL, factor.draws());
        } else {
            program = Compiler.compile(store, requested);
        }
        FlatOutputs outputs = new FlatOutputs(program, diag);
        return new CurvatureDiagonal(kind, outputs, factor, null, samples, outputs.dimension());
    }

    /** Per call, the square sums of the per-sample gradients that backpropagating each column from the prediction gives. */
    private static List<Node[]> backpropagated(Node prediction, List<StructuredLayer> calls, List<Node> columns) {
        List<List<Node>> ds = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) ds.add(new ArrayList<>());
        for (Node column : columns) {
            List<Node> images = SampleGradients.backpropagate(prediction, calls, column);
            for (int i = 0; i < calls.size(); i++) ds.get(i).add(images.get(i));
        }
        List<Node[]> perCall = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) perCall.add(calls.get(i).squareSums(ds.get(i)));
        return perCall;
    }

    /** The diagonal at the current parameters and the data fed to {@link #program()}, into out. */
    public void compute(float[] out) {
        if (hutchinson != null) {
            if (out.length != sum.length) {
                throw new IllegalArgumentException("a vector over these parameters has " + sum.length + " entries, got " + out.length);
            }
            java.util.Arrays.fill(sum, 0);
            for (int s = 0; s < samples; s++) {
                hutchinson.sample(one);
                for (int i = 0; i < sum.length; i++) sum[i] += one[i];
            }
            for (int i = 0; i < sum.length; i++) out[i] = (float) (sum[i] / samples);
            return;
        }
        Program program = outputs.program();
        if (factor != null) {
            program.runInvariant();
            factor.draw(program);
            program.runVarying();
        } else {
            program.run();
        }
        outputs.read(out);
    }

    /** The program, to feed its data inputs. */
    public Program program() {
        return hutchinson != null ? hutchinson.product().program() : outputs.program();
    }

    public int dimension() {
        return hutchinson != null ? sum.length : outputs.dimension();
    }

    public Kind kind() {
        return kind;
    }
}
