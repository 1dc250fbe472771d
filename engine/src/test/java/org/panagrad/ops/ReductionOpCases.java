package org.panagrad.ops;

import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.panagrad.testing.OpCase.floats;

/** sum and max over sets of axes with and without keepdims, mean, and broadcast_to (the adjoint), at ranks 1 to 4. */
public class ReductionOpCases implements OpCases {
    /** A shape and the axes to reduce (negative counting from the end; empty for all). */
    private record Over(int[] shape, int[] axes, boolean keepDims) {
        String describe() {
            return Shape.of(shape) + (axes.length == 0 ? " all" : " axes " + Arrays.toString(axes)) + (keepDims ? " keepdims" : "");
        }
    }

    private static final Over[] OVER = {
            new Over(new int[] {17}, new int[] {}, false), new Over(new int[] {17}, new int[] {0}, true),
            new Over(new int[] {3, 7}, new int[] {0}, false), new Over(new int[] {3, 7}, new int[] {1}, true),
            new Over(new int[] {3, 7}, new int[] {0, 1}, true),
            new Over(new int[] {7, 1, 3}, new int[] {0, 2}, false), new Over(new int[] {7, 1, 3}, new int[] {-1}, true),
            new Over(new int[] {3, 7, 1, 3}, new int[] {1, 3}, true), new Over(new int[] {3, 7, 1, 3}, new int[] {0, 2}, false),
            new Over(new int[] {3, 1, 17, 1}, new int[] {}, false)};

    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        for (Over o : OVER) {
            boolean all = o.axes().length == 0;
            cases.add(OpCase.of("sum " + o.describe(), x -> all ? Ops.sum(x[0]) : Ops.sum(x[0], o.axes(), o.keepDims()), floats(o.shape())));
            cases.add(OpCase.of("max " + o.describe(), x -> all ? Ops.max(x[0]) : Ops.max(x[0], o.axes(), o.keepDims()), floats(o.shape()))
                    .distinct());
            cases.add(OpCase.of("mean " + o.describe(), x -> all ? Ops.mean(x[0]) : Ops.mean(x[0], o.axes(), o.keepDims()), floats(o.shape())));
        }
        int[][][] to = {{{1}, {17}}, {{7}, {3, 7}}, {{3, 1}, {3, 7}}, {{7, 1, 1}, {7, 3, 3}}, {{1, 3}, {2, 7, 3}},
                {{1, 7}, {3, 1, 3, 7}}, {{3, 1, 1, 7}, {3, 3, 1, 7}}};
        for (int[][] t : to) {
            cases.add(OpCase.of("broadcast_to " + Shape.of(t[0]) + " to " + Shape.of(t[1]), x -> Ops.broadcastTo(x[0], t[1]), floats(t[0])));
        }
        return cases;
    }
}
