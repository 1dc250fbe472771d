package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.autodiff.Batching;
import org.panagrad.graph.Fill;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Input;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.StateEntry;
import org.panagrad.ops.BroadcastBinary;
import org.panagrad.ops.ChannelAffine;
import org.panagrad.ops.Expand;
import org.panagrad.ops.Gather;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.Ops;
import org.panagrad.ops.Step;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The generic per-sample path, for parameters of any layer without a known structure (LayerNorm and eval-mode
 * batch norm affine parameters, embedding tables, attention projections, positional embeddings, a class token,
 * tied weights): the "expanded parameter" rewrite, applied where a parameter meets the data.
 *
 * <p>The nodes that depend on parameters but on no data input form a small parameter-only subgraph; its
 * frontier nodes f are read by data-dependent nodes c. At each such use, f is replaced by E = f broadcast to
 * [N, ...] (one copy per sample) and c rebuilt on E with its own op; c's ordinary VJP in E, given the cotangent of
 * c from the one backward pass over the batch, is then the per-sample cotangent of f, [N, ...f], as the
 * expanded parameter's cotangent before the reduction over samples. A few ops that cannot read a per-sample
 * operand get their own rule (a gather: the one-hot product; the channel affine map of batch norm: sums over
 * positions). Cotangents of frontier nodes that are not parameters map to the parameters through the
 * parameter-only subgraph's VJP, batched over the samples ({@link Batching}). Uses for which no rule exists fail,
 * naming the parameter, the op and the layer.
 *
 * <p>Exact only when samples do not interact (checked by {@link SampleIndependence}) and axis 0 of every
 * data-dependent reader of a parameter is the sample axis (checked by shape).
 */
final class ExpandedParameters {
    private final String method;
    private final int samples;
    private final List<Node> params;
    /** Per frontier node, its data-dependent uses: (reader, operand index). */
    private final Map<Node, List<int[]>> uses;
    private final List<Node> readers;

    private ExpandedParameters(String method, int samples, List<Node> params, Map<Node, List<int[]>> uses, List<Node> readers) {
        this.method = method;
        this.samples = samples;
        this.params = params;
        this.uses = uses;
        this.readers = readers;
    }

    /** Finds where {@code params} meet the data on the way to {@code y}; fails naming any use without a rule. */
    static ExpandedParameters of(String method, Node y, int samples, List<LayerCall> calls, List<Node> params) {
        Graph g = y.graph();
        boolean[] fromParams = new boolean[g.size()], fromData = new boolean[g.size()];
        for (Node p : params) fromParams[p.id()] = true;
        for (int id = 0; id <= y.id(); id++) {
            Node n = g.nodes().get(id);
            if (n.op() instanceof Input) fromData[id] = true;
            for (int i = 0; i < n.arity(); i++) {
                fromParams[id] |= fromParams[n.input(i).id()];
                fromData[id] |= fromData[n.input(i).id()];
            }
            // Parameters broadcast to one copy per sample (a class token) are where the samples start.
            if (fromParams[id] && !fromData[id] && n.op() instanceof Expand && n.shape().rank() >= 1
                    && n.shape().dim(0) == samples && n.shape().rank() == n.input(0).shape().rank()
                    && n.input(0).shape().dim(0) == 1) {
                fromData[id] = true;
            }
        }
        boolean[] toY = new boolean[g.size()];
        toY[y.id()] = true;
        for (int id = y.id(); id >= 0; id--) {
            if (!toY[id]) continue;
            Node n = g.nodes().get(id);
            for (int i = 0; i < n.arity(); i++) toY[n.input(i).id()] = true;
        }
        Map<Node, List<int[]>> uses = new LinkedHashMap<>();
        List<Node> readers = new ArrayList<>();
        for (int id = 0; id <= y.id(); id++) {
            Node c = g.nodes().get(id);
            if (!toY[id] || !fromData[id]) continue;
            for (int i = 0; i < c.arity(); i++) {
                Node f = c.input(i);
                if (!fromParams[f.id()] || fromData[f.id()]) continue;
                requireRule(method, c, i, samples, calls, params);
                uses.computeIfAbsent(f, k -> new ArrayList<>()).add(new int[] {id, i});
                if (!readers.contains(c)) readers.add(c);
            }
        }
        return new ExpandedParameters(method, samples, List.copyOf(params), uses, readers);
    }

    /** The data-dependent readers of the parameters, whose cotangents {@link #perSample} needs. */
    List<Node> readers() {
        return readers;
    }

