package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DP-SGD's gradient (Abadi et al. 2016) as graph nodes: each sample's gradient clipped to norm at most C, summed,
 * plus Gaussian noise of standard deviation sigma C, divided by the batch size, as Opacus computes it:
 * (sum_n g_n min(1, C / (||g_n|| + 1e-6)) + N(0, sigma^2 C^2 I)) / N.
 *
 * <p>Parameters of layers without a known structure take the generic path ({@link ExpandedParameters}).
 * Nothing per-sample is materialized on [N, in] Linear input: the norms come from ||a_n||^2 ||d_n||^2, and
 * the clipped sum of a layer is one GEMM, A^T (c * D), with each sample's output gradient d_n scaled by its
 * clipping factor c_n. The noise is an input per parameter, filled by {@link #drawNoise} before each step.
 */
public final class PrivateGradients {
    private static final String METHOD = "DP-SGD";

    private final List<Node> gradients, noise;
    private final Node squaredNorms;
    private final double clip, noiseMultiplier;
    private final SplittableRandom random;
    private final float[][] buffers;

    private PrivateGradients(List<Node> gradients, List<Node> noise, Node squaredNorms, double clip,
                             double noiseMultiplier, long seed) {
        this.gradients = gradients;
        this.noise = noise;
        this.squaredNorms = squaredNorms;
        this.clip = clip;
        this.noiseMultiplier = noiseMultiplier;
        this.random = new SplittableRandom(seed);
        this.buffers = new float[noise.size()][];
        for (int i = 0; i < buffers.length; i++) buffers[i] = new float[noise.get(i).shape().numel()];
    }

    /**
     * The private gradients of {@code params} (any parameters, per {@link PerSampleGradients#compile}; a loss
     * whose samples interact fails, named), clipping each sample's gradient to norm {@code clip} and adding noise of {@code noiseMultiplier}
     * times it, drawn from a generator seeded with {@code seed}.
     */
    public static PrivateGradients build(Node loss, List<LayerCall> calls, List<Node> params, double clip,
                                         double noiseMultiplier, long seed) {
        if (!(clip > 0)) throw new IllegalArgumentException(METHOD + ": the clipping norm must be positive, got " + clip);
        if (!(noiseMultiplier >= 0)) {
            throw new IllegalArgumentException(METHOD + ": the noise multiplier must not be negative, got " + noiseMultiplier);
        }
        PerSampleParameters parts = PerSampleParameters.of(METHOD, loss, calls, params);
        int samples = Losses.samples(METHOD, loss);
        PerSampleParameters.Pass pass = parts.ownLosses(loss);
        Node squared = parts.squaredNorm(pass);
        // c_n = min(1, C / (||g_n|| + 1e-6)) = 1 - relu(1 - C / (||g_n|| + 1e-6)).
        Node one = loss.graph().fill(1, Shape.of(samples));
        Node ratio = Ops.div(loss.graph().fill(clip, Shape.of(samples)), Ops.add(Ops.sqrt(squared),
                loss.graph().fill(1e-6, Shape.of(samples))));
        Node factor = Ops.sub(one, Ops.relu(Ops.sub(one, ratio)));
        List<Node> sums = parts.scaledSums(pass, factor);
        List<Node> noise = new ArrayList<>(), gradients = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Node z = loss.graph().input("dp_noise" + loss.graph().size() + "." + params.get(i).name(), params.get(i).shape().dims());
            noise.add(z);
            gradients.add(Ops.scale(Ops.add(sums.get(i), z), 1.0 / samples));
        }
        return new PrivateGradients(gradients, noise, squared, clip, noiseMultiplier, seed);
    }

    /** The private gradients, one per parameter in order: what the optimizer's update reads. */
    public List<Node> gradients() {
        return gradients;
    }

    /** The noise inputs (one per parameter), which {@link #drawNoise} fills. */
    public List<Node> noiseInputs() {
        return noise;
    }

    /** Each sample's squared gradient norm before clipping, [N]. */
    public Node squaredNorms() {
        return squaredNorms;
    }

    /** Draws fresh noise N(0, (sigma C)^2) into the program's noise inputs; call before every step. */
    public void drawNoise(Program program) {
        double std = noiseMultiplier * clip;
        for (int i = 0; i < buffers.length; i++) {
            float[] b = buffers[i];
            for (int k = 0; k < b.length; k++) b[k] = (float) (std * random.nextGaussian());
            program.set(noise.get(i), b);
        }
    }

    public double clip() {
        return clip;
    }

    public double noiseMultiplier() {
        return noiseMultiplier;
    }
}
