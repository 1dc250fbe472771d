package org.panagrad.curvature;

import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;

/**
 * A compiled program for the per-sample gradients of a batch: for every sample n, the gradient of its own loss
 * l_n (the batch loss being their mean, so the batch gradient is the mean of these), as torch.func's
 * vmap(grad(...)) gives, from one forward and one backward pass over the batch. The squared norms
 * ||g_n||^2 are always computed, without per-sample tensors where the structure allows; the per-sample
 * gradients themselves, [N, ...parameter shape] per parameter, only when asked for. Feed the data through
 * {@link #program()}; {@link #run} allocates nothing.
 */
public final class PerSampleGradients {
    private static final String METHOD = "per-sample gradients";

    private final Program program;
    private final List<Node> params, gradients;
    private final Node squaredNorms, loss;
    private final int samples;

    private PerSampleGradients(Program program, List<Node> params, List<Node> gradients, Node squaredNorms,
                               Node loss, int samples) {
        this.program = program;
        this.params = params;
        this.gradients = gradients;
        this.squaredNorms = squaredNorms;
        this.loss = loss;
        this.samples = samples;
    }

    /**
     * Compiles the program for {@code params}: those of the Linear and Conv2d calls of {@code calls} by their
     * structure, any other by the generic path ({@link ExpandedParameters}); a loss whose samples interact (batch
     * norm in training mode) or a use without a per-sample rule fails, named. With {@code materialize}, the
     * per-sample gradients are outputs too.
     */
    public static PerSampleGradients compile(ParameterStore store, Node loss, List<LayerCall> calls, List<Node> params,
                                             boolean materialize) {
        PerSampleParameters parts = PerSampleParameters.of(METHOD, loss, calls, params);
        PerSampleParameters.Pass pass = parts.ownLosses(loss);
        Node norms = parts.squaredNorm(pass);
        List<Node> gradients = materialize ? parts.perSample(pass) : List.of();
        List<Node> outputs = new ArrayList<>(gradients);
        outputs.add(norms);
        outputs.add(loss);
        Program program = Compiler.compile(store, outputs);
        return new PerSampleGradients(program, List.copyOf(params), gradients, norms, loss, Losses.samples(METHOD, loss));
    }

    /** Runs the program on the data fed to it. */
    public void run() {
        program.run();
    }

    /** The program, to feed its data inputs. */
    public Program program() {
        return program;
    }

    public int samples() {
        return samples;
    }

    /** The batch loss of the last run. */
    public float loss() {
        return program.scalar(loss);
    }

    /** ||g_n|| of the last run for every sample n, into out[0..N). */
    public void norms(float[] out) {
        program.readInto(squaredNorms, out, 0);
        for (int n = 0; n < samples; n++) out[n] = (float) Math.sqrt(Math.max(0, out[n]));
    }

    /** The node of the squared norms, [N]. */
    public Node squaredNorms() {
        return squaredNorms;
    }

    /** The per-sample gradient node of parameter i (in the order given), [N, ...its shape]. */
    public Node gradient(int i) {
        if (gradients.isEmpty()) throw new IllegalStateException(METHOD + " were compiled without materializing them");
        return gradients.get(i);
    }

    /** Sample n's gradient over all parameters, flat in their order, into out (of the parameters' total size). */
    public void sampleGradient(int n, float[] out) {
        if (gradients.isEmpty()) throw new IllegalStateException(METHOD + " were compiled without materializing them");
        int off = 0;
        for (int i = 0; i < params.size(); i++) {
            int size = params.get(i).shape().numel();
            program.readRange(gradients.get(i), n * size, out, off, size);
            off += size;
        }
    }

    public List<Node> parameters() {
        return params;
    }
}
