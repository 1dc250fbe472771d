package org.panagrad.curvature;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Input;
import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.BatchMoments;
import org.panagrad.ops.Max;
import org.panagrad.ops.Sum;

import java.util.List;

/**
 * What every per-sample method assumes: the loss is a mean of terms each computed from one sample alone, so that
 * one backward pass over the batch, seeded with N, gives each sample's own gradient. Batch statistics break it
 * (batch norm in training mode normalises each sample with the whole batch's mean and variance), and such a loss
 * is refused naming the layer, as functorch and Opacus refuse it, instead of answering with gradients that mix
 * the samples; so is a sum or max over the samples' axis before the loss. (Other couplings, an op that mixes
 * axis 0 with another, are not detected.)
 */
final class SampleIndependence {
    private SampleIndependence() {}

    /** Fails naming the layer if anything the loss depends on computes statistics over the batch. */
    static void require(String method, Node loss, List<LayerCall> calls) {
        Graph g = loss.graph();
        int samples = Losses.samples(method, loss);
        boolean[] fromData = new boolean[loss.id() + 1];
        for (int id = 0; id <= loss.id(); id++) {
            Node n = g.nodes().get(id);
            fromData[id] = n.op() instanceof Input;
            for (int i = 0; i < n.arity(); i++) fromData[id] |= fromData[n.input(i).id()];
        }
        boolean[] needed = new boolean[g.size()];
        needed[loss.id()] = true;
        for (int id = loss.id(); id >= 0; id--) {
            if (!needed[id]) continue;
            Node n = g.nodes().get(id);
            if (n.op() instanceof BatchMoments) throw coupled(method, n, calls);
            if (id != loss.id() && reducesSamples(n, samples) && fromData[n.input(0).id()]) {
                throw new IllegalArgumentException(method + ": " + n.describe() + " (" + n.op().name() + ") reduces "
                        + n.input(0).describe() + " over its first axis, the samples, before the loss: the samples"
                        + " interact, so no sample has a gradient of its own");
            }
            for (int i = 0; i < n.arity(); i++) needed[n.input(i).id()] = true;
        }
    }

    /** A sum or max over axis 0 of an input with the samples there. */
    private static boolean reducesSamples(Node n, int samples) {
        int axes = n.op() instanceof Sum s ? s.axes() : n.op() instanceof Max m ? m.axes() : 0;
        Node x = n.arity() > 0 ? n.input(0) : null;
        return (axes & 1) != 0 && samples > 1 && x.shape().rank() >= 1 && x.shape().dim(0) == samples;
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
