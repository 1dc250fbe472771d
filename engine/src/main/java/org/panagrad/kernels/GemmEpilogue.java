package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.F;
import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

import jdk.incubator.vector.FloatVector;

/**
 * Writes an accumulator tile into C: C = alpha * acc + beta * C, then on the last k block + bias and ReLU.
 * Full tiles take the vector path; edge tiles go element by element with
 * the same fused operations in the same order, so both paths round identically (which keeps results
 * independent of where thread bands cut the tiles).
 */
final class GemmEpilogue {
    private GemmEpilogue() {}

    static void store(GemmJob job, float[] tile, int i0, int j0, int mr, int nr, float beta, boolean lastBlock) {
        if (mr == MR && nr == NR) {
            storeFullTile(job, tile, i0, j0, beta, lastBlock);
        } else {
            storeElementwise(job, tile, i0, j0, mr, nr, beta, lastBlock);
        }
    }

    private static void storeFullTile(GemmJob job, float[] tile, int i0, int j0, float beta, boolean lastBlock) {
        float[] c = job.c;
        FloatVector alpha = FloatVector.broadcast(F, job.alpha);
        FloatVector betaV = FloatVector.broadcast(F, beta);
        boolean addBias = lastBlock && job.bias != null;
        boolean relu = lastBlock && job.relu;
        for (int r = 0; r < MR; r++) {
            int ci = job.cOff + (i0 + r) * job.ldc + j0;
            for (int v = 0; v < NR; v += LANES) {
                FloatVector out = FloatVector.fromArray(F, tile, r * NR + v).mul(alpha);
                if (beta != 0f) out = FloatVector.fromArray(F, c, ci + v).fma(betaV, out);
                if (addBias) out = out.add(FloatVector.fromArray(F, job.bias, job.biasOff + j0 + v));
                if (relu) out = out.max(0f);
                out.intoArray(c, ci + v);
            }
        }
    }

    private static void storeElementwise(GemmJob job, float[] tile, int i0, int j0, int mr, int nr, float beta,
                                         boolean lastBlock) {
        float[] c = job.c;
        boolean addBias = lastBlock && job.bias != null;
        boolean relu = lastBlock && job.relu;
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                int ci = job.cOff + (i0 + r) * job.ldc + j0 + j;
                float out = job.alpha * tile[r * NR + j];
                if (beta != 0f) out = Math.fma(c[ci], beta, out);
                if (addBias) out += job.bias[job.biasOff + j0 + j];
                if (relu) out = Math.max(out, 0f);
                c[ci] = out;
            }
        }
    }
}
