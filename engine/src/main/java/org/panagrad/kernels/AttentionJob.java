package org.panagrad.kernels;

/**
 * One fused attention call, forward, backward or second order, cut over the GEMM's worker pool by batch entries
 * (each part a contiguous range; the entries are independent, so the result does not depend on the thread count,
 * bit for bit). One instance per calling thread, reused, and a workspace per thread that grows to the largest call
 * it has seen, so the steady state allocates nothing.
 */
final class AttentionJob implements WorkerPool.Task {
    private static final ThreadLocal<AttentionJob> PER_THREAD = ThreadLocal.withInitial(AttentionJob::new);
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[1][0]);

    static AttentionJob current() {
        return PER_THREAD.get();
    }

    private enum Kind { FORWARD, BACKWARD, SECOND_ORDER }

    private Kind kind;
    private AttentionDims a;
    private AttentionMaskLayout mask;
    private float[] q, k, v, g, t, out;
    private int qOff, kOff, vOff, gOff, aqOff, akOff, avOff, outOff, dkOff, dvOff, gBarOff;

    /** The forward when {@code g} is null (out at outOff), else the backward (dq at outOff, dk at dkOff, dv at dvOff). */
    void run(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
             float[] g, int gOff, float[] out, int outOff, int dkOff, int dvOff) {
        this.kind = g == null ? Kind.FORWARD : Kind.BACKWARD;
        this.g = g;
        this.gOff = gOff;
        cut(a, mask, q, qOff, k, kOff, v, vOff, out, outOff, dkOff, dvOff, a.d() + a.dv());
    }

    /** {@link Attention#secondOrder}: qBar at qBarOff, kBar, vBar and gBar at theirs; aq, ak and av read from t. */
    void runSecondOrder(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff, float[] v,
                        int vOff, float[] g, int gOff, float[] t, int aqOff, int akOff, int avOff, float[] out,
                        int qBarOff, int kBarOff, int vBarOff, int gBarOff) {
        this.kind = Kind.SECOND_ORDER;
        this.g = g;
        this.gOff = gOff;
        this.t = t;
        this.aqOff = aqOff;
        this.akOff = akOff;
        this.avOff = avOff;
        this.gBarOff = gBarOff;
        cut(a, mask, q, qOff, k, kOff, v, vOff, out, qBarOff, kBarOff, vBarOff, 3 * a.d() + 2 * a.dv());
    }

    /** Runs the call set up so far over the pool when it has {@code perKey} x tq x tk multiply-adds per entry to share. */
    private void cut(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff, float[] v,
                     int vOff, float[] out, int outOff, int dkOff, int dvOff, int perKey) {
        this.a = a;
        this.mask = mask;
        this.q = q;
        this.qOff = qOff;
        this.k = k;
        this.kOff = kOff;
        this.v = v;
        this.vOff = vOff;
        this.out = out;
        this.outOff = outOff;
        this.dkOff = dkOff;
        this.dvOff = dvOff;
        try {
            WorkerPool pool = Gemm.pool();
            long macs = (long) a.batch() * a.tq() * a.tk() * perKey;
            int parts = macs >= GemmJob.PARALLEL_MIN_MACS * pool.threads() ? Math.min(pool.threads(), a.batch()) : 1;
            if (parts == 1 || !pool.tryRun(this, parts)) entries(0, a.batch());
        } finally {
            this.q = this.k = this.v = this.g = this.t = this.out = null;
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
        switch (kind) {
            case FORWARD -> {
                float[] w = workspace(a.workspace());
                if (Simd.ENABLED) AttentionSimd.forward(a, mask, q, qOff, k, kOff, v, vOff, out, outOff, w, b0, b1);
                else AttentionScalar.forward(a, mask, q, qOff, k, kOff, v, vOff, out, outOff, w, b0, b1);
            }
            case BACKWARD -> {
                float[] w = workspace(a.backwardWorkspace());
                if (Simd.ENABLED) {
                    AttentionBackwardSimd.backward(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, outOff, dkOff, dvOff, w, b0, b1);
                } else {
                    AttentionBackwardScalar.backward(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, outOff, dkOff, dvOff, w, b0, b1);
                }
            }
            case SECOND_ORDER -> {
                float[] w = workspace(a.secondOrderWorkspace());
                if (Simd.ENABLED) {
                    AttentionSecondOrderSimd.secondOrder(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, t, aqOff, akOff,
                            avOff, out, outOff, dkOff, dvOff, gBarOff, w, b0, b1);
                } else {
                    AttentionSecondOrderScalar.secondOrder(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, t, aqOff, akOff,
                            avOff, out, outOff, dkOff, dvOff, gBarOff, w, b0, b1);
                }
            }
        }
    }

    /** This thread's workspace of at least n floats. */
    private static float[] workspace(int n) {
        float[][] holder = WORK.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }
}
