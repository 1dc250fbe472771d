package org.panagrad.curvature;

import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmOperand;

/**
 * One layer's curvature in a Kronecker eigenbasis: C = (U_A ⊗ U_G) diag(d) (U_A ⊗ U_G)^T over the layer's
 * parameters seen as a p x q matrix V (p = inputs + 1 for the bias row, q = outputs), where U_A and U_G hold
 * the eigenvectors of the input factor A and the output-gradient factor G as columns. K-FAC takes
 * d = eig(A) ⊗ eig(G), which makes C = A ⊗ G exactly; EKFAC refits d. A product is four GEMMs:
 * C vec(V) = vec(U_A [(U_A^T V U_G) ∘ D] U_G^T).
 *
 * <p>A Linear layer stores W as [in, out] and then b as [out]: read as one (in + 1) x out matrix, the bias is
 * the last row, and flat index i * out + o is the (i, o) entry of the Kronecker product's row-major order. A
 * Conv2d stores W as [out, in] (in = C kh kw) and then b: its parameters are gathered into that (in + 1) x out
 * matrix on the way in and scattered back on the way out ({@link Layout#OUTPUT_MAJOR}), so that operators
 * always take and give vectors in the parameters' own order. Null bases stand for identities: the block is then
 * the diagonal d itself (the exact diagonal of the GGN).
 *
 * <p>A convolution in G groups has a weight [out, in] like any Conv2d (in = one group's fan-in), each output's
 * inputs being its own group's channels: its block is G Kronecker blocks side by side, group g's over columns
 * g out/G to (g + 1) out/G of the (in + 1) x out matrix, with bases U_A of p x p and U_G of (q/G) x (q/G) per
 * group, stored one after another.
 */
final class KroneckerBlock {
    /** How a layer stores its parameters: W [in, out] (Linear) or W [out, in] (Conv2d), then the bias if any. */
    record Layout(boolean outputMajor, boolean bias) {
        static final Layout INPUT_MAJOR = new Layout(false, true);

        /** The (i, o) entry of the p x q matrix to the parameters' order, from v[offset...] into m. */
        void gather(float[] v, int offset, int p, int q, float[] m) {
            int in = bias ? p - 1 : p;
            for (int o = 0; o < q; o++) {
                for (int i = 0; i < in; i++) m[i * q + o] = v[offset + o * in + i];
            }
            if (bias) System.arraycopy(v, offset + q * in, m, in * q, q);
        }

        /** The inverse of {@link #gather}: m into out[offset...]. */
        void scatter(float[] m, int p, int q, float[] out, int offset) {
            int in = bias ? p - 1 : p;
            for (int o = 0; o < q; o++) {
                for (int i = 0; i < in; i++) out[offset + o * in + i] = m[i * q + o];
            }
            if (bias) System.arraycopy(m, in * q, out, offset + q * in, q);
        }
    }

    final String layer;
    final int p, q, offset, groups;
    final float[] ua, ug;
    final double[] d;
    final Layout layout;

    KroneckerBlock(String layer, int offset, int p, int q, float[] ua, float[] ug, double[] d) {
        this(layer, offset, p, q, 1, ua, ug, d, Layout.INPUT_MAJOR);
    }

    KroneckerBlock(String layer, int offset, int p, int q, int groups, float[] ua, float[] ug, double[] d, Layout layout) {
        int qg = q / groups;
        if (groups < 1 || q % groups != 0 || (ua != null && ua.length != groups * p * p)
                || (ug != null && ug.length != groups * qg * qg) || d.length != p * q) {
            throw new IllegalArgumentException("Kronecker block of layer '" + layer + "': bases " + (ua == null ? 0 : ua.length)
                    + ", " + (ug == null ? 0 : ug.length) + " and " + d.length + " eigenvalues do not fit p = " + p
                    + ", q = " + q + " in " + groups + " group(s)");
        }
        this.layer = layer;
        this.offset = offset;
        this.p = p;
        this.q = q;
        this.groups = groups;
        this.ua = ua;
        this.ug = ug;
        this.d = d;
        this.layout = layout;
    }

