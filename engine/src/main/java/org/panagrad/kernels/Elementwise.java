package org.panagrad.kernels;

/**
 * Elementwise kernels. Ops with several operands walk a {@link Strided} index space: the outer axes here, each
 * innermost row in a SIMD body (operands with row stride 0 or 1: broadcast or contiguous) or its scalar twin.
 * Outputs are dense. In-place use (out == an input of the output's size, same offset) is allowed.
 * <p>
 * The dense one-operand and two-operand kernels (unary ops, the ReLU mask, step) run in ranges of
 * {@link #CHUNK} elements over the worker pool ({@link ItemSplit}). A chunk is a whole number of vectors, so every
 * element falls at the same place of a vector (or of the scalar tail) as in one pass from the start, and the
 * result is the same bit for bit at any thread count.
 */
public final class Elementwise {
    private Elementwise() {}

    /** out = a op b over the index space s, whose operands are (out, a, b). */
    public static void binary(BinaryOp op, Strided s, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff) {
        binary(Simd.ENABLED, op, s, 0, a, aOff, b, bOff, out, outOff);
    }

    /** out = mask != 0 ? a : b over the index space s, whose operands are (out, mask, a, b). */
    public static void select(Strided s, float[] mask, int maskOff, float[] a, int aOff, float[] b, int bOff,
                              float[] out, int outOff) {
        select(Simd.ENABLED, s, 0, mask, maskOff, a, aOff, b, bOff, out, outOff);
    }

    /** out = x repeated along the axes where its stride is 0: s's operands are (out, x). */
    public static void broadcast(Strided s, float[] x, int xOff, float[] out, int outOff) {
        broadcast(Simd.ENABLED, s, 0, x, xOff, out, outOff);
    }

    // The walks, with the body chosen by simd so that tests can run both in one JVM. Recursion over the outer
    // axes (at most eight) allocates nothing; the last two axes are one loop of rows, so a row costs no call of
    // its own.

    static void binary(boolean simd, BinaryOp op, Strided s, int axis, float[] a, int ai, float[] b, int bi,
                       float[] out, int oi) {
        int last = s.rank() - 1, n = s.dim(axis), as = s.stride(1, axis), bs = s.stride(2, axis), os = s.stride(0, axis);
        if (axis < last - 1) {
            for (int i = 0; i < n; i++, ai += as, bi += bs, oi += os) binary(simd, op, s, axis + 1, a, ai, b, bi, out, oi);
            return;
        }
        int rows = axis == last ? 1 : n, cols = s.dim(last), ac = s.stride(1, last), bc = s.stride(2, last);
        for (int i = 0; i < rows; i++, ai += as, bi += bs, oi += os) {
            if (simd) ElementwiseSimd.binaryRow(op, cols, a, ai, ac, b, bi, bc, out, oi);
            else ElementwiseScalar.binaryRow(op, cols, a, ai, ac, b, bi, bc, out, oi);
        }
    }

    static void select(boolean simd, Strided s, int axis, float[] m, int mi, float[] a, int ai, float[] b, int bi,
                       float[] out, int oi) {
        int last = s.rank() - 1, n = s.dim(axis), os = s.stride(0, axis);
        int ms = s.stride(1, axis), as = s.stride(2, axis), bs = s.stride(3, axis);
        if (axis < last - 1) {
            for (int i = 0; i < n; i++, mi += ms, ai += as, bi += bs, oi += os) select(simd, s, axis + 1, m, mi, a, ai, b, bi, out, oi);
            return;
        }
        int rows = axis == last ? 1 : n, cols = s.dim(last);
        int mc = s.stride(1, last), ac = s.stride(2, last), bc = s.stride(3, last);
        for (int i = 0; i < rows; i++, mi += ms, ai += as, bi += bs, oi += os) {
            if (simd) ElementwiseSimd.selectRow(cols, m, mi, mc, a, ai, ac, b, bi, bc, out, oi);
            else ElementwiseScalar.selectRow(cols, m, mi, mc, a, ai, ac, b, bi, bc, out, oi);
        }
    }

    static void broadcast(boolean simd, Strided s, int axis, float[] x, int xi, float[] out, int oi) {
        int last = s.rank() - 1, n = s.dim(axis), xs = s.stride(1, axis), os = s.stride(0, axis);
        if (axis < last - 1) {
            for (int i = 0; i < n; i++, xi += xs, oi += os) broadcast(simd, s, axis + 1, x, xi, out, oi);
            return;
        }
        int rows = axis == last ? 1 : n, cols = s.dim(last), xc = s.stride(1, last);
        for (int i = 0; i < rows; i++, xi += xs, oi += os) {
            if (xc == 0) fill(simd, cols, x[xi], out, oi);
            else if (xc == 1) System.arraycopy(x, xi, out, oi, cols);
            else for (int j = 0; j < cols; j++) out[oi + j] = x[xi + j * xc];
        }
    }

    public static void unary(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        Job.current().run(Kind.UNARY, op, n, 0f, x, xOff, null, 0, out, outOff);
    }

    private static void unaryRange(UnaryOp op, int n, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.unary(op, n, x, xOff, out, outOff);
        else ElementwiseScalar.unary(op, n, x, xOff, out, outOff);
    }

    /**
     * out = x^p. Integer exponents multiply (by squaring, so x^2 is x * x exactly and negative x is fine), 1/2
     * and -1/2 are square roots, and other exponents are e^(p log x), NaN for negative x, as Math.pow gives.
     */
    public static void pow(int n, float p, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.pow(n, p, x, xOff, out, outOff);
        else ElementwiseScalar.pow(n, p, x, xOff, out, outOff);
    }

