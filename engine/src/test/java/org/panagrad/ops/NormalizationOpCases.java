package org.panagrad.ops;

import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.List;

import static org.panagrad.testing.OpCase.floats;
import static org.panagrad.testing.OpCase.labels;

/**
 * Batch normalisation's parts (the batch moments, the per-channel affine pass, the per-channel sums of its backward) and the composed layer in
 * training mode (through the batch statistics, with and without affine parameters) and with given statistics,
 * on [N, C], [N, C, L] and [N, C, H, W] at odd sizes; dropout at ranks 1 to 4 with the step as an integer input.
 */
public class NormalizationOpCases implements OpCases {
    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        int[][] shapes = {{5, 3}, {3, 2, 7}, {2, 3, 5, 3}, {3, 1, 1, 5}};
        for (int[] s : shapes) {
            String at = " " + Shape.of(s);
            int c = s[1];
            cases.add(OpCase.of("batch_moments" + at, x -> Ops.batchMoments(x[0]), floats(s)).in(-2, 2));
            cases.add(OpCase.of("channel_affine" + at, x -> Ops.channelAffine(x[0], x[1], x[2]), floats(s), floats(c), floats(c)));
            cases.add(OpCase.of("channel_dots" + at, x -> Ops.channelDots(x[0], x[1]), floats(s), floats(s)));
            cases.add(OpCase.of("batch_norm train" + at, x -> Ops.batchNorm(x[0], x[1], x[2], 1e-5), floats(s), floats(c), floats(c)));
            cases.add(OpCase.of("batch_norm train, no affine" + at, x -> Ops.batchNorm(x[0], null, null, 1e-5), floats(s)));
            cases.add(OpCase.of("batch_norm given statistics" + at, x -> Ops.batchNorm(x[0], x[1], x[2], x[3], x[4], 1e-3),
                    floats(s), floats(c), floats(c), floats(c), floats(c)).in(0.2, 2));
        }
        int[][] dropShapes = {{17}, {3, 7}, {2, 3, 5}, {2, 3, 1, 7}};
        for (int[] s : dropShapes) {
            for (double p : new double[] {0, 0.3, 0.9}) {
                cases.add(OpCase.of("dropout p=" + p + " " + Shape.of(s), x -> Ops.dropout(x[0], x[1], p, 42), floats(s), labels(1000)));
            }
        }
        return cases;
    }
}
