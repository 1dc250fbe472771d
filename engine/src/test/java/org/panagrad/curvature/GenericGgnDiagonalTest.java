package org.panagrad.curvature;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Node;
import org.panagrad.testing.Reference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact and Monte Carlo GGN diagonals through the generic per-sample path (LayerNorm, eval-mode batch norm,
 * embedding, attention, class token, positional embedding) beside the structured Conv2d and Linear, against the
 * diagonal of the explicit float64 GGN (Commons Math) of {@link SmallTransformer}.
 */
class GenericGgnDiagonalTest {
    private static final int BATCH = 4;

    private static CurvatureDiagonal compile(SmallTransformer m, CurvatureDiagonal.Kind kind, CurvatureDiagonal.Settings settings) {
        CurvatureDiagonal d = CurvatureDiagonal.compile(m.store(), m.loss, m.pass.layerCalls(), m.params, kind, settings);
        m.feed(d.program());
        return d;
    }

    @Test
    void exactDiagonalEqualsTheExplicitGgn() {
        SmallTransformer m = new SmallTransformer(BATCH, false, 11);
        double[] exact = SmallMlp.diagonal(m.explicitGgn());
        CurvatureDiagonal d = compile(m, CurvatureDiagonal.Kind.GGN, CurvatureDiagonal.Settings.DEFAULT);
        float[] out = new float[d.dimension()];
        d.compute(out);
        Reference.assertClose("GGN diagonal", exact, Reference.toDouble(out), 2e-4, 1e-6);
        // Every parameter tensor has curvature to compare (a layer skipped would read as zeros and pass above).
        int off = 0;
        for (Node p : m.params) {
            double block = 0;
            for (int i = 0; i < p.shape().numel(); i++) block += exact[off + i];
            assertTrue(block > 1e-6, p.name() + "'s GGN diagonal sums to " + block);
            off += p.shape().numel();
        }
    }

    /**
     * The Monte Carlo estimate (2 sampled labels per sample per run, seed 42) converges to the explicit diagonal
     * with {@link CurvatureDiagonalTest#assertMonteCarloConverges}'s bounds: over 1600 runs every entry's mean
     * within 5 standard errors, the RMS error within 2.5 RMS standard errors and below half its value at 25 runs.
     */
    @Test
    void monteCarloEstimateConvergesToTheExplicitGgn() {
        SmallTransformer m = new SmallTransformer(BATCH, false, 13);
        double[] exact = SmallMlp.diagonal(m.explicitGgn());
        CurvatureDiagonal mc = compile(m, CurvatureDiagonal.Kind.GGN_MONTE_CARLO, new CurvatureDiagonal.Settings(2, 42));
        CurvatureDiagonalTest.assertMonteCarloConverges(mc, exact, 1e-6);
    }
}
