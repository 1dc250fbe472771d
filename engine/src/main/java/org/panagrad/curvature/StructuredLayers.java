package org.panagrad.curvature;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.Linear;
import org.panagrad.nn.StateEntry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The layer map of structure-exploiting curvature methods: the Linear and Conv2d calls that cover a
 * loss's parameters, found through {@link org.panagrad.nn.Forward#record}'s layer calls, and checked for what
 * those methods assume: every parameter belongs to one such call on a batch whose first axis is the samples, and
 * is used by nothing else (a tied weight would get only part of its gradient). A parameter of any other layer
 * fails here, naming the layer and the method, so no method answers wrongly for a layer it does not know. The
 * per-sample methods use {@link PerSampleParameters} instead, which sends such parameters down a generic path.
 */
public final class StructuredLayers {
    private StructuredLayers() {}

    /**
     * The calls of {@code calls} (a forward pass's {@link org.panagrad.nn.Forward#layerCalls()}) that hold
     * {@code params}, in the order of {@code params}' first appearance; every parameter must be the weight or
     * bias of one of them. {@code method} names the caller in errors.
     */
    public static List<StructuredLayer> covering(String method, Node loss, List<LayerCall> calls, List<Node> params) {
        int samples = Losses.samples(method, loss);
        Map<Node, LayerCall> owner = new HashMap<>();
        for (LayerCall c : calls) {
            for (StateEntry e : c.layer().state()) owner.putIfAbsent(e.node(), c);
        }
        int[] uses = usesWithin(loss);
        List<LayerCall> result = new ArrayList<>();
        for (Node p : params) {
            LayerCall c = owner.get(p);
            if (c == null) {
                throw new IllegalArgumentException(method + ": parameter " + p.name() + " (read by " + readers(loss, p)
                        + ") belongs to no layer this forward pass recorded; " + method + " supports " + SUPPORTED);
            }
            if (!supports(c)) {
                throw new IllegalArgumentException(method + " does not support layer '" + c.name() + "' ("
                        + c.layer().describe() + "): supported layers are " + SUPPORTED);
            }
            if (uses[p.id()] != 1) {
                throw new IllegalArgumentException(method + ": parameter " + p.name() + " of layer '" + c.name()
                        + "' is used " + uses[p.id()] + " times by the loss, expected once (tied or shared weights are not supported)");
            }
            if (c.input().shape().rank() < 2 || c.input().shape().dim(0) != samples) {
                throw new IllegalArgumentException(method + ": layer '" + c.name() + "' reads " + c.input().describe()
                        + ", expected the " + samples + " samples along its first axis");
            }
            if (!result.contains(c)) result.add(c);
        }
        List<StructuredLayer> layers = new ArrayList<>();
        for (LayerCall c : result) layers.add(of(c));
        return layers;
    }

    private static final String SUPPORTED = "Linear and Conv2d";

    /** Whether the call is a layer with a known structure: a Linear or a Conv2d. */
    static boolean supports(LayerCall c) {
        return c.layer() instanceof Linear || c.layer() instanceof Conv2d;
    }

    /** The structure of a supported call. */
    static StructuredLayer of(LayerCall c) {
        return c.layer() instanceof Linear linear ? new LinearStructure(c, linear) : Conv2dStructure.of(c, (Conv2d) c.layer());
    }

    /** The layers' calls, in order. */
    static List<LayerCall> calls(List<StructuredLayer> layers) {
        List<LayerCall> calls = new ArrayList<>();
        for (StructuredLayer l : layers) calls.add(l.call());
        return calls;
    }

    /** The ops that read p on the way to the loss, for errors: "conv2d", "add". */
    private static String readers(Node loss, Node p) {
        java.util.Set<String> ops = new java.util.LinkedHashSet<>();
        for (Node n : loss.graph().nodes()) {
            if (n.id() > loss.id()) break;
            if (n.inputs().contains(p)) ops.add(n.op().name());
        }
        return ops.isEmpty() ? "nothing" : String.join(", ", ops);
    }

    /** How many times each node is an input of a node the loss depends on. */
    static int[] usesWithin(Node loss) {
        Graph g = loss.graph();
        boolean[] needed = new boolean[g.size()];
        needed[loss.id()] = true;
        int[] uses = new int[g.size()];
        for (int id = loss.id(); id >= 0; id--) {
            if (!needed[id]) continue;
            Node n = g.nodes().get(id);
            for (int i = 0; i < n.arity(); i++) {
                needed[n.input(i).id()] = true;
                uses[n.input(i).id()]++;
            }
        }
        return uses;
    }
}