    int size() {
        return p * q;
    }

    /**
     * The per-example rows into the eigenbasis (EKFAC's refit, logit variances): input rows [rows, groups p] times
     * U_A (group g's columns by its own basis) and output-gradient rows [gradRows, q] times U_G (group g's columns
     * g q/G on by its basis). Null bases leave the rows as they are (copied).
     */
    void rotateRows(int rows, float[] inputs, float[] rotatedInputs, int gradRows, float[] grads, float[] rotatedGrads) {
        rotateRows(rows, inputs, rotatedInputs, gradRows, grads, rotatedGrads, GemmOperands.FRESH);
    }

    /** {@link #rotateRows} with its GEMM operands from {@code ops} (kept between calls). */
    void rotateRows(int rows, float[] inputs, float[] rotatedInputs, int gradRows, float[] grads, float[] rotatedGrads,
                    GemmOperands ops) {
        if (ua == null) {
            System.arraycopy(inputs, 0, rotatedInputs, 0, rows * groups * p);
            System.arraycopy(grads, 0, rotatedGrads, 0, gradRows * q);
            return;
        }
        int qg = q / groups, gp = groups * p;
        for (int g = 0, s = 0; g < groups; g++, s += 6) {
            Gemm.gemm(rows, p, p, 1f, ops.of(s, inputs, g * p, gp), ops.of(s + 1, ua, g * p * p, p), 0f,
                    ops.of(s + 2, rotatedInputs, g * p, gp));
            Gemm.gemm(gradRows, qg, qg, 1f, ops.of(s + 3, grads, g * qg, q), ops.of(s + 4, ug, g * qg * qg, qg), 0f,
                    ops.of(s + 5, rotatedGrads, g * qg, q));
        }
    }

    /**
     * One example's gradient-shaped p x q matrix (in the eigenbasis when the rows were rotated) from its
     * {@code positions} input rows (from row {@code inputRow} of [rows, groups p]) and output-gradient rows (from
     * row {@code gradRow} of [rows, q]): sum over positions of a_t g_t^T, each group's columns from its own rows,
     * into out from outOff (p x q, row-major).
     */
    void exampleProduct(float[] inputs, int inputRow, float[] grads, int gradRow, int positions, float[] out, int outOff) {
        exampleProduct(inputs, inputRow, grads, gradRow, positions, out, outOff, GemmOperands.FRESH);
    }

    /** {@link #exampleProduct} with its GEMM operands from {@code ops}. */
    void exampleProduct(float[] inputs, int inputRow, float[] grads, int gradRow, int positions, float[] out, int outOff,
                        GemmOperands ops) {
        int qg = q / groups, gp = groups * p;
        for (int g = 0, s = 0; g < groups; g++, s += 3) {
            Gemm.gemm(p, qg, positions, 1f, ops.transposeOf(s, inputs, inputRow * gp + g * p, gp),
                    ops.of(s + 1, grads, gradRow * q + g * qg, q), 0f, ops.of(s + 2, out, outOff + g * qg, q));
        }
    }

    /**
     * out [rows, q] = input rows [rows, groups p] times a p x q matrix m (from mOff), group g's input columns
     * times m's columns of group g (q / groups from g q / groups on): each row's a^T M, group by group.
     */
    static void rowsTimes(int p, int q, int groups, int rows, float[] inputs, float[] m, int mOff, float[] out) {
        rowsTimes(p, q, groups, rows, inputs, m, mOff, out, GemmOperands.FRESH);
    }

    /** {@link #rowsTimes} with its GEMM operands from {@code ops}. */
    static void rowsTimes(int p, int q, int groups, int rows, float[] inputs, float[] m, int mOff, float[] out, GemmOperands ops) {
        int qg = q / groups, gp = groups * p;
        for (int g = 0, s = 0; g < groups; g++, s += 3) {
            Gemm.gemm(rows, qg, p, 1f, ops.of(s, inputs, g * p, gp), ops.of(s + 1, m, mOff + g * qg, q), 0f,
                    ops.of(s + 2, out, g * qg, q));
        }
    }

