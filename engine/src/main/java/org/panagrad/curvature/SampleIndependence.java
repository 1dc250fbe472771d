package org.panagrad.curvature;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.BatchMoments;

import java.util.List;

/**
 * What every per-sample method assumes: the loss is a mean of terms each computed from one sample alone, so that
 * one backward pass over the batch, seeded with N, gives each sample's own gradient. Batch statistics break it
 * (batch norm in training mode normalises each sample with the whole batch's mean and variance), and such a loss
 * is refused naming the layer, as functorch and Opacus refuse it, instead of answering with gradients that mix
 * the samples.
 */
final class SampleIndependence {
    private SampleIndependence() {}

    /** Fails naming the layer if anything the loss depends on computes statistics over the batch. */
    static void require(String method, Node loss, List<LayerCall> calls) {
        Graph g = loss.graph();
        boolean[] needed = new boolean[g.size()];
        needed[loss.id()] = true;
        for (int id = loss.id(); id >= 0; id--) {
            if (!needed[id]) continue;
            Node n = g.nodes().get(id);
            if (n.op() instanceof BatchMoments) throw coupled(method, n, calls);
            for (int i = 0; i < n.arity(); i++) needed[n.input(i).id()] = true;
        }
    }

    private static IllegalArgumentException coupled(String method, Node moments, List<LayerCall> calls) {
        String layer = "the batch statistics " + moments.describe();
        for (LayerCall c : calls) {
            if (c.input() == moments.input(0)) layer = "layer '" + c.name() + "' (" + c.layer().describe() + ") in training mode";
        }
        return new IllegalArgumentException(method + " does not support " + layer + ": its batch statistics couple the"
                + " samples, so no sample has a gradient of its own; build the loss from an evaluation pass (Forward.eval()),"
                + " whose running statistics keep the samples independent");
    }
}