    /** Integer exponents up to this magnitude are computed by multiplication. */
    static final int MAX_INTEGER_EXPONENT = 1 << 16;

    /** Whether x^p is computed by repeated squaring: p is an integer of at most {@link #MAX_INTEGER_EXPONENT}. */
    static boolean integerExponent(float p) {
        return p == Math.rint(p) && Math.abs(p) <= MAX_INTEGER_EXPONENT;
    }

    /**
     * out = c * x. A program's Scale runs this once per call, often on a few floats (the HVP's 1 / batch on an output
     * layer's logits: 40 at batch 4), so a vector loop here would stay C1 code, allocating a heap vector per Vector
     * API call, until C2's invocation threshold of 5,000 calls (FixedStepsAllocationTest: 576 B per MLP and lenet5
     * HVP after 820 of them). Below {@link #SCALE_ON_VECTORS_FROM} floats it runs scalar (c * x rounds the same in a lane);
     * above, the vector body is called once per chunk of {@link #SCALE_CHUNK}, the method softmax rows also call,
     * so it reaches C2 within a few calls of a long scale (as the optimizer updates' chunk methods do).
     */
    public static void scale(int n, float c, float[] x, int xOff, float[] out, int outOff) {
        if (!Simd.ENABLED || n < SCALE_ON_VECTORS_FROM) {
            ElementwiseScalar.scale(n, c, x, xOff, out, outOff);
            return;
        }
        for (int i = 0; i < n; i += SCALE_CHUNK) {
            ElementwiseSimd.scale(Math.min(SCALE_CHUNK, n - i), c, x, xOff + i, out, outOff + i);
        }
    }

    /** Floats per vector call of {@link #scale}: a multiple of every vector length. */
    static final int SCALE_CHUNK = 256;

    /**
     * The length from which {@link #scale} runs on vectors: four chunks, so that a scale run once per step calls the
     * vector body at least four times per step. With one chunk per step (resnet8's global average pool, 256 floats
     * at batch 4) it was still C1 code after 420 steps on JDK 25 (FixedStepsAllocationTest: 9 KB per step).
     */
    static final int SCALE_ON_VECTORS_FROM = 4 * SCALE_CHUNK;

    /** y = a * x + y, each element one fused multiply-add (so both bodies round identically). */
    public static void axpy(int n, float a, float[] x, int xOff, float[] y, int yOff) {
        if (Simd.ENABLED) ElementwiseSimd.axpy(n, a, x, xOff, y, yOff);
        else ElementwiseScalar.axpy(n, a, x, xOff, y, yOff);
    }

    public static void fill(int n, float value, float[] out, int outOff) {
        fill(Simd.ENABLED, n, value, out, outOff);
    }

    private static void fill(boolean simd, int n, float value, float[] out, int outOff) {
        if (simd) ElementwiseSimd.fill(n, value, out, outOff);
        else ElementwiseScalar.fill(n, value, out, outOff);
    }

    /** out = 1 where x > 0, {@code atZero} where x == 0, else 0 (the derivative mask of relu and max). */
    public static void step(int n, float atZero, float[] x, int xOff, float[] out, int outOff) {
        Job.current().run(Kind.STEP, null, n, atZero, x, xOff, null, 0, out, outOff);
    }

    private static void stepRange(int n, float atZero, float[] x, int xOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.step(n, atZero, x, xOff, out, outOff);
        else ElementwiseScalar.step(n, atZero, x, xOff, out, outOff);
    }

    /** out = g where y > 0 else 0: the ReLU mask applied in the backward pass, from the forward output y. */
    public static void reluBackward(int n, float[] g, int gOff, float[] y, int yOff, float[] out, int outOff) {
        Job.current().run(Kind.RELU_BACKWARD, null, n, 0f, g, gOff, y, yOff, out, outOff);
    }

    private static void reluBackwardRange(int n, float[] g, int gOff, float[] y, int yOff, float[] out, int outOff) {
        if (Simd.ENABLED) ElementwiseSimd.reluBackward(n, g, gOff, y, yOff, out, outOff);
        else ElementwiseScalar.reluBackward(n, g, gOff, y, yOff, out, outOff);
    }

    /** Elements per item of a split call: a whole number of vectors at every width (512 bits: 16 lanes). */
    static final int CHUNK = 4096;

    private enum Kind { UNARY, STEP, RELU_BACKWARD }

    /** One call of a dense kernel, its chunks split over the pool; one per calling thread, reused. */
    private static final class Job extends ItemSplit {
        private static final ThreadLocal<Job> PER_THREAD = ThreadLocal.withInitial(Job::new);

        static Job current() {
            return PER_THREAD.get();
        }

        private Kind kind;
        private UnaryOp op;
        private int n;
        private float c;
        private float[] a, b, out;
        private int aOff, bOff, outOff;

        void run(Kind kind, UnaryOp op, int n, float c, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff) {
            this.kind = kind;
            this.op = op;
            this.n = n;
            this.c = c;
            this.a = a;
            this.aOff = aOff;
            this.b = b;
            this.bOff = bOff;
            this.out = out;
            this.outOff = outOff;
            try {
                run((n + CHUNK - 1) / CHUNK, 2L * CHUNK);
            } finally {
                this.a = this.b = this.out = null;
            }
        }

        @Override
        void runItems(int from, int to) {
            int i = from * CHUNK, len = Math.min(n, to * CHUNK) - i;
            switch (kind) {
                case UNARY -> unaryRange(op, len, a, aOff + i, out, outOff + i);
                case STEP -> stepRange(len, c, a, aOff + i, out, outOff + i);
                case RELU_BACKWARD -> reluBackwardRange(len, a, aOff + i, b, bOff + i, out, outOff + i);
            }
        }
    }
}
