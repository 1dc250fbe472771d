package org.panagrad.kernels;

import static org.panagrad.kernels.GemmMicroKernel.LANES;
import static org.panagrad.kernels.GemmMicroKernel.MR;
import static org.panagrad.kernels.GemmMicroKernel.NR;

/**
 * Per-thread scratch memory of GEMM: the packed panels of A and B, one accumulator tile and the job object
 * of calls made from this thread. Buffers grow to the largest block seen and are then reused, so the steady
 * state allocates nothing.
 */
final class GemmWorkspace {
    private static final ThreadLocal<GemmWorkspace> PER_THREAD = ThreadLocal.withInitial(GemmWorkspace::new);

    static GemmWorkspace current() {
        return PER_THREAD.get();
    }

    final GemmJob job = new GemmJob();
    /**
     * The micro-kernels' accumulator tile, with rows up to LANES (and a vector of slack) because the register
     * transposes of {@link GemmStore#storeTransposed} read LANES rows of it.
     */
    final float[] tile = new float[Math.max(MR, LANES) * NR + LANES];
    /** A tile of C's transpose made row-major again (GemmStore.storeTransposed), with a vector of slack. */
    final float[] transposedTile = new float[NR * MR + LANES];
    /** One vector's results on their way to a row of C narrower than a vector. */
    final float[] row = new float[LANES];
    /**
     * The 16-lane register transpose's rows between its third and fourth stage: 16 rows in the first half
     * (GemmTranspose.transpose16), 32 for a B panel (GemmTranspose.panel16).
     */
    final float[] transposeMiddle = new float[LANES == 16 ? GemmTranspose.MIDDLE_STEPS * 32 : 0];
    /** The 16-lane transpose's columns of one block as its fourth stage assembles them (GemmTranspose.halves). */
    final float[] transposeColumns = new float[LANES == 16 ? 16 * GemmTranspose.COLUMN_SLOT : 0];
    private float[] packedA = new float[0];
    private float[] packedB = new float[0];

    /** At least size floats, plus a vector of slack that the packing of a transposed A may spill into. */
    float[] packedA(int size) {
        if (packedA.length < size + GemmMicroKernel.LANES) packedA = new float[size + GemmMicroKernel.LANES];
        return packedA;
    }

    float[] packedB(int size) {
        if (packedB.length < size) packedB = new float[size];
        return packedB;
    }
}
