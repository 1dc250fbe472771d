package org.panagrad.curvature;

import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.Linear;
import org.panagrad.ops.Ops;

import java.util.List;

/**
 * A Linear layer's structure: x [N, ..., in], weight [in, out], d [N, ..., out]. Sample n's weight gradient is
 * a_n^T d_n (an outer product on [N, in] input; on [N, T, in] a sum over T, one batched product). On [N, in]
 * input, sums of squares over samples need no per-sample tensors: elementwise, sum_n (a_n d_n^T)^2 =
 * (A^2)^T (D^2), one GEMM; and a squared norm is ||a_n d_n^T||^2 = ||a_n||^2 ||d_n||^2.
 */
record LinearStructure(LayerCall call, Linear linear) implements StructuredLayer {
    @Override
    public Node weight() {
        return linear.weight();
    }

    @Override
    public Node bias() {
        return linear.bias();
    }

    private int in() {
        Node a = call.input();
        return a.shape().dim(a.shape().rank() - 1);
    }

    @Override
    public KroneckerBlock.Layout layout() {
        return KroneckerBlock.Layout.INPUT_MAJOR;
    }

    @Override
    public Node inputRows() {
        return Ops.reshape(call.input(), -1, in());
    }

    @Override
    public Node gradientRows(Node d) {
        return Ops.reshape(d, -1, d.shape().dim(d.shape().rank() - 1));
    }

    @Override
    public int positions() {
        return call.input().shape().numel() / call.input().shape().dim(0) / in();
    }

    @Override
    public Node weightGradient(Node inputRows, Node gradientRows) {
        return Ops.matmul(inputRows, gradientRows, true, false);
    }

    @Override
    public Node[] perSample(Node d) {
        Node a = call.input();
        int n = a.shape().dim(0), in = in(), out = d.shape().dim(d.shape().rank() - 1);
        if (a.shape().rank() == 2) {
            // N products of [in, 1] x [1, out]: the GEMM writes each outer product once.
            return new Node[] {Ops.matmul(Ops.reshape(a, n, in, 1), Ops.reshape(d, n, 1, out)), d};
        }
        Node a3 = Ops.reshape(a, n, -1, in), d3 = Ops.reshape(d, n, -1, out);
        return new Node[] {Ops.matmul(a3, d3, true, false), Ops.sum(d3, 1, false)};
    }

    @Override
    public Node squaredNorm(Node d) {
        Node a = call.input();
        if (a.shape().rank() == 2) {
            Node dd = Ops.sum(Ops.mul(d, d), 1, false), aa = Ops.sum(Ops.mul(a, a), 1, false);
            return Ops.add(Ops.mul(aa, dd), dd);
        }
        Node[] g = perSample(d);
        return Ops.add(Ops.sum(Ops.mul(g[0], g[0]), new int[] {1, 2}, false), Ops.sum(Ops.mul(g[1], g[1]), 1, false));
    }

    @Override
    public Node[] squareSums(List<Node> ds) {
        Node a = call.input();
        if (a.shape().rank() != 2) return StructuredLayer.squareSumsOfMaterialized(this, ds);
        Node dd = null;
        for (Node d : ds) dd = dd == null ? Ops.mul(d, d) : Ops.add(dd, Ops.mul(d, d));
        return new Node[] {Ops.matmul(Ops.mul(a, a), dd, true, false), Ops.sum(dd, 0, false)};
    }
}
