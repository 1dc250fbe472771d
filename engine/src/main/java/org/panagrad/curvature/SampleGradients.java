package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-sample gradients of Linear layers from their structure, as graph nodes. With a_n the layer's input and
 * d_n the gradient of sample n's own loss in the layer's output, sample n's weight gradient is a_n^T d_n (an
 * outer product on [N, in] input; on [N, T, in] a sum over T, one batched product) and its bias gradient the
 * sum of d_n over T. The d_n of every layer come from ONE backward pass with the loss's cotangent scaled by
 * the batch size, since the loss is the mean of the samples' losses.
 *
 * <p>On [N, in] input, sums of squares over samples need no per-sample tensors: elementwise,
 * sum_n (a_n d_n^T)^2 = (A^2)^T (D^2), one GEMM; and a squared norm is ||a_n d_n^T||^2 = ||a_n||^2 ||d_n||^2.
 */
public final class SampleGradients {
    private SampleGradients() {}

    /** Each call's d, [N, ..., out]: the gradient of each sample's own loss in the call's output. */
    public static List<Node> outputGradients(Node loss, List<LayerCall> calls) {
        int samples = Losses.samples("per-sample gradients", loss);
        Node[] outputs = new Node[calls.size()];
        for (int i = 0; i < outputs.length; i++) outputs[i] = calls.get(i).output();
        return List.of(Autodiff.vjp(loss, loss.graph().fill(samples, Shape.scalar()), outputs));
    }

    /** Each call's backpropagated image of a prediction cotangent (a Hessian factor column), [N, ..., out]. */
    public static List<Node> backpropagate(Node loss, List<LayerCall> calls, Node column) {
        Node[] outputs = new Node[calls.size()];
        for (int i = 0; i < outputs.length; i++) outputs[i] = calls.get(i).output();
        return List.of(Autodiff.vjp(Losses.prediction(loss), column, outputs));
    }

    /** Sample n's weight and bias gradients, [N, in, out] and [N, out], from the call's d. */
    public static Node[] perSample(LayerCall call, Node d) {
        Node a = call.input();
        int n = a.shape().dim(0), in = a.shape().dim(a.shape().rank() - 1), out = d.shape().dim(d.shape().rank() - 1);
        if (a.shape().rank() == 2) {
            // N products of [in, 1] x [1, out]: the GEMM writes each outer product once.
            return new Node[] {Ops.matmul(Ops.reshape(a, n, in, 1), Ops.reshape(d, n, 1, out)), d};
        }
        Node a3 = Ops.reshape(a, n, -1, in), d3 = Ops.reshape(d, n, -1, out);
        return new Node[] {Ops.matmul(a3, d3, true, false), Ops.sum(d3, 1, false)};
    }

    /** ||g_n||^2 over the call's weight and bias, [N], without per-sample tensors on [N, in] input. */
    public static Node squaredNorm(LayerCall call, Node d) {
        Node a = call.input();
        if (a.shape().rank() == 2) {
            Node dd = Ops.sum(Ops.mul(d, d), 1, false), aa = Ops.sum(Ops.mul(a, a), 1, false);
            return Ops.add(Ops.mul(aa, dd), dd);
        }
        Node[] g = perSample(call, d);
        return Ops.add(Ops.sum(Ops.mul(g[0], g[0]), new int[] {1, 2}, false), Ops.sum(Ops.mul(g[1], g[1]), 1, false));
    }

    /**
     * sum_n sum_k (g_{n,k})^2 elementwise for the weight and the bias, where g_{n,k} is the per-sample gradient
     * that the call's d_k gives: one GEMM (A^2)^T sum_k D_k^2 on [N, in] input.
     */
    public static Node[] squareSums(LayerCall call, List<Node> ds) {
        Node a = call.input();
        if (a.shape().rank() == 2) {
            Node dd = null;
            for (Node d : ds) dd = dd == null ? Ops.mul(d, d) : Ops.add(dd, Ops.mul(d, d));
            return new Node[] {Ops.matmul(Ops.mul(a, a), dd, true, false), Ops.sum(dd, 0, false)};
        }
        Node w = null, b = null;
        for (Node d : ds) {
            Node[] g = perSample(call, d);
            Node wk = Ops.sum(Ops.mul(g[0], g[0]), 0, false), bk = Ops.sum(Ops.mul(g[1], g[1]), 0, false);
            w = w == null ? wk : Ops.add(w, wk);
            b = b == null ? bk : Ops.add(b, bk);
        }
        return new Node[] {w, b};
    }

    /** The nodes for {@code params} from per-call weight/bias pairs, in the parameters' order. */
    static List<Node> inParameterOrder(List<Node> params, List<LayerCall> calls, List<Node[]> perCall) {
        List<Node> result = new ArrayList<>();
        for (Node p : params) {
            for (int i = 0; i < calls.size(); i++) {
                if (LinearLayers.weight(calls.get(i)) == p) result.add(perCall.get(i)[0]);
                else if (LinearLayers.bias(calls.get(i)) == p) result.add(perCall.get(i)[1]);
            }
        }
        return result;
    }
}
