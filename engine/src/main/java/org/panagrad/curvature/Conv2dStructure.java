package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;
import org.panagrad.ops.PatchGram;

import java.util.List;

/**
 * A Conv2d layer's structure: x [N, C, H, W], weight [O, C/G, kh, kw] with G groups, read as G blocks [O/G, K]
 * with K = C/G kh kw, d [N, O, OH, OW] read as D_ng [O/G, P] over the P = OH OW output positions. With U_ng [K, P]
 * sample n's unfolded input patches of group g's channels (im2col), group g's weight gradient is D_ng U_ng^T
 * (one batched product over samples and groups) and the bias gradient D_n summed over positions. The patches
 * are x unfolded ({@link Ops#unfold}: im2col) under the layer's own stride, padding, dilation and groups, so they
 * line up with the weight's layout by construction.
 *
 * <p>A squared norm ||D_ng U_ng^T||^2 = sum_{p,q} (U_ng^T U_ng)_{pq} (D_ng^T D_ng)_{pq} (the Gram trick) costs
 * P^2 (K + O/G) per sample and group against P K O/G for the materialised gradient: the cheaper one is built.
 * LeNet-5's layers (P = 784, K = 25, O = 6; P = 100, K = 150, O = 16) materialise. A grouped layer's Kronecker
 * factors (KFC) are one pair per group ({@link LayerBackprop}).
 */
record Conv2dStructure(LayerCall call, Conv2d conv, Node patches) implements StructuredLayer {
    /** The structure of a Conv2d call; the patches [N, G K, P] are built here. */
    static Conv2dStructure of(LayerCall call, Conv2d conv) {
        Node x = call.input(), w = conv.weight();
        int k = w.shape().numel() / w.shape().dim(0), groups = conv.geometry().groups();
        Node unfolded = Ops.unfold(x, w.shape().dim(2), w.shape().dim(3), conv.geometry());
        return new Conv2dStructure(call, conv, Ops.reshape(unfolded, x.shape().dim(0), groups * k, -1));
    }

    @Override
    public Node weight() {
        return conv.weight();
    }

    @Override
    public Node bias() {
        return conv.bias();
    }

    private int samples() {
        return patches.shape().dim(0);
    }

    @Override
    public int groups() {
        return conv.geometry().groups();
    }

    /** K, one group's fan-in. */
    private int fanIn() {
        return patches.shape().dim(1) / groups();
    }

    /** The patches as [N, G, K, P]. */
    private Node groupPatches() {
        return Ops.reshape(patches, samples(), groups(), fanIn(), positions());
    }

    /** d as [N, G, O/G, P]. */
    private Node byGroup(Node d) {
        return Ops.reshape(d, samples(), groups(), d.shape().dim(1) / groups(), positions());
    }

    @Override
    public int positions() {
        return patches.shape().dim(2);
    }

    private Node byPosition(Node d) {
        return Ops.reshape(d, samples(), d.shape().dim(1), positions());
    }

    @Override
    public KroneckerBlock.Layout layout() {
        return new KroneckerBlock.Layout(true, bias() != null);
    }

    /** [N P, G K]: group g's patch in columns g K to (g + 1) K. */
    @Override
    public Node inputRows() {
        return Ops.reshape(Ops.permute(patches, 0, 2, 1), -1, groups() * fanIn());
    }

    @Override
    public Node gradientRows(Node d) {
        return Ops.reshape(Ops.permute(byPosition(d), 0, 2, 1), -1, d.shape().dim(1));
    }

    @Override
    public Node weightGradient(Node inputRows, Node gradientRows) {
        int g = groups();
        if (g == 1) return Ops.reshape(Ops.matmul(gradientRows, inputRows, true, false), weight().shape());
        int rows = inputRows.shape().dim(0), o = gradientRows.shape().dim(1) / g;
        Node a = Ops.permute(Ops.reshape(inputRows, rows, g, fanIn()), 1, 0, 2);
        Node d = Ops.permute(Ops.reshape(gradientRows, rows, g, o), 1, 0, 2);
        return Ops.reshape(Ops.matmul(d, a, true, false), weight().shape());
    }

    @Override
    public Node[] perSample(Node d) {
        int[] dims = new int[5];
        dims[0] = samples();
        System.arraycopy(weight().shape().dims(), 0, dims, 1, 4);
        Node w = Ops.reshape(Ops.matmul(byGroup(d), groupPatches(), false, true), dims);
        return new Node[] {w, bias() == null ? null : Ops.sum(byPosition(d), 2, false)};
    }

