package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;

/**
 * The variance of the per-sample gradients over the batch, elementwise, as BackPACK's Variance:
 * (1/N) sum_n g_n^2 - (mean_n g_n)^2, where the mean is the batch gradient (the population variance, not
 * Bessel-corrected), for the parameters of any layer whose samples do not interact ({@link PerSampleParameters}).
 * On [N, in] Linear input the second moment is one GEMM, so no per-sample gradient is
 * materialized. Also yields the batch gradient. Feed the data through {@link #program()}; {@link #compute}
 * allocates nothing.
 */
public final class GradientVariance {
    private static final String METHOD = "gradient variance";

    private final FlatOutputs variance, gradient;

    private GradientVariance(FlatOutputs variance, FlatOutputs gradient) {
        this.variance = variance;
        this.gradient = gradient;
    }

    public static GradientVariance compile(ParameterStore store, Node loss, List<LayerCall> calls, List<Node> params) {
        PerSampleParameters parts = PerSampleParameters.of(METHOD, loss, calls, params);
        int samples = Losses.samples(METHOD, loss);
        List<Node> squares = parts.squareSums(List.of(parts.ownLosses(loss)));
        Node[] grads = Autodiff.grad(loss, params.toArray(new Node[0]));
        List<Node> variances = new ArrayList<>();
        for (int i = 0; i < grads.length; i++) {
            variances.add(Ops.sub(Ops.scale(squares.get(i), 1.0 / samples), Ops.mul(grads[i], grads[i])));
        }
        List<Node> outputs = new ArrayList<>(variances);
        outputs.addAll(List.of(grads));
        Program program = Compiler.compile(store, outputs);
        return new GradientVariance(new FlatOutputs(program, variances), new FlatOutputs(program, List.of(grads)));
    }

    /** The variance at the current parameters and data into out, flat over the parameters. */
    public void compute(float[] out) {
        variance.program().run();
        variance.read(out);
    }

    /** The batch gradient of the last {@link #compute}, flat. */
    public void gradient(float[] out) {
        gradient.read(out);
    }

    public Program program() {
        return variance.program();
    }

    public int dimension() {
        return variance.dimension();
    }
}
