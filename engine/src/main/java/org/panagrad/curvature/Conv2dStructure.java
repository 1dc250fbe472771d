package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;

import java.util.List;

/**
 * A Conv2d layer's structure (one group): x [N, C, H, W], weight [O, C, kh, kw] read as [O, K] with
 * K = C kh kw, d [N, O, OH, OW] read as D_n [O, P] over the P = OH OW output positions. With U_n [K, P] sample
 * n's unfolded input patches (im2col), its weight gradient is D_n U_n^T and its bias gradient D_n summed over
 * positions. The patches come from a convolution of x with the identity kernel (the K x K identity seen as
 * [K, C, kh, kw]) under the layer's own stride, padding and dilation, so they line up with the weight's layout
 * by construction.
 *
 * <p>A squared norm ||D_n U_n^T||^2 = sum_{p,q} (U_n^T U_n)_{pq} (D_n^T D_n)_{pq} (the Gram trick) costs
 * P^2 (K + O) per sample against P K O for the materialised gradient: the cheaper one is built. LeNet-5's
 * layers (P = 784, K = 25, O = 6; P = 100, K = 150, O = 16) materialise.
 */
record Conv2dStructure(LayerCall call, Conv2d conv, Node patches) implements StructuredLayer {
    /** The structure of a Conv2d call with one group; the patches [N, K, P] are built here. */
    static Conv2dStructure of(LayerCall call, Conv2d conv) {
        Node x = call.input(), w = conv.weight();
        int k = w.shape().numel() / w.shape().dim(0);
        float[] identity = new float[k * k];
        for (int i = 0; i < k; i++) identity[i * k + i] = 1;
        Node kernel = x.graph().constant(call.name() + ".unfold" + x.graph().size(),
                Shape.of(k, w.shape().dim(1), w.shape().dim(2), w.shape().dim(3)), identity);
        Node unfolded = Ops.conv2d(x, kernel, null, conv.geometry());
        return new Conv2dStructure(call, conv, Ops.reshape(unfolded, x.shape().dim(0), k, -1));
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

    private int fanIn() {
        return patches.shape().dim(1);
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

    @Override
    public Node inputRows() {
        return Ops.reshape(Ops.permute(patches, 0, 2, 1), -1, fanIn());
    }

    @Override
    public Node gradientRows(Node d) {
        return Ops.reshape(Ops.permute(byPosition(d), 0, 2, 1), -1, d.shape().dim(1));
    }

    @Override
    public Node weightGradient(Node inputRows, Node gradientRows) {
        return Ops.reshape(Ops.matmul(gradientRows, inputRows, true, false), weight().shape());
    }

    @Override
    public Node[] perSample(Node d) {
        Node d3 = byPosition(d);
        int[] dims = new int[5];
        dims[0] = samples();
        System.arraycopy(weight().shape().dims(), 0, dims, 1, 4);
        Node w = Ops.reshape(Ops.matmul(d3, patches, false, true), dims);
        return new Node[] {w, bias() == null ? null : Ops.sum(d3, 2, false)};
    }

    @Override
    public Node squaredNorm(Node d) {
        Node d3 = byPosition(d), weightPart;
        long p = positions(), k = fanIn(), o = d.shape().dim(1);
        if (p * (k + o) < k * o) {
            Node gramU = Ops.matmul(patches, patches, true, false), gramD = Ops.matmul(d3, d3, true, false);
            weightPart = Ops.sum(Ops.mul(gramU, gramD), new int[] {1, 2}, false);
        } else {
            Node g = Ops.matmul(d3, patches, false, true);
            weightPart = Ops.sum(Ops.mul(g, g), new int[] {1, 2}, false);
        }
        if (bias() == null) return weightPart;
        Node b = Ops.sum(d3, 2, false);
        return Ops.add(weightPart, Ops.sum(Ops.mul(b, b), 1, false));
    }

    @Override
    public Node[] squareSums(List<Node> ds) {
        return StructuredLayer.squareSumsOfMaterialized(this, ds);
    }
}
