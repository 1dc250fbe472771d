package org.panagrad.kernels;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One fused attention call, forward, backward or second order, shared out over the GEMM's worker pool: each thread
 * claims units from a counter until none is left, a unit being a batch entry (batch and heads folded), or for the
 * forward a block of {@link AttentionDims#forwardRows} query rows of one (each output row depends on its own query only). The
 * backward and the second order sum over all of an entry's queries into its keys' and values' outputs, so their
 * unit is the whole entry. A unit runs on one thread in the same code whatever the thread count, so the result is
 * the same bits on any number of threads, and a thread held up by the machine's other work delays no fixed share.
 * One instance per calling thread, reused; every field is set by the call that runs and cleared after it, so
 * nothing of one call (arrays, offsets) is seen by the next. A workspace per thread grows to the largest call it
 * has seen, so the steady state allocates nothing.
 */
final class AttentionJob implements WorkerPool.Task {
    private static final ThreadLocal<AttentionJob> PER_THREAD = ThreadLocal.withInitial(AttentionJob::new);
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[1][0]);

    static AttentionJob current() {
        return PER_THREAD.get();
    }

    private enum Kind { FORWARD, BACKWARD, SECOND_ORDER }

    private final AtomicInteger next = new AtomicInteger();
    private Kind kind;
    private AttentionDims a;
    private AttentionMaskLayout mask;
    private float[] q, k, v, g, t, out;
    private int qOff, kOff, vOff, gOff, aqOff, akOff, avOff, outOff, dkOff, dvOff, gBarOff, units, blocks;

    /** {@link Attention#forward}: out at outOff. */
    void forward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff, float[] v,
                 int vOff, float[] out, int outOff) {
        inputs(Kind.FORWARD, a, mask, q, qOff, k, kOff, v, vOff, out, outOff);
        run((a.tq() + a.forwardRows() - 1) / a.forwardRows(), a.d() + a.dv());
    }

    /** {@link Attention#backward}: dq at dqOff, dk at dkOff, dv at dvOff. */
    void backward(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff, float[] v,
                  int vOff, float[] g, int gOff, float[] out, int dqOff, int dkOff, int dvOff) {
        inputs(Kind.BACKWARD, a, mask, q, qOff, k, kOff, v, vOff, out, dqOff);
        this.g = g;
        this.gOff = gOff;
        this.dkOff = dkOff;
        this.dvOff = dvOff;
        run(1, a.d() + a.dv());
    }

    /** {@link Attention#secondOrder}: qBar at qBarOff, kBar, vBar and gBar at theirs; aq, ak and av read from t. */
    void secondOrder(AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff, float[] v,
                     int vOff, float[] g, int gOff, float[] t, int aqOff, int akOff, int avOff, float[] out,
                     int qBarOff, int kBarOff, int vBarOff, int gBarOff) {
        inputs(Kind.SECOND_ORDER, a, mask, q, qOff, k, kOff, v, vOff, out, qBarOff);
        this.g = g;
        this.gOff = gOff;
        this.t = t;
        this.aqOff = aqOff;
        this.akOff = akOff;
        this.avOff = avOff;
        this.dkOff = kBarOff;
        this.dvOff = vBarOff;
        this.gBarOff = gBarOff;
        run(1, 3 * a.d() + 2 * a.dv());
    }

    private void inputs(Kind kind, AttentionDims a, AttentionMaskLayout mask, float[] q, int qOff, float[] k, int kOff,
                        float[] v, int vOff, float[] out, int outOff) {
        this.kind = kind;
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
    }

    /**
     * Runs the call set up so far, {@code blocks} units per batch entry, over the pool when it has {@code perKey} x
     * tq x tk multiply-adds per entry to share; then clears every field.
     */
    private void run(int blocks, int perKey) {
        try {
            this.blocks = blocks;
            this.units = a.batch() * blocks;
            next.set(0);
            WorkerPool pool = Gemm.pool();
            long macs = (long) a.batch() * a.tq() * a.tk() * perKey;
            int parts = macs >= GemmJob.PARALLEL_MIN_MACS * pool.threads() ? Math.min(pool.threads(), units) : 1;
            if (parts == 1 || !pool.tryRun(this, parts)) runPart(0, 1);
        } finally {
            kind = null;
            a = null;
            mask = null;
            q = k = v = g = t = out = null;
            qOff = kOff = vOff = gOff = aqOff = akOff = avOff = outOff = dkOff = dvOff = gBarOff = units = blocks = 0;
        }
    }

    @Override
    public void runPart(int part, int parts) {
        // Inside a pool task the pool is busy, so the packed GEMMs of an entry run whole on this thread.
        for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) unit(u / blocks, u % blocks);
    }

    /** Unit {@code block} of batch entry b. */
    private void unit(int b, int block) {
        switch (kind) {
            case FORWARD -> {
                float[] w = workspace(a.workspace());
                int rows = a.forwardRows(), from = block * rows, to = Math.min(a.tq(), from + rows);
                if (Simd.ENABLED) AttentionSimd.forward(a, mask, q, qOff, k, kOff, v, vOff, out, outOff, w, b, b + 1, from, to);
                else AttentionScalar.forward(a, mask, q, qOff, k, kOff, v, vOff, out, outOff, w, b, b + 1, from, to);
            }
            case BACKWARD -> {
                float[] w = workspace(a.backwardWorkspace());
                if (Simd.ENABLED) {
                    AttentionBackwardSimd.backward(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, outOff, dkOff, dvOff, w, b, b + 1);
                } else {
                    AttentionBackwardScalar.backward(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, out, outOff, dkOff, dvOff, w, b, b + 1);
                }
            }
            case SECOND_ORDER -> {
                float[] w = workspace(a.secondOrderWorkspace());
                if (Simd.ENABLED) {
                    AttentionSecondOrderSimd.secondOrder(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, t, aqOff, akOff,
                            avOff, out, outOff, dkOff, dvOff, gBarOff, w, b, b + 1);
                } else {
                    AttentionSecondOrderScalar.secondOrder(a, mask, q, qOff, k, kOff, v, vOff, g, gOff, t, aqOff, akOff,
                            avOff, out, outOff, dkOff, dvOff, gBarOff, w, b, b + 1);
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