    /**
     * Each parameter's per-sample gradient [N, ...its shape], in order, given the cotangents of {@link #readers()}
     * (in that order) from one backward pass whose seed weights every sample's own loss by one.
     */
    List<Node> perSample(List<Node> readerCotangents) {
        Map<Node, Node> cotangent = new java.util.HashMap<>();
        for (int i = 0; i < readers.size(); i++) cotangent.put(readers.get(i), readerCotangents.get(i));
        Graph g = readers.get(0).graph();
        Map<Node, Node> stackOf = new LinkedHashMap<>();
        for (Map.Entry<Node, List<int[]>> e : uses.entrySet()) {
            Node f = e.getKey(), sum = null;
            for (int[] use : e.getValue()) {
                Node c = g.nodes().get(use[0]);
                Node s = sampleCotangent(c, use[1], cotangent.get(c));
                sum = sum == null ? s : Ops.add(sum, s);
            }
            stackOf.put(f, sum);
        }
        // Frontier nodes computed from the parameters: their stacks reach the parameters by a batched VJP.
        List<Node> singles = new ArrayList<>(), stacks = new ArrayList<>();
        Node inner = null;
        for (Map.Entry<Node, Node> e : stackOf.entrySet()) {
            Node f = e.getKey();
            if (params.contains(f)) continue;
            Node placeholder = g.input("per-sample cotangent of node " + f.id() + " #" + g.size(), f.shape().dims());
            singles.add(placeholder);
            stacks.add(e.getValue());
            Node term = Ops.sum(Ops.mul(f, placeholder));
            inner = inner == null ? term : Ops.add(inner, term);
        }
        Node[] through = new Node[params.size()];
        if (inner != null) {
            Node[] grads = Autodiff.grad(inner, params.toArray(new Node[0]));
            // Only the parameters behind those frontier nodes: the others' zero needs no stack.
            List<Integer> reached = new ArrayList<>();
            for (int i = 0; i < grads.length; i++) if (!(grads[i].op() instanceof Fill)) reached.add(i);
            Node[] outputs = new Node[reached.size()];
            for (int j = 0; j < outputs.length; j++) outputs[j] = grads[reached.get(j)];
            if (outputs.length > 0) {
                Node[] stacked = Batching.stacked(outputs, singles.toArray(new Node[0]), stacks.toArray(new Node[0]));
                for (int j = 0; j < outputs.length; j++) through[reached.get(j)] = stacked[j];
            }
        }
        List<Node> result = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Node p = params.get(i), direct = stackOf.get(p);
            Node r = direct;
            if (through[i] != null) r = r == null ? through[i] : Ops.add(r, through[i]);
            result.add(r != null ? r : g.fill(0, p.shape().withLeading(samples)));
        }
        return result;
    }

    /** The per-sample cotangent [N, ...f] of operand {@code slot} (f) of the data-dependent node c, given c's cotangent. */
    private Node sampleCotangent(Node c, int slot, Node gc) {
        Node f = c.input(slot);
        Shape stacked = f.shape().withLeading(samples);
        if (c.op() instanceof Gather) {
            // y[n, t] = table[ids[n, t]]: sample n's table gradient is onehot(ids_n)^T G_n, one batched product.
            Node ids = c.input(1);
            int rows = f.shape().dim(0), width = f.shape().numel() / rows;
            float[] r = new float[rows];
            for (int k = 0; k < rows; k++) r[k] = k;
            Node index = c.graph().constant("row indices " + rows + " #" + c.graph().size(), Shape.of(rows, 1), r);
            Node idsAsFloat = Ops.gather(index, ids);
            Node rowsRange = Ops.reshape(index, rows);
            Node oneHot = Step.of(Ops.sub(c.graph().fill(0.5, Shape.scalar()), Ops.abs(Ops.sub(idsAsFloat, rowsRange))), 0);
            Node product = Ops.matmul(Ops.reshape(oneHot, samples, -1, rows), Ops.reshape(gc, samples, -1, width), true, false);
            return Ops.reshape(product, stacked);
        }
        if (c.op() instanceof ChannelAffine) {
            // y = x * scale[c] + shift[c]: sample n's gradients sum x * g and g over its positions.
            Node x = c.input(0);
            Node term = slot == 1 ? Ops.mul(gc, x) : gc;
            if (x.shape().rank() == 2) return term;
            int[] positions = new int[x.shape().rank() - 2];
            for (int a = 0; a < positions.length; a++) positions[a] = a + 2;
            return Ops.sum(term, positions, false);
        }
        if (c.op() instanceof MatMul m && c.shape().rank() == 2) {
            // A rank-2 product x W (or x W^T) on [N, in]: sample n's gradient is an outer product.
            Node a = c.input(0);
            int in = a.shape().dim(1), out = gc.shape().dim(1);
            Node column = Ops.reshape(a, samples, in, 1), row = Ops.reshape(gc, samples, 1, out);
            return m.transB() ? Ops.matmul(Ops.reshape(gc, samples, out, 1), Ops.reshape(a, samples, 1, in)) : Ops.matmul(column, row);
        }
        // The expanded rewrite: c on E = f broadcast to one copy per sample, differentiated by c's own rule.
        Node e = Expand.to(Ops.reshape(f, expandedShape(c, f, 1)), expandedShape(c, f, samples));
        Node rebuilt;
        if (c.op() instanceof Expand) {
            rebuilt = Expand.to(e, c.shape());
        } else {
            Node[] ins = {c.input(0), c.input(1)};
            ins[slot] = e;
            rebuilt = c.op() instanceof BroadcastBinary op ? BroadcastBinary.build(op, ins[0], ins[1])
                    : MatMul.of(ins[0], ins[1], ((MatMul) c.op()).transA(), ((MatMul) c.op()).transB());
        }
        if (!rebuilt.shape().equals(c.shape())) {
            throw new IllegalStateException(method + ": the per-sample rewrite of " + c.describe() + " gave " + rebuilt.describe());
        }
        Node ge = rebuilt == e ? gc : rebuilt.op().vjp(rebuilt, gc)[slot];
        return Ops.reshape(ge, stacked);
    }

    /**
     * The shape of f with one copy per sample as c's operand ({@code leading} = N), or of f itself aligned so
     * ({@code leading} = 1): [leading, 1, ..., 1, ...f] where c has more axes than f, [leading, ...f without its
     * leading 1] where c has as many.
     */
    private static Shape expandedShape(Node c, Node f, int leading) {
        int rank = c.shape().rank();
        int[] dims = new int[rank];
        java.util.Arrays.fill(dims, 1);
        dims[0] = leading;
        int fr = f.shape().rank(), skip = fr == rank ? 1 : 0;
        for (int a = skip; a < fr; a++) dims[rank - fr + a] = f.shape().dim(a);
        return Shape.of(dims);
    }

    /** Fails unless operand {@code slot} of the data-dependent c has a per-sample rule here. */
    private static void requireRule(String method, Node c, int slot, int samples, List<LayerCall> calls, List<Node> params) {
        Node f = c.input(slot);
        String why = null;
        if (c.shape().rank() < 1 || c.shape().dim(0) != samples) {
            why = "its result " + c.describe() + " does not have the " + samples + " samples along its first axis";
        } else if (c.op() instanceof Gather) {
            if (slot != 0) why = "it reads the parameters as indices";
        } else if (c.op() instanceof ChannelAffine) {
            if (slot == 0) why = "it reads the parameters as the normalized input";
        } else if (c.op() instanceof MatMul && c.shape().rank() == 2) {
            MatMul m = (MatMul) c.op();
            if (slot != 1 || m.transA() || c.input(0).shape().rank() != 2) why = "only x W with the samples as the rows of x is supported";
        } else if (c.op() instanceof BroadcastBinary || c.op() instanceof MatMul || c.op() instanceof Expand) {
            int rank = c.shape().rank(), fr = f.shape().rank();
            boolean fits = fr < rank || (fr == rank && f.shape().dim(0) == 1);
            if (c.op() instanceof MatMul && fr < 2) fits = false;
            if (!fits) why = "the parameters' value " + f.describe() + " already has an axis where the samples are";
        } else {
            why = "the op " + c.op().name() + " has no per-sample rule";
        }
        if (why != null) {
            throw new IllegalArgumentException(method + " does not support " + where(f, calls, params) + ", read by "
                    + c.op().name() + " (" + c.describe() + "): " + why + "; supported readers are elementwise ops with"
                    + " broadcasting, matmul, broadcast_to, gather and batch norm's channel affine map");
        }
    }

    /** "layer 'name' (Describe)" for the layer holding the parameters behind f, else f itself. */
    private static String where(Node f, List<LayerCall> calls, List<Node> params) {
        for (LayerCall call : calls) {
            for (StateEntry e : call.layer().state()) {
                if (params.contains(e.node()) && dependsOn(f, e.node())) {
                    return "layer '" + call.name() + "' (" + call.layer().describe() + "), parameter " + e.node().name();
                }
            }
        }
        return "the parameters behind " + f.describe();
    }

    private static boolean dependsOn(Node n, Node p) {
        if (n == p) return true;
        if (n.id() < p.id()) return false;
        for (int i = 0; i < n.arity(); i++) if (dependsOn(n.input(i), p)) return true;
        return false;
    }
}
