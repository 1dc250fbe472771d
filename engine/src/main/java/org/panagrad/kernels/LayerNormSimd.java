package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Layer normalisation, lane-wise partial sums per pass; the tail of each row in scalar code. */
final class LayerNormSimd {
    private LayerNormSimd() {}

    private static final VectorSpecies<Float> F = VectorMath.F;

    /** With rstdOnly, out[outOff + r] = 1 / sqrt(var + eps) of row r and no row is written. */
    static void normalize(int rows, int n, float eps, float[] x, int xOff, float[] out, int outOff, boolean rstdOnly) {
        int bound = F.loopBound(n);
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * n, oi = outOff + r * n;
            FloatVector acc = FloatVector.zero(F);
            int j = 0;
            for (; j < bound; j += F.length()) acc = acc.add(FloatVector.fromArray(F, x, xi + j));
            float sum = LaneSum.ORDERED_REDUCTION ? acc.reduceLanes(VectorOperators.ADD) : LaneSum.tree(acc);
            for (; j < n; j++) sum += x[xi + j];
            float mean = sum / n;
            FloatVector m = FloatVector.broadcast(F, mean);
            acc = FloatVector.zero(F);
            for (j = 0; j < bound; j += F.length()) {
                FloatVector d = FloatVector.fromArray(F, x, xi + j).sub(m);
                acc = d.fma(d, acc);
            }
            float squares = LaneSum.ORDERED_REDUCTION ? acc.reduceLanes(VectorOperators.ADD) : LaneSum.tree(acc);
            for (; j < n; j++) {
                float d = x[xi + j] - mean;
                squares += d * d;
            }
            float rstd = 1f / (float) Math.sqrt(squares / n + eps);
            if (rstdOnly) {
                out[outOff + r] = rstd;
                continue;
            }
            for (j = 0; j < bound; j += F.length()) {
                FloatVector.fromArray(F, x, xi + j).sub(m).mul(rstd).intoArray(out, oi + j);
            }
            for (; j < n; j++) out[oi + j] = (x[xi + j] - mean) * rstd;
        }
    }
}
