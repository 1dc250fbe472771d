package org.panagrad.onnx;

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
    private final Map<Node, int[]> storedShapes;
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
            Map<Node, int[]> storedShapes, Map<Node, String> stateNames) {
        this.storedShapes = storedShapes;
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
            return new Operand(stored(n), !transposed);
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

    /** A float scalar constant, as an initializer. */
    String scalar(String base, double value) {
        return constant(base, new int[0], new float[] {(float) value});
    }

    /** A constant of zeros and ones (a mask) as the boolean tensor that ONNX's Where takes. */
    String bool(Node mask) {
        String values = value(mask), out = fresh(values + ".bool");
        OnnxProto.intAttribute(emit("Cast", out, values), "to", OnnxProto.BOOL);
        return out;
    }

    /**
     * n's shape as an int64 vector, for ops that take a shape (Expand): a constant when n's shape is static,
     * else computed from the batch size that the graph's input carries.
     */
    String shapeOf(Node n) {
        int[] f = dims.factors(n);
        if (dims.isStatic(n)) return int64s(name(n) + ".shape", Arrays.stream(n.shape().dims()).asLongStream().toArray());
        String[] parts = new String[f.length];
        for (int i = 0; i < f.length; i++) {
            if (f[i] == 0) parts[i] = int64s(name(n) + ".dim" + i, n.shape().dim(i));
            else if (f[i] == 1) parts[i] = batchSize();
            else emit("Mul", parts[i] = fresh(name(n) + ".dim" + i), batchSize(), int64s(name(n) + ".factor" + i, f[i]));
        }
        String out = fresh(name(n) + ".shape");
        OnnxProto.intAttribute(emit("Concat", out, parts), "axis", 0);
        return out;
    }

    private String batchSize;

    /** The batch size as an int64 vector [1], read off the first input's batch axis. */
    private String batchSize() {
        if (batchSize != null) return batchSize;
        for (Map.Entry<Node, String> in : inputNames.entrySet()) {
            int[] f = dims.factors(in.getKey());
            for (int a = 0; a < f.length; a++) {
                if (f[a] != 1) continue;
                batchSize = fresh("batch_size");
                ProtoWriter shape = emit("Shape", batchSize, in.getValue());
                OnnxProto.intAttribute(shape, "start", a);
                OnnxProto.intAttribute(shape, "end", a + 1);
                return batchSize;
            }
        }
        throw new UnsupportedOpException("no input has an axis that is the batch size, which a shape following it needs");
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

    /**
     * A variable is an initializer under its own name; stored permuted, a Transpose gives it the graph's layout
     * (after a Reshape when it is stored in another shape too).
     */
    private String variable(Node n) {
        int[] perm = storedPermutations.get(n);
        if (perm == null) return initializerOf(n);
        String init = stored(n);
        int[] back = new int[perm.length];
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) {
            back[perm[i]] = i;
            identity &= perm[i] == i;
        }
        if (identity) return init; // stored in another shape only: the Reshape is all
        String out = fresh(init + ".T");
        OnnxProto.intsAttribute(emit("Transpose", out, init), "perm", Arrays.stream(back).asLongStream().toArray());
        return out;
    }

    private final Map<Node, String> initializerNames = new HashMap<>();
    private final Map<Node, String> reshapedInitializers = new HashMap<>();

    /** A parameter's initializer with its axes permuted as stored, reshaped to that when stored in another shape. */
    private String stored(Node n) {
        String init = initializerOf(n);
        if (!storedShapes.containsKey(n)) return init;
        return reshapedInitializers.computeIfAbsent(n, k -> {
            int[] perm = storedPermutations.get(k);
            long[] permuted = new long[perm.length];
            for (int i = 0; i < perm.length; i++) permuted[i] = k.shape().dim(perm[i]);
            String out = fresh(init + ".reshaped");
            emit("Reshape", out, init, int64s(init + ".permuted_shape", permuted));
            return out;
        });
    }

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
            shape = storedShapes.getOrDefault(n, permuted);
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
