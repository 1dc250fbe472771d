package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Node;

import java.util.ArrayList;
import java.util.List;

/**
 * Helpers of the structured layers' curvature diagonals ({@link StructuredLayer}): the backpropagated images of
 * a prediction cotangent in each layer's output, and per-call results in the parameters' order. The per-sample
 * methods' own backward pass is {@link PerSampleParameters#pass}.
 */
public final class SampleGradients {
    private SampleGradients() {}

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
