package org.panagrad.onnx;

import org.panagrad.graph.DType;
import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;
import org.panagrad.graph.Variable;
import org.panagrad.io.ProtoWriter;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an export rule works with: the ONNX value holding any node (exported on demand, inputs first, so the
 * nodes come out in topological order), new ONNX nodes and constants, how many consumers a node has, and which
 * of its dimensions follow the batch.
 */
final class Emitter {
    /** Where a graph node's values are in the ONNX graph, possibly with the last two axes swapped. */
    record Operand(String name, boolean transposed) {}

    private final ParameterStore store;
    private final SymbolicDims dims;
    private final Map<Node, int[]> storedPermutations;
    private final Map<Node, String> stateNames;
    private final Map<Node, String> inputNames = new HashMap<>();
    private final Map<Node, String> outputNames = new HashMap<>();
    private final Map<Node, String> values = new HashMap<>();
    private final Map<Node, Integer> uses = new HashMap<>();
    private final Set<String> taken = new HashSet<>();
    private final Set<Node> inProgress = new HashSet<>();
    final List<ProtoWriter> nodes = new ArrayList<>();
    final List<ProtoWriter> initializers = new ArrayList<>();

    Emitter(ParameterStore store, Signature signature, SymbolicDims dims, Map<Node, int[]> storedPermutations,
            Map<Node, String> stateNames) {
        this.store = store;
        this.dims = dims;
        this.storedPermutations = storedPermutations;
        this.stateNames = stateNames;
        signature.inputs().forEach((name, n) -> {
            inputNames.put(n, name);
            taken.add(name);
        });
        signature.outputs().forEach((name, n) -> {
            if (!taken.add(name)) throw new IllegalArgumentException("two inputs or outputs are named " + name);
            // A node that is two outputs, or an input or parameter, gets an Identity named for the output instead.
            if (n.op().storage() == Storage.COMPUTED) outputNames.putIfAbsent(n, name);
        });
        for (Node out : signature.outputs().values()) countUses(out, new HashSet<>());
    }

    private void countUses(Node n, Set<Node> seen) {
        if (!seen.add(n)) return;
        for (Node in : n.inputs()) {
            uses.merge(in, 1, Integer::sum);
            countUses(in, seen);
        }
    }

    /** Consumers of n inside the exported forward pass. */
    int uses(Node n) {
        return uses.getOrDefault(n, 0);
    }

    SymbolicDims dims() {
        return dims;
    }

    /** The ONNX value of n, exporting n (and what it reads) first if needed. */
    String value(Node n) {
        String v = values.get(n);
        if (v != null) return v;
        if (!inProgress.add(n)) throw new IllegalStateException("a cycle through " + n.describe());
        v = switch (n.op().storage()) {
            case INPUT -> {
                String name = inputNames.get(n);
                if (name == null) throw new IllegalArgumentException("the forward pass reads input " + n.describe()
                        + ", which is not among the exported inputs " + inputNames.values());
                if (n.dtype() != DType.FLOAT) {
                    throw new UnsupportedOpException("input " + name + " (" + n.describe() + ") holds integers; the export"
                            + " writes float inputs only");
                }
                yield name;
            }
            case VARIABLE -> variable(n);
            case CONSTANT -> constant(n);
            case COMPUTED -> OnnxRules.export(n, this);
        };
        inProgress.remove(n);
        values.put(n, v);
        return v;
    }

    /**
     * n as the operand of a product that may transpose its last two axes: a parameter the checkpoint stores
     * transposed is then read straight from its initializer, with the transposition left to the product.
     */
    Operand operand(Node n, boolean transposed) {
        int[] perm = storedPermutations.get(n);
        if (perm != null && !values.containsKey(n) && perm.length == 2 && perm[0] == 1) {
            return new Operand(initializerOf(n), !transposed);
        }
        return new Operand(value(n), transposed);
    }

    /** The name for the value a rule computes for n: the output's name when n is a model output. */
    String name(Node n) {
        return outputNames.computeIfAbsent(n, k -> fresh(k.op().name() + "_" + k.id()));
    }

    /** A name not yet used in the ONNX graph, built from {@code base}. */
    String fresh(String base) {
        String name = base;
        for (int k = 1; !taken.add(name); k++) name = base + "_" + k;
        return name;
    }

    /** Adds an ONNX node computing {@code output} and returns the node, for attributes. */
    ProtoWriter emit(String opType, String output, String... inputs) {
        ProtoWriter node = OnnxProto.node(opType, output, inputs, output);
        nodes.add(node);
        return node;
    }

    /** A constant float tensor, as an initializer. */
    String constant(String base, int[] shape, float[] values) {
        String name = fresh(base);
        initializers.add(OnnxProto.floatTensor(name, shape, values));
        return name;
    }

    /** A constant int64 vector (shapes, axes), as an initializer. */
    String int64s(String base, long... values) {
        String name = fresh(base);
        initializers.add(OnnxProto.int64Tensor(name, values));
        return name;
    }

    private String constant(Node n) {
        if (!dims.isStatic(n)) {
            throw new UnsupportedOpException("cannot export " + n.describe() + ": a constant whose shape follows the batch size");
        }
        float[] values = new float[n.shape().numel()];
        n.op().writeConstant(n, values, 0);
        return constant(n.op().name() + "_" + n.id(), n.shape().dims(), values);
    }

    /** A variable is an initializer under its own name; stored permuted, a Transpose gives it the graph's layout. */
    private String variable(Node n) {
        int[] perm = storedPermutations.get(n);
        String init = initializerOf(n);
        if (perm == null) return init;
        int[] back = new int[perm.length];
        for (int i = 0; i < perm.length; i++) back[perm[i]] = i;
        String out = fresh(init + ".T");
        OnnxProto.intsAttribute(emit("Transpose", out, init), "perm", Arrays.stream(back).asLongStream().toArray());
        return out;
    }

    private final Map<Node, String> initializerNames = new HashMap<>();

    private String initializerOf(Node n) {
        String existing = initializerNames.get(n);
        if (existing != null) return existing;
        String name = stateNames.getOrDefault(n, ((Variable) n.op()).label());
        if (!taken.add(name)) throw new IllegalArgumentException("parameter " + name + " clashes with another ONNX name");
        int[] perm = storedPermutations.get(n);
        float[] data = store.get(n);
        int[] shape = n.shape().dims();
        if (perm != null) {
            data = permute(data, shape, perm);
            int[] permuted = new int[shape.length];
            for (int i = 0; i < perm.length; i++) permuted[i] = shape[perm[i]];
            shape = permuted;
        }
        initializers.add(OnnxProto.floatTensor(name, shape, data));
        initializerNames.put(n, name);
        return name;
    }

    /** The tensor with its axes in the order {@code perm} gives: out axis i is in axis perm[i]. */
    static float[] permute(float[] data, int[] shape, int[] perm) {
        int rank = shape.length;
        int[] strides = new int[rank];
        for (int i = rank - 1, s = 1; i >= 0; s *= shape[i], i--) strides[i] = s;
        int[] outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = shape[perm[i]];
        float[] out = new float[data.length];
        int[] index = new int[rank];
        for (int o = 0; o < out.length; o++) {
            int src = 0;
            for (int i = 0; i < rank; i++) src += index[i] * strides[perm[i]];
            out[o] = data[src];
            for (int i = rank - 1; i >= 0 && ++index[i] == outShape[i]; i--) index[i] = 0;
        }
        return out;
    }

    boolean isVariable(Node n) {
        return n.op().storage() == Storage.VARIABLE;
    }
}
