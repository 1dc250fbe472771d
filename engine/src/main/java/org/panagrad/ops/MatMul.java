package org.panagrad.ops;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.graph.Shape;
import org.panagrad.graph.ShapeException;
import org.panagrad.kernels.Gemm;
import org.panagrad.kernels.GemmBatch;
import org.panagrad.kernels.GemmEpilogue;
import org.panagrad.kernels.GemmOperand;
import org.panagrad.kernels.SymmetricGemm;

import java.util.ArrayList;
import java.util.List;

/**
 * op(A) · op(B) over the last two axes, where op transposes when asked, batched over the leading axes as
 * torch.matmul: {@code [..., m, k] · [..., k, n] -> [..., m, n]}, the batch axes broadcast (a missing or length-1
 * axis repeats). A vector operand is a row (A) or a column (B) whose added axis is dropped from the result.
 * <p>
 * Every batch entry is one call of the packed GEMM, reading its operands in place through their offsets and
 * leading dimensions, so transposes and broadcast operands cost no copies. When B is one matrix for all
 * entries and A is not transposed ({@code [..., m, k] · [k, n]}, a Linear on a sequence), the entries' rows
 * are contiguous and the product is ONE GEMM over all of them. The same holds for that case's weight
 * gradient, which sums over the batch inside the GEMM's k loop: {@code A^T G} over the folded rows.
 */
public record MatMul(boolean transA, boolean transB) implements Op {
    public static Node of(Node a, Node b, boolean transA, boolean transB) {
        String op = "matmul" + (transA ? " (A transposed)" : "") + (transB ? " (B transposed)" : "");
        int ra = a.shape().rank(), rb = b.shape().rank();
        if (ra == 0 || rb == 0) throw ShapeException.of(op, a, b, "operands need at least one axis (scale multiplies by a scalar)");
        int ka = ra == 1 ? a.shape().dim(0) : transA ? a.shape().dim(ra - 2) : a.shape().dim(ra - 1);
        int kb = rb == 1 ? b.shape().dim(0) : transB ? b.shape().dim(rb - 1) : b.shape().dim(rb - 2);
        if (ka != kb) throw ShapeException.of(op, a, b, "inner dimensions " + ka + " and " + kb + " differ");
        if (ra == 1 || rb == 1) return ofVectors(a, b, transA, transB);
        int m = transA ? a.shape().dim(ra - 1) : a.shape().dim(ra - 2), n = transB ? b.shape().dim(rb - 2) : b.shape().dim(rb - 1);
        int batchRank = Math.max(ra, rb) - 2;
        int[] dims = new int[batchRank + 2];
        for (int i = 0; i < batchRank; i++) {
            int da = batchDim(a.shape(), batchRank, i), db = batchDim(b.shape(), batchRank, i);
            if (da != db && da != 1 && db != 1) {
                throw ShapeException.of(op, a, b, "batch dimensions do not broadcast (batch axis " + i + ": " + da + " vs " + db + ")");
            }
            dims[i] = Math.max(da, db);
        }
        dims[batchRank] = m;
        dims[batchRank + 1] = n;
        return a.graph().node(new MatMul(transA, transB), Shape.of(dims), a, b);
    }

