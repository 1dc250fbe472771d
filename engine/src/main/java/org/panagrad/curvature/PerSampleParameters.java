package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.nn.LayerCall;
import org.panagrad.ops.Ops;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-sample gradients of a list of parameters, as the per-sample methods (gradients and their norms,
 * variance, DP-SGD, empirical Fisher and GGN diagonals) build on them: the parameters of Linear and Conv2d
 * calls take the structured path ({@link StructuredLayer}: outer products, norms without per-sample tensors);
 * every other parameter, and a structured layer's parameter that is tied or asked for without its partner, the
 * generic one ({@link ExpandedParameters}). Both read the cotangents of ONE backward pass per seed. Losses whose
 * samples interact are refused first ({@link SampleIndependence}).
 */
final class PerSampleParameters {
    /** The per-sample results of one backward pass: each structured layer's output gradient, each generic parameter's gradient. */
    record Pass(List<Node> ds, List<Node> generic) {}

    private final List<Node> params;
    private final List<StructuredLayer> structured;
    private final List<Node> genericParams;
    private final ExpandedParameters generic;

    private PerSampleParameters(List<Node> params, List<StructuredLayer> structured, List<Node> genericParams,
                                ExpandedParameters generic) {
        this.params = params;
        this.structured = structured;
        this.genericParams = genericParams;
        this.generic = generic;
    }

    /** Splits {@code params} between the two paths; fails naming a layer whose samples interact or a use without a rule. */
    static PerSampleParameters of(String method, Node loss, List<LayerCall> calls, List<Node> params) {
        int samples = Losses.samples(method, loss);
        SampleIndependence.require(method, loss, calls);
        int[] uses = StructuredLayers.usesWithin(loss);
        List<StructuredLayer> structured = new ArrayList<>();
        List<Node> covered = new ArrayList<>();
        for (LayerCall c : calls) {
            if (!StructuredLayers.supports(c)) continue;
            StructuredLayer layer = StructuredLayers.of(c);
            Node w = layer.weight(), b = layer.bias();
            boolean whole = params.contains(w) && (b == null || params.contains(b)) && !covered.contains(w);
            boolean once = uses[w.id()] == 1 && (b == null || uses[b.id()] == 1);
            boolean batched = c.input().shape().rank() >= 2 && c.input().shape().dim(0) == samples;
            if (whole && once && batched) {
                structured.add(layer);
                covered.add(w);
                if (b != null) covered.add(b);
            }
        }
        List<Node> rest = new ArrayList<>();
        for (Node p : params) if (!covered.contains(p)) rest.add(p);
        ExpandedParameters generic = rest.isEmpty() ? null : ExpandedParameters.of(method, loss, samples, calls, rest);
        return new PerSampleParameters(List.copyOf(params), structured, rest, generic);
    }

    /** The per-sample results of one backward pass from y with cotangent {@code seed}. */
    Pass pass(Node y, Node seed) {
        List<Node> wrt = new ArrayList<>();
        for (StructuredLayer l : structured) wrt.add(l.call().output());
        if (generic != null) wrt.addAll(generic.readers());
        if (wrt.isEmpty()) return new Pass(List.of(), List.of());
        List<Node> cotangents = List.of(Autodiff.vjp(y, seed, wrt.toArray(new Node[0])));
        List<Node> ds = cotangents.subList(0, structured.size());
        List<Node> g = generic == null ? List.of() : generic.perSample(cotangents.subList(structured.size(), cotangents.size()));
        return new Pass(ds, g);
    }

    /** The pass for the samples' own losses: the loss's cotangent is N, as the loss is their mean. */
    Pass ownLosses(Node loss) {
        return pass(loss, loss.graph().fill(Losses.samples("per-sample gradients", loss), Shape.scalar()));
    }

    /** ||g_n||^2 over all the parameters, [N]. */
    Node squaredNorm(Pass pass) {
        Node norms = null;
        for (int i = 0; i < structured.size(); i++) norms = plus(norms, structured.get(i).squaredNorm(pass.ds().get(i)));
        for (Node g : pass.generic()) norms = plus(norms, Ops.sum(Ops.mul(g, g), trailingAxes(g), false));
        return norms;
    }

    /** Each parameter's per-sample gradients [N, ...its shape], in the parameters' order. */
    List<Node> perSample(Pass pass) {
        List<Node[]> perCall = new ArrayList<>();
        for (int i = 0; i < structured.size(); i++) perCall.add(structured.get(i).perSample(pass.ds().get(i)));
        return inParameterOrder(perCall, pass.generic());
    }

    /** sum_k sum_n (g_{n,k})^2 elementwise per parameter over the passes k, in the parameters' order. */
    List<Node> squareSums(List<Pass> passes) {
        List<Node[]> perCall = new ArrayList<>();
        for (int i = 0; i < structured.size(); i++) {
            List<Node> ds = new ArrayList<>();
            for (Pass p : passes) ds.add(p.ds().get(i));
            perCall.add(structured.get(i).squareSums(ds));
        }
        List<Node> generic = new ArrayList<>();
        for (int j = 0; j < genericParams.size(); j++) {
            Node sum = null;
            for (Pass p : passes) {
                Node g = p.generic().get(j);
                sum = plus(sum, Ops.sum(Ops.mul(g, g), 0, false));
            }
            generic.add(sum);
        }
        return inParameterOrder(perCall, generic);
    }

    /** sum_n factor_n g_n per parameter, factor [N], in the parameters' order. */
    List<Node> scaledSums(Pass pass, Node factor) {
        List<Node[]> perCall = new ArrayList<>();
        for (int i = 0; i < structured.size(); i++) perCall.add(structured.get(i).scaledSum(pass.ds().get(i), factor));
        List<Node> generic = new ArrayList<>();
        for (Node g : pass.generic()) {
            int[] dims = new int[g.shape().rank()];
            java.util.Arrays.fill(dims, 1);
            dims[0] = g.shape().dim(0);
            generic.add(Ops.sum(Ops.mul(g, Ops.reshape(factor, dims)), 0, false));
        }
        return inParameterOrder(perCall, generic);
    }

    List<Node> parameters() {
        return params;
    }

    private List<Node> inParameterOrder(List<Node[]> perCall, List<Node> generic) {
        Map<Node, Node> of = new HashMap<>();
        for (int i = 0; i < structured.size(); i++) {
            of.put(structured.get(i).weight(), perCall.get(i)[0]);
            if (structured.get(i).bias() != null) of.put(structured.get(i).bias(), perCall.get(i)[1]);
        }
        for (int j = 0; j < genericParams.size(); j++) of.put(genericParams.get(j), generic.get(j));
        List<Node> result = new ArrayList<>();
        for (Node p : params) result.add(of.get(p));
        return result;
    }

    private static Node plus(Node a, Node b) {
        return a == null ? b : Ops.add(a, b);
    }

    private static int[] trailingAxes(Node g) {
        int[] axes = new int[g.shape().rank() - 1];
        for (int a = 0; a < axes.length; a++) axes[a] = a + 1;
        return axes;
    }
}
