package org.panagrad.optim;

import org.panagrad.graph.Node;

import java.util.List;

/**
 * Per-parameter gradient statistics of the last training step: the signal for diagnosing vanishing or
 * exploding gradients. Available when the step was compiled with {@code keepGradients}; otherwise the
 * gradients are never stored (or fused away entirely), and these statistics cost nothing.
 */
public final class GradientStatistics {
    /** One parameter's gradient: L2 norm, mean, largest absolute value, fraction of exact zeros. */
    public record Entry(String parameter, double norm, double mean, double maxAbs, double zeroFraction) {}

    private final TrainingStep step;
    private final float[][] buffers;
    private final Entry[] entries;

    public GradientStatistics(TrainingStep step) {
        this.step = step;
        List<Node> grads = step.gradients();
        if (!step.program().reads(grads.get(0))) {
            throw new IllegalStateException("gradient statistics need a training step compiled with keepGradients = true");
        }
        buffers = new float[grads.size()][];
        for (int i = 0; i < buffers.length; i++) buffers[i] = new float[grads.get(i).shape().numel()];
        entries = new Entry[grads.size()];
    }

    /** Statistics of the gradients of the step that ran last, in parameter order. */
    public List<Entry> compute() {
        List<Node> grads = step.gradients();
        for (int i = 0; i < buffers.length; i++) {
            step.program().read(grads.get(i), buffers[i]);
            double sumSq = 0, sum = 0, maxAbs = 0;
            int zeros = 0;
            for (float v : buffers[i]) {
                sumSq += (double) v * v;
                sum += v;
                maxAbs = Math.max(maxAbs, Math.abs(v));
                if (v == 0f) zeros++;
            }
            int n = buffers[i].length;
            entries[i] = new Entry(step.parameters().get(i).name(), Math.sqrt(sumSq), sum / n, maxAbs, (double) zeros / n);
        }
        return List.of(entries);
    }
}
