package org.panagrad.ops;

import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.List;

import static org.panagrad.testing.OpCase.floats;
import static org.panagrad.testing.OpCase.labels;
import static org.panagrad.testing.OpCase.labelsIgnoring;

/**
 * softmax and log-softmax along every kind of axis, cross-entropy (and its fused gradient, whose derivative is
 * the loss's Hessian) in PyTorch's [N, C, ...] layout, along other class axes and with ignored labels, and mse_loss.
 */
public class SoftmaxOpCases implements OpCases {
    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        int[][] shapes = {{7}, {3, 7}, {3, 7, 5}, {2, 3, 1, 7}};
        int[][] axes = {{0, -1}, {1, 0}, {1, 2, 0}, {1, 3, -1}};
        for (int r = 0; r < shapes.length; r++) {
            int[] s = shapes[r];
            for (int axis : axes[r]) {
                String at = " " + Shape.of(s) + " axis " + axis;
                cases.add(OpCase.of("softmax" + at, x -> Ops.softmax(x[0], axis), floats(s)).in(-2, 2));
                cases.add(OpCase.of("log_softmax" + at, x -> Ops.logSoftmax(x[0], axis), floats(s)).in(-2, 2));
            }
            cases.add(OpCase.of("mse_loss " + Shape.of(s), x -> Ops.mseLoss(x[0], x[1]), floats(s), floats(s)));
        }
        // Cross-entropy: logits [C] against a scalar label, [N, C], [N, C, d], [N, C, d1, d2]; classes last; ignored labels.
        crossEntropy(cases, "[7] by []", 0, floats(7), labels(7));
        crossEntropy(cases, "[3x7] by [3]", 1, floats(3, 7), labels(7, 3));
        crossEntropy(cases, "[3x7x5] by [3x5]", 1, floats(3, 7, 5), labels(7, 3, 5));
        crossEntropy(cases, "[2x3x1x7] by [2x1x7]", 1, floats(2, 3, 1, 7), labels(3, 2, 1, 7));
        crossEntropy(cases, "[2x3x7] by [2x3] classes last", -1, floats(2, 3, 7), labels(7, 2, 3));
        crossEntropy(cases, "[5x7] by [5] ignoring -100", 1, floats(5, 7), labelsIgnoring(7, -100, 5));
        crossEntropy(cases, "[2x3x7] by [2x7] ignoring 0", 1, floats(2, 3, 7), labelsIgnoring(3, 0, 2, 7));
        crossEntropy(cases, "[1x3x7x3] by [1x7x3] ignoring -1", 1, floats(1, 3, 7, 3), labelsIgnoring(3, -1, 1, 7, 3));
        return cases;
    }

    private static void crossEntropy(List<OpCase> cases, String what, int axis, OpCase.Arg logits, OpCase.Arg labels) {
        cases.add(OpCase.of("cross_entropy " + what, x -> Ops.crossEntropy(x[0], x[1], axis), logits, labels).in(-2, 2));
        cases.add(OpCase.of("cross_entropy_grad " + what, x -> SoftmaxCrossEntropyGrad.of(x[0], x[1], axis), logits, labels).in(-2, 2));
    }
}