    /** As torch.matmul: a vector A is a row [1, k], a vector B a column [k, 1], and the added axis goes again. */
    private static Node ofVectors(Node a, Node b, boolean transA, boolean transB) {
        int ra = a.shape().rank(), rb = b.shape().rank();
        Node a2 = ra == 1 ? Reshape.of(a, Shape.of(1, a.shape().dim(0))) : a;
        Node b2 = rb == 1 ? Reshape.of(b, Shape.of(b.shape().dim(0), 1)) : b;
        Node y = of(a2, b2, ra > 1 && transA, rb > 1 && transB);
        List<Integer> dims = new ArrayList<>();
        int r = y.shape().rank();
        for (int i = 0; i < r; i++) {
            if (!(i == r - 2 && ra == 1) && !(i == r - 1 && rb == 1)) dims.add(y.shape().dim(i));
        }
        return Reshape.of(y, Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** Dimension i of the batch axes (aligned to the right, as broadcasting aligns them) of a shape; 1 if missing. */
    private static int batchDim(Shape s, int batchRank, int i) {
        int j = i - (batchRank - (s.rank() - 2));
        return j >= 0 ? s.dim(j) : 1;
    }

    @Override
    public String name() {
        return "matmul" + (transA ? "_tn" : "") + (transB ? (transA ? "" : "_nt") : "");
    }

    /** The inner dimension k of the product y. */
    public int inner(Node y) {
        Shape a = y.input(0).shape();
        return transA ? a.dim(a.rank() - 2) : a.dim(a.rank() - 1);
    }

    // With C = op(A) op(B): d op(A) = G op(B)^T and d op(B) = op(A)^T G, transposed back where op transposes, and
    // summed over the batch axes along which the operand was broadcast.
    @Override
    public Node[] vjp(Node y, Node g) {
        Node a = y.input(0), b = y.input(1);
        Node ga = transA ? of(b, g, transB, true) : of(g, b, false, !transB);
        Node gb = sharedRightOperand(y) ? foldedGradientOfB(y, g)
                : transB ? of(g, a, true, transA) : of(a, g, !transA, false);
        return new Node[] {sumToShape(ga, a.shape()), sumToShape(gb, b.shape())};
    }

    /**
     * Whether y is one GEMM over the folded rows of its batch entries: B is a single matrix for every entry and
     * A, not transposed, holds each entry's rows one after another ({@code [..., m, k] · [k, n]}).
     */
    private boolean sharedRightOperand(Node y) {
        Shape b = y.input(1).shape();
        return !transA && b.numel() == b.dim(b.rank() - 2) * b.dim(b.rank() - 1);
    }

    /** B's cotangent when y folds its rows: (A^T G or G^T A) over the folded rows, one product summing the batch. */
    private Node foldedGradientOfB(Node y, Node g) {
        Node a = y.input(0);
        Node af = Reshape.of(a, Shape.of(a.shape().numel() / inner(y), inner(y)));
        Node gf = Reshape.of(g, Shape.of(g.shape().rows(), g.shape().cols()));
        return transB ? of(gf, af, true, false) : of(af, gf, true, false);
    }

    /**
     * The cotangent g of a broadcast operand summed back to its shape over the batch axes it was broadcast along:
     * those axes are moved to the front and summed as the rows of a matrix.
     */
    private static Node sumToShape(Node g, Shape target) {
        if (g.shape().numel() == target.numel()) return Reshape.of(g, target); // only axes of length 1 differ
        int rank = g.shape().rank(), lead = rank - target.rank();
        List<Integer> summed = new ArrayList<>(), kept = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            boolean broadcast = i < lead || (i < rank - 2 && target.dim(i - lead) == 1 && g.shape().dim(i) > 1);
            (broadcast ? summed : kept).add(i);
        }
        int count = 1;
        for (int i : summed) count *= g.shape().dim(i);
        List<Integer> order = new ArrayList<>(summed);
        order.addAll(kept);
        Node front = Permute.of(g, order.stream().mapToInt(Integer::intValue).toArray());
        Node rows = Reshape.of(front, Shape.of(count, g.shape().numel() / count));
        return Reshape.of(Ops.sum(rows, 0, false), target);
    }

    @Override
    public Node jvp(Node y, Node[] t) {
        Node a = y.input(0), b = y.input(1);
        return Tangents.add(t[0] == null ? null : of(t[0], b, transA, transB),
                t[1] == null ? null : of(a, t[1], transA, transB));
    }

    /**
     * The stack axis becomes one more batch axis: a stacked A times one B folds into a single GEMM k times
     * taller, and other cases are k GEMMs reading the shared operand in place. Vector operands have no rule.
     */
    @Override
    public Node batched(Node y, Node[] inputs, boolean[] stacked, int k) {
        if (y.input(0).shape().rank() < 2 || y.input(1).shape().rank() < 2) return null;
        Node[] in = Broadcast.stackedOperands(inputs, stacked, y.shape().rank());
        return of(in[0], in[1], transA, transB);
    }

    @Override
    public void reference(Node y, double[][] in, double[] out) {
        Batch batch = batch(y);
        int m = batch.m, n = batch.n, k = inner(y), lda = batch.lda, ldb = batch.ldb;
        for (int e = 0; e < batch.entries(); e++) {
            int ao = batch.aOffsets[e], bo = batch.bOffsets[e], co = e * batch.cStride;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = transA ? in[0][ao + p * lda + i] : in[0][ao + i * lda + p];
                        double bv = transB ? in[1][bo + j * ldb + p] : in[1][bo + p * ldb + j];
                        s += av * bv;
                    }
                    out[co + i * n + j] = s;
                }
            }
        }
    }

    @Override
    public Instruction compile(Node y, Buffers buf) {
        Node a = y.input(0);
        int m = y.shape().dim(y.shape().rank() - 2);
        if (a == y.input(1) && transA != transB && y.shape().rank() == 2 && SymmetricGemm.worthIt(transA, m, inner(y))) {
            // A^T A or A A^T: a Gram matrix, symmetric, so only its upper half is multiplied (Kronecker factors).
            float[] x = buf.array(a), c = buf.array(y);
            int xOff = buf.offset(a), lda = a.shape().dim(1), cOff = buf.offset(y), k = inner(y);
            return () -> SymmetricGemm.gram(transA, m, k, 1f, x, xOff, lda, c, cOff);
        }
        return compileGemm(y, buf, null, false, null);
    }

    /**
     * The GEMM calls for y (a matmul or a fusion of one), with a bias row, ReLU and a mask (zeroing where the
     * mask is not positive, laid out like y; see {@link Gemm#gemm}) fused into their epilogue when given.
     */
    public Instruction compileGemm(Node y, Buffers buf, Node bias, boolean relu, Node mask) {
        Node a = y.input(0), b = y.input(1);
        Batch batch = batch(y);
        int m = batch.m, n = batch.n, k = inner(y), cStride = batch.cStride, entries = batch.entries();
        // Each entry's operands and epilogue, built once here: the entries read A, B and the mask in place at
        // their offsets, and the steady state allocates nothing.
        GemmOperand[] as = new GemmOperand[entries], bs = new GemmOperand[entries], cs = new GemmOperand[entries];
        GemmEpilogue[] epilogues = new GemmEpilogue[entries];
        for (int e = 0; e < entries; e++) {
            as[e] = new GemmOperand(buf.array(a), buf.offset(a) + batch.aOffsets[e], batch.lda, transA);
            bs[e] = new GemmOperand(buf.array(b), buf.offset(b) + batch.bOffsets[e], batch.ldb, transB);
            cs[e] = GemmOperand.of(buf.array(y), buf.offset(y) + e * cStride, n);
            epilogues[e] = new GemmEpilogue(bias == null ? null : buf.array(bias), bias == null ? 0 : buf.offset(bias),
                    relu, mask == null ? null : buf.array(mask), mask == null ? 0 : buf.offset(mask) + e * cStride);
        }
        if (entries == 1) return () -> Gemm.gemm(m, n, k, 1f, as[0], bs[0], 0f, cs[0], epilogues[0]);
        return () -> GemmBatch.gemm(m, n, k, as, bs, cs, epilogues);
    }

    /**
     * How y runs as GEMMs: m x n products, one per entry, the operands of entry e starting at aOffsets[e] and
     * bOffsets[e] (0 along broadcast axes) and its result at e * cStride; a product that folds its rows is one
     * entry of all the rows.
     */
    private record Batch(int m, int n, int lda, int ldb, int cStride, int[] aOffsets, int[] bOffsets) {
        int entries() {
            return aOffsets.length;
        }
    }

    private Batch batch(Node y) {
        Shape sa = y.input(0).shape(), sb = y.input(1).shape(), sy = y.shape();
        int r = sy.rank(), m = sy.dim(r - 2), n = sy.dim(r - 1);
        int lda = sa.dim(sa.rank() - 1), ldb = sb.dim(sb.rank() - 1);
        if (sharedRightOperand(y)) {
            int rows = sy.numel() / n;
            return new Batch(rows, n, lda, ldb, rows * n, new int[1], new int[1]);
        }
        int entries = sy.numel() / (m * n), batchRank = r - 2;
        int[] aOffsets = new int[entries], bOffsets = new int[entries], idx = new int[batchRank];
        int[] as = batchStrides(sa, sy), bs = batchStrides(sb, sy);
        for (int e = 0; e < entries; e++) {
            for (int i = 0; i < batchRank; i++) {
                aOffsets[e] += idx[i] * as[i];
                bOffsets[e] += idx[i] * bs[i];
            }
            for (int i = batchRank - 1; i >= 0 && ++idx[i] == sy.dim(i); i--) idx[i] = 0;
        }
        return new Batch(m, n, lda, ldb, m * n, aOffsets, bOffsets);
    }

    /** The operand's stride along each of y's batch axes: 0 where it is missing or of length 1 (broadcast). */
    private static int[] batchStrides(Shape operand, Shape y) {
        int batchRank = y.rank() - 2, lead = batchRank - (operand.rank() - 2);
        int[] strides = operand.strides(), s = new int[batchRank];
        for (int i = lead; i < batchRank; i++) s[i] = operand.dim(i - lead) == 1 ? 0 : strides[i - lead];
        return s;
    }

    @Override
    public long flops(Node y) {
        return 2L * y.shape().numel() * inner(y);
    }
}
