package org.panagrad.ops;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.List;

import static org.panagrad.testing.OpCase.floats;

/**
 * The broadcasting binary ops and where, over pairs of shapes at ranks 1 to 4: equal, a size-1 axis, missing
 * leading axes, and both operands broadcast at once.
 */
public class BroadcastOpCases implements OpCases {
    static final int[][][] PAIRS = {
            {{17}, {17}}, {{17}, {1}}, {{1}, {7}},
            {{3, 7}, {7}}, {{3, 7}, {3, 1}}, {{3, 1}, {1, 7}}, {{3, 7}, {}},
            {{7, 1, 3}, {3}}, {{1, 3, 7}, {7, 1, 1}}, {{3, 7, 1}, {1, 1, 17}},
            {{3, 1, 7, 1}, {1, 3, 1, 7}}, {{1, 3, 1, 17}, {3, 1, 1, 1}}, {{3, 7, 1, 3}, {7, 3, 3}}};

    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        for (int[][] p : PAIRS) {
            String at = " " + Shape.of(p[0]) + " " + Shape.of(p[1]);
            cases.add(OpCase.of("add" + at, x -> Ops.add(x[0], x[1]), floats(p[0]), floats(p[1])));
            cases.add(OpCase.of("sub" + at, x -> Ops.sub(x[0], x[1]), floats(p[0]), floats(p[1])));
            cases.add(OpCase.of("mul" + at, x -> Ops.mul(x[0], x[1]), floats(p[0]), floats(p[1])));
            cases.add(OpCase.of("div" + at, x -> Ops.div(x[0], x[1]), floats(p[0]), floats(p[1])).in(0.5, 2));
            cases.add(OpCase.of("maximum" + at, x -> Ops.maximum(x[0], x[1]), floats(p[0]), floats(p[1])).distinct());
        }
        // where(mask, a, b): masks of every rank, broadcast against both sides or by them.
        cases.add(OpCase.of("where [17] [17] [1]", x -> Ops.where(mask(x[0].graph(), 17), x[0], x[1]), floats(17), floats(1)));
        cases.add(OpCase.of("where [3x7] [3x1] [7]", x -> Ops.where(mask(x[0].graph(), 3, 7), x[0], x[1]), floats(3, 1), floats(7)));
        cases.add(OpCase.of("where [1x7] [3x7] [3x1]", x -> Ops.where(mask(x[0].graph(), 1, 7), x[0], x[1]), floats(3, 7), floats(3, 1)));
        cases.add(OpCase.of("where causal [7x7] [2x7x7] []", x -> Ops.where(causal(x[0].graph(), 7), x[0], x[1]), floats(2, 7, 7), floats()));
        cases.add(OpCase.of("where causal [1x1x3x3] [3x1x3x3] [1x7x1x1]", x -> Ops.where(causal(x[0].graph(), 3, 1, 1), x[0], x[1]),
                floats(3, 1, 3, 3), floats(1, 7, 1, 1)));
        return cases;
    }

    /** A constant mask of alternating ones and zeros. */
    static Node mask(Graph g, int... dims) {
        float[] v = new float[Shape.of(dims).numel()];
        for (int i = 0; i < v.length; i++) v[i] = i % 3 == 0 ? 0 : 1;
        return g.constant("mask_" + g.size(), Shape.of(dims), v);
    }

    /** The causal attention mask, [lead..., n, n]: query i sees keys j <= i. */
    static Node causal(Graph g, int n, int... lead) {
        float[] v = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) v[i * n + j] = 1;
        int[] dims = java.util.Arrays.copyOf(lead, lead.length + 2);
        dims[lead.length] = n;
        dims[lead.length + 1] = n;
        return g.constant("causal_" + g.size(), Shape.of(dims), v);
    }
}