    /** The same eigenbasis with other eigenvalues (EKFAC's refit). */
    KroneckerBlock withEigenvalues(double[] values) {
        return new KroneckerBlock(layer, offset, p, q, groups, ua, ug, values, layout);
    }

    /** Into the eigenbasis: t = U_A^T V U_G, using w (p x q) as scratch; operands from ops' first 6 groups slots. */
    void rotateIn(float[] v, float[] w, float[] t, GemmOperands ops) {
        float[] source = v;
        int at = offset;
        if (layout.outputMajor()) {
            layout.gather(v, offset, p, q, t);
            source = t;
            at = 0;
        }
        if (ua == null) {
            if (source == v) System.arraycopy(v, offset, t, 0, p * q);
            return;
        }
        sandwich(p, q, groups, ua, true, source, at, ug, w, t, 0, ops, 0);
    }

    /**
     * Group by group, out's columns of group g (q / groups of them from g q / groups on) = op(L_g) V_g R_g: L_g the
     * p x p matrix of group g in {@code left} (transposed when {@code transposeLeft}), V_g those columns of V, R_g the
     * (q / groups)^2 matrix of group g in {@code right}. V and out are p x q, row-major, from vAt and outAt; w (p x q)
     * is scratch. Into a block's eigenbasis (U_A^T V U_G) and the K-FAC optimizer's damped inverse (A^-1 V G^-1). The
     * operands come from {@code ops}, six slots per group from {@code slot0}, so repeated calls allocate nothing.
     */
    static void sandwich(int p, int q, int groups, float[] left, boolean transposeLeft, float[] v, int vAt, float[] right,
                         float[] w, float[] out, int outAt, GemmOperands ops, int slot0) {
        int qg = q / groups;
        for (int g = 0, s = slot0; g < groups; g++, s += 6) {
            int c = g * qg;
            GemmOperand l = transposeLeft ? ops.transposeOf(s, left, g * p * p, p) : ops.of(s, left, g * p * p, p);
            Gemm.gemm(p, qg, p, 1f, l, ops.of(s + 1, v, vAt + c, q), 0f, ops.of(s + 2, w, c, q));
            Gemm.gemm(p, qg, qg, 1f, ops.of(s + 3, w, c, q), ops.of(s + 4, right, g * qg * qg, qg), 0f, ops.of(s + 5, out, outAt + c, q));
        }
    }

    /** Out of the eigenbasis: out[offset...] = U_A t U_G^T, using w as scratch; operands from ops' slots after rotateIn's. */
    void rotateOut(float[] t, float[] w, float[] out, GemmOperands ops) {
        int s = 6 * groups;
        if (ua != null && groups > 1) {
            // Group by group into t (as scratch for the product), then scattered like any Conv2d's.
            for (int g = 0; g < groups; g++, s += 4) {
                int qg = q / groups, c = g * qg;
                Gemm.gemm(p, qg, qg, 1f, ops.of(s, t, c, q), ops.transposeOf(s + 1, ug, g * qg * qg, qg), 0f, ops.of(s + 2, w, c, q));
                Gemm.gemm(p, qg, p, 1f, ops.of(s + 3, ua, g * p * p, p), ops.of(s + 2, w, c, q), 0f, ops.of(s, t, c, q));
            }
        } else if (ua != null) {
            Gemm.gemm(p, q, q, 1f, ops.of(s, t, 0, q), ops.transposeOf(s + 1, ug, 0, q), 0f, ops.of(s + 2, w, 0, q));
            if (layout.outputMajor()) {
                Gemm.gemm(p, q, p, 1f, ops.of(s + 3, ua, 0, p), ops.of(s + 2, w, 0, q), 0f, ops.of(s, t, 0, q));
            } else {
                Gemm.gemm(p, q, p, 1f, ops.of(s + 3, ua, 0, p), ops.of(s + 2, w, 0, q), 0f, ops.of(s + 4, out, offset, q));
                return;
            }
        }
        if (layout.outputMajor()) layout.scatter(t, p, q, out, offset);
        else System.arraycopy(t, 0, out, offset, p * q);
    }
}
