package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;

/**
 * Writes an accumulator tile into C: C = alpha * acc + beta * C, then on the last k block + bias and ReLU.
 * Each row goes a vector at a time while whole vectors fit, then element by element with the same fused
 * operations in the same order, so both paths round identically (which keeps results independent of where
 * thread bands cut the tiles). Edge tiles thus keep their vector part: at n = 10 every tile is an edge tile.
 */
final class GemmEpilogue {
    private GemmEpilogue() {}

    static void store(GemmJob job, float[] tile, int i0, int j0, int mr, int nr, float beta, boolean lastBlock) {
        float[] c = job.c;
        float alpha = job.alpha;
        boolean addBias = lastBlock && job.bias != null;
        boolean relu = lastBlock && job.relu;
        FloatVector alphaV = FloatVector.broadcast(F, alpha);
        FloatVector betaV = FloatVector.broadcast(F, beta);
        int vectorEnd = nr / LANES * LANES;
        for (int r = 0; r < mr; r++) {
            int ci = job.cOff + (i0 + r) * job.ldc + j0;
            int j = 0;
            for (; j < vectorEnd; j += LANES) {
                FloatVector out = FloatVector.fromArray(F, tile, r * NR + j).mul(alphaV);
                if (beta != 0f) out = FloatVector.fromArray(F, c, ci + j).fma(betaV, out);
                if (addBias) out = out.add(FloatVector.fromArray(F, job.bias, job.biasOff + j0 + j));
                if (relu) out = out.max(0f);
                out.intoArray(c, ci + j);
            }
            for (; j < nr; j++) {
                float out = alpha * tile[r * NR + j];
                if (beta != 0f) out = Math.fma(c[ci + j], beta, out);
                if (addBias) out += job.bias[job.biasOff + j0 + j];
                if (relu) out = Math.max(out, 0f);
                c[ci + j] = out;
            }
        }
    }
}
