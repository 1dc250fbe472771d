package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * The output gradients that per-sample gradients of structured layers ({@link StructuredLayer}) are built
 * from: d_n, the gradient of sample n's own loss in each layer's output. The d_n of every layer come from ONE
 * backward pass with the loss's cotangent scaled by the batch size, since the loss is the mean of the samples'
 * losses.
 */
public final class SampleGradients {
    private SampleGradients() {}

    /** Each call's d, [N, ..., out]: the gradient of each sample's own loss in the call's output. */
    public static List<Node> outputGradients(Node loss, List<StructuredLayer> calls) {
        int samples = Losses.samples("per-sample gradients", loss);
        Node[] outputs = new Node[calls.size()];
        for (int i = 0; i < outputs.length; i++) outputs[i] = calls.get(i).call().output();
        return List.of(Autodiff.vjp(loss, loss.graph().fill(samples, Shape.scalar()), outputs));
    }

    /** Each call's backpropagated image of a cotangent of the prediction (a Hessian factor column), [N, ..., out]. */
    public static List<Node> backpropagate(Node prediction, List<StructuredLayer> calls, Node column) {
        Node[] outputs = new Node[calls.size()];
        for (int i = 0; i < outputs.length; i++) outputs[i] = calls.get(i).call().output();
        return List.of(Autodiff.vjp(prediction, column, outputs));
    }

    /** The nodes for {@code params} from per-call weight/bias pairs, in the parameters' order. */
    static List<Node> inParameterOrder(List<Node> params, List<StructuredLayer> calls, List<Node[]> perCall) {
        List<Node> result = new ArrayList<>();
        for (Node p : params) {
            for (int i = 0; i < calls.size(); i++) {
                if (calls.get(i).weight() == p) result.add(perCall.get(i)[0]);
                else if (calls.get(i).bias() == p) result.add(perCall.get(i)[1]);
            }
        }
        return result;
    }
}