    @Override
    public Node squaredNorm(Node d) {
        Node d4 = byGroup(d), u4 = groupPatches(), weightPart;
        long p = positions(), k = fanIn(), o = d.shape().dim(1) / groups();
        if (p * (k + o) < k * o) {
            Node gramU = Ops.matmul(u4, u4, true, false), gramD = Ops.matmul(d4, d4, true, false);
            weightPart = Ops.sum(Ops.mul(gramU, gramD), new int[] {1, 2, 3}, false);
        } else {
            Node g = Ops.matmul(d4, u4, false, true);
            weightPart = Ops.sum(Ops.mul(g, g), new int[] {1, 2, 3}, false);
        }
        Node d3 = byPosition(d);
        if (bias() == null) return weightPart;
        Node b = Ops.sum(d3, 2, false);
        return Ops.add(weightPart, Ops.sum(Ops.mul(b, b), 1, false));
    }

    /**
     * KFC's sum over samples and positions of a a^T for the augmented patches a = [u, 1] (one group only), from
     * the patches in channel-major order [K, N P]: row i of that matrix holds patch entry i of every sample and
     * position, so the sum is its Gram product X X^T with the row sums and N P bordering it for the bias. The
     * rows [N P, K] of {@link #inputRows} would need a transposing copy of the patches (each sample's K x P
     * matrix) and a column of ones concatenated, both as slow as the product at lenet5's shapes; these patches
     * are unfolded channel-major directly ({@link Ops#unfoldChannelMajor}). At stride 1 the whole bordered sum is one
     * {@link PatchGram}, which reads the rows from the input instead of writing them out.
     */
    Node inputGram() {
        if (groups() != 1) throw new IllegalStateException("inputGram is for one group, layer '" + call.name() + "' has " + groups());
        int n = samples(), k = fanIn(), p = positions();
        Node w = conv.weight();
        if (PatchGram.applies(conv.geometry())) {
            return Ops.patchGram(call.input(), w.shape().dim(2), w.shape().dim(3), conv.geometry(), bias() != null);
        }
        Node x = Ops.reshape(Ops.unfoldChannelMajor(call.input(), w.shape().dim(2), w.shape().dim(3), conv.geometry()), k, n * p);
        Node gram = Ops.matmul(x, x, false, true);
        if (bias() == null) return gram;
        Node sums = Ops.sum(x, 1, true);
        Node corner = x.graph().fill((double) n * p, Shape.of(1, 1));
        return Ops.concat(0, Ops.concat(1, gram, sums), Ops.concat(1, Ops.reshape(sums, 1, k), corner));
    }

    /**
     * sum over the vectors, samples and positions of g g^T for the output gradients ds (each shaped like the
     * output, [N, O, OH, OW]), as the Gram product of the gradients in channel-major order [O, V N P]: the same
     * as the Gram of {@link #gradientRows} stacked, without transposing each sample's O x P block.
     */
    Node gradientGram(List<Node> ds) {
        int o = ds.get(0).shape().dim(1), rows = 0;
        Node[] byChannel = new Node[ds.size()];
        for (int v = 0; v < byChannel.length; v++) {
            byChannel[v] = Ops.permute(byPosition(ds.get(v)), 1, 0, 2);
            rows += samples() * positions();
        }
        Node x = Ops.reshape(byChannel.length == 1 ? byChannel[0] : Ops.concat(1, byChannel), o, rows);
        return Ops.matmul(x, x, false, true);
    }

    /**
     * With several vectors (the exact GGN diagonal's one per class) the output gradients are stacked along the
     * channels, [N, V O, P], so each sample's per-vector weight gradients come from one product D U^T of V O rows
     * instead of V products of O rows: at lenet5's shapes (O = 6 and 16) those ran at 15-40 GFLOP/s, a GEMM that
     * short being mostly edges. The squares are summed over the samples, then over the vectors. One group only (a
     * grouped layer's blocks would interleave groups and vectors); one vector needs no stacking.
     */
    @Override
    public Node[] squareSums(List<Node> ds) {
        if (ds.size() == 1 || groups() != 1) return StructuredLayer.squareSumsOfMaterialized(this, ds);
        int v = ds.size(), o = weight().shape().dim(0), k = fanIn();
        Node[] byPosition = new Node[v];
        for (int i = 0; i < v; i++) byPosition[i] = byPosition(ds.get(i));
        Node stacked = Ops.concat(1, byPosition);
        Node g = Ops.matmul(Ops.reshape(stacked, samples(), 1, v * o, positions()), groupPatches(), false, true);
        Node w = Ops.sum(Ops.reshape(Ops.sum(Ops.mul(g, g), 0, false), v, o * k), 0, false);
        Node b = null;
        if (bias() != null) {
            Node sums = Ops.sum(stacked, 2, false);
            b = Ops.sum(Ops.reshape(Ops.sum(Ops.mul(sums, sums), 0, false), v, o), 0, false);
        }
        return new Node[] {Ops.reshape(w, weight().shape()), b};
    }
}
