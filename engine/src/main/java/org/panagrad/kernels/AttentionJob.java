package org.panagrad.kernels;

/**
 * One fused attention call, forward or backward, cut over the GEMM's worker pool by batch entries (each part a
 * contiguous range; the entries are independent, so the result does not depend on the thread count, bit for bit).
 * One instance per calling thread, reused, and a workspace per thread that grows to the largest call it has seen,
 * so the steady state allocates nothing.
 */
final class AttentionJob implements WorkerPool.Task {
    private static final ThreadLocal<AttentionJob> PER_THREAD = ThreadLocal.withInitial(AttentionJob::new);
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[1][0]);

    static AttentionJob current() {
        return PER_THREAD.get();
    }

    private AttentionDims a;
    private AttentionMaskLayout mask;
    private float[] q, k, v, g, out;
    private int qOff, kOff, vOff, gOff, outOff, dkOff, dvOff;

    /** The forward when {@code g} is null (out at outOff), else the backward (dq at outOff, dk at dkOff, dv at dvOff). */
    void run(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
             float[] g, int gOff, float[] out, int outOff, int dkOff, int dvOff) {
        this.a = a;
        this.mask = mask;
        this.q = q;
        this.qOff = qOff;
        this.k = k;
        this.kOff = kOff;
        this.v = v;
        this.vOff = vOff;
        this.g = g;
        this.gOff = gOff;
        this.out = out;
        this.outOff = outOff;
        this.dkOff = dkOff;
        this.dvOff = dvOff;
        try {
            WorkerPool pool = Gemm.pool();
            long macs = (long) a.batch() * a.tq() * a.tk() * (a.d() + a.dv());
            int parts = macs >= GemmJob.PARALLEL_MIN_MACS * pool.threads() ? Math.min(pool.threads(), a.batch()) : 1;
            if (parts == 1 || !pool.tryRun(this, parts)) entries(0, a.batch());
        } finally {
            this.q = this.k = this.v = this.g = this.out = null;
            this.mask = null;
        }
    }

    @Override
    public void runPart(int part, int parts) {
        int n = a.batch();
        entries(n * part / parts, n * (part + 1) / parts);
    }

    private void entries(int b0, int b1) {
        if (b0 == b1) return;
        boolean backward = g != null;
        float[] w = workspace(backward ? a.backwardWorkspace() : a.workspace());
        if (backward && Simd.ENABLED) {
            AttentionBackwardSimd.backward(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, outOff, dkOff, dvOff, w, b0, b1);
        } else if (backward) {
            AttentionBackwardScalar.backward(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, outOff, dkOff, dvOff, w, b0, b1);
        } else if (Simd.ENABLED) {
            AttentionSimd.forward(a, mask, q, qOff, k, kOff, v, vOff, out, outOff, w, b0, b1);
        } else {
            AttentionScalar.forward(a, mask, q, qOff, k, kOff, v, vOff, out, outOff, w, b0, b1);
        }
    }

    /** This thread's workspace of at least n floats. */
    private static float[] workspace(int n) {
        float[][] holder = WORK.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }
}
