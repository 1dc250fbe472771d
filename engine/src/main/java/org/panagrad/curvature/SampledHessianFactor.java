package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Monte Carlo columns of each sample's loss Hessian, as BackPACK's MC-sampled GGN and K-FAC use them: for
 * cross-entropy s = p - e_y with y drawn from the model's own distribution p (E[s s^T] = diag(p) - p p^T),
 * for mean squared error s = sqrt(2/k) eps with eps standard normal. The draws are inputs of the program,
 * filled by {@link #draw} between {@link Program#runInvariant} and {@link Program#runVarying}, so a program
 * samples anew without recompiling or allocating.
 */
public final class SampledHessianFactor {
    private final boolean crossEntropy;
    private final Node probabilities;
    private final List<Node> draws = new ArrayList<>(), columns = new ArrayList<>();
    private final SplittableRandom random;
    private final float[] p, values;
    private final int samples, outputs;

    private SampledHessianFactor(String method, Node loss, int count, long seed) {
        Losses.requireRank2(method, loss);
        if (count < 1) throw new IllegalArgumentException(method + ": at least one Monte Carlo sample is needed, got " + count);
        Node z = Losses.prediction(loss);
        samples = z.shape().dim(0);
        outputs = z.shape().dim(1);
        crossEntropy = loss.op() instanceof SoftmaxCrossEntropy;
        probabilities = crossEntropy ? Ops.softmax(z, 1) : null;
        for (int m = 0; m < count; m++) {
            Node d = loss.graph().input("mc" + loss.graph().size() + "." + m, samples, outputs);
            draws.add(d);
            columns.add(crossEntropy ? Ops.sub(probabilities, d) : Ops.scale(d, Math.sqrt(2.0 / outputs)));
        }
        random = new SplittableRandom(seed);
        p = new float[crossEntropy ? samples * outputs : 0];
        values = new float[samples * outputs];
    }

    /** {@code count} sampled columns of the loss's per-sample Hessian, the generator seeded with {@code seed}. */
    public static SampledHessianFactor create(String method, Node loss, int count, long seed) {
        return new SampledHessianFactor(method, loss, count, seed);
    }

    /** The sampled columns, [N, outputs] each: sum_m s_m s_m^T / count estimates H_n. */
    public List<Node> columns() {
        return columns;
    }

    /** The inputs the draws go into: the program's varying inputs. */
    public Set<Node> draws() {
        return new LinkedHashSet<>(draws);
    }

    /** What the program must keep readable for {@link #draw}: the probabilities, for cross-entropy. */
    public List<Node> outputs() {
        return probabilities == null ? List.of() : List.of(probabilities);
    }

    /** Draws new columns into the program's inputs; for cross-entropy after a run that computed p. */
    public void draw(Program program) {
        if (crossEntropy) program.readInto(probabilities, p, 0);
        for (Node d : draws) {
            if (crossEntropy) {
                Arrays.fill(values, 0);
                for (int n = 0; n < samples; n++) values[n * outputs + category(n)] = 1;
            } else {
                for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
            }
            program.set(d, values);
        }
    }

    /** A class drawn from sample n's probabilities (the last one absorbs rounding). */
    private int category(int n) {
        double u = random.nextDouble(), cumulative = 0;
        for (int c = 0; c < outputs - 1; c++) {
            cumulative += p[n * outputs + c];
            if (u < cumulative) return c;
        }
        return outputs - 1;
    }
}
