package org.panagrad.ops;

import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.panagrad.testing.OpCase.floats;

/**
 * layer_norm over one and two trailing axes at ranks 1 to 4, bare and with its affine part, and a large eps; the
 * statistic its derivatives take (layer_norm_rstd) on its own.
 */
public class LayerNormOpCases implements OpCases {
    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        int[][] shapes = {{7}, {3, 7}, {2, 3, 17}, {2, 1, 3, 7}};
        for (int[] s : shapes) {
            for (int k = 1; k <= Math.min(2, s.length); k++) {
                int[] normalized = Arrays.copyOfRange(s, s.length - k, s.length);
                String at = " " + Shape.of(s) + " over " + Shape.of(normalized);
                cases.add(OpCase.of("layer_norm" + at, x -> Ops.layerNorm(x[0], normalized, null, null, 1e-5), floats(s))
                        .in(-2, 2));
                cases.add(OpCase.of("layer_norm affine" + at, x -> Ops.layerNorm(x[0], normalized, x[1], x[2], 1e-5),
                        floats(s), floats(normalized), floats(normalized)).in(-2, 2));
                int axes = k;
                cases.add(OpCase.of("layer_norm_rstd" + at, x -> LayerNormRstd.of(x[0], axes, 1e-5), floats(s)).in(-2, 2));
            }
        }
        cases.add(OpCase.of("layer_norm eps 0.5", x -> Ops.layerNorm(x[0], new int[] {7}, null, null, 0.5), floats(3, 7)));
        return cases;
    }
}
