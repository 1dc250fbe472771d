package org.panagrad.onnx;

import org.panagrad.graph.DType;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.ProtoWriter;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Module;
import org.panagrad.nn.StateEntry;
import org.panagrad.runtime.ParameterStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports a model's inference graph as a standard ONNX model (IR version 8, opset 17) that ONNX Runtime runs
 * and Netron opens: the forward pass, built at two batch sizes so that the batch axis comes out symbolic, each
 * op turned into ONNX by its rule ({@link OnnxRules}), and the parameters as initializers under their own
 * names (a PyTorch state dict's names, such as {@code 0.weight}). A parameter the checkpoint stores with its
 * axes in another order (nn.Linear's [out, in], against our [in, out]) is written as the checkpoint holds it
 * and read through a transposing Gemm or a Transpose node. An op with no rule fails with
 * {@link UnsupportedOpException} naming it, and no file is written; the file itself is written atomically.
 * <pre>{@code
 * OnnxExport.module(graph, store, model, 784).write(Path.of("model.onnx"));   // any nn.Module
 * OnnxExport.of(store, batch -> {                                              // any forward pass
 *     Node x = graph.input("export" + batch + ".x", batch, 784);
 *     return Signature.of("input", x, "logits", mlp.forward(x));
 * }).storedPermuted(weight, 1, 0).write(Path.of("model.onnx"));
 * }</pre>
 */
public final class OnnxExport {
    public static final int OPSET = 17;
    public static final int IR_VERSION = 8;

    private final ParameterStore store;
    private final Signature.Builder forward;
    private final Map<Node, int[]> storedPermutations = new HashMap<>();
    /** The shape a parameter is stored in when it is not its permuted shape (the permuted tensor reshaped). */
    private final Map<Node, int[]> storedShapes = new HashMap<>();
    private final Map<Node, String> stateNames = new HashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private String graphName = "panagrad";
    private String docString = "";

    private OnnxExport(ParameterStore store, Signature.Builder forward) {
        this.store = store;
        this.forward = forward;
    }

    /** An export of the forward pass {@code forward} builds, with the parameter values in {@code store}. */
    public static OnnxExport of(ParameterStore store, Signature.Builder forward) {
        return new OnnxExport(store, forward);
    }

    /**
     * A module's forward pass in evaluation mode, from an input {@code input} of shape [batch, sampleShape...] to
     * an output {@code logits}, with its state named and laid out as its state dict ({@link #stateDict}). The
     * input nodes are added to {@code graph}, which holds the module's parameters.
     */
    public static OnnxExport module(Graph graph, ParameterStore store, Module model, int... sampleShape) {
        OnnxExport export = of(store, batch -> {
            int[] dims = new int[sampleShape.length + 1];
            dims[0] = batch;
            System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
            Node x = graph.input("onnx" + graph.size() + ".input", dims);
            return Signature.of("input", x, "logits", model.forward(x, Forward.eval()));
        });
        return export.stateDict(model.state()).docString(model.describe());
    }

    /**
     * Names and lays out the initializers as a PyTorch state dict: each entry's tensor is written under its name,
     * in PyTorch's layout and shape. A layout conversion must be an axis permutation, possibly followed by a
     * reshape (it is found by applying {@link StateEntry#toTorch} to the element indices): a ViT's patch projection,
     * a [49, 64] product here, is PyTorch's Conv2d weight [64, 1, 7, 7]. The graph then undoes it (a Reshape, a
     * Transpose); other conversions are refused.
     */
    public OnnxExport stateDict(List<StateEntry> entries) {
        for (StateEntry e : entries) {
            stateNames.put(e.node(), e.name());
            int[] perm = permutationOf(e);
            boolean identity = true;
            for (int i = 0; i < perm.length; i++) identity &= perm[i] == i;
            int[] permuted = new int[perm.length];
            for (int i = 0; i < perm.length; i++) permuted[i] = e.node().shape().dim(perm[i]);
            if (!Arrays.equals(permuted, e.torchShape())) storedShapes.put(e.node(), e.torchShape().clone());
            if (!identity || storedShapes.containsKey(e.node())) storedPermuted(e.node(), perm);
        }
        return this;
    }

    /** The axis permutation that the entry's conversion to PyTorch's layout performs, before any reshape. */
    private int[] permutationOf(StateEntry e) {
        int[] shape = e.node().shape().dims(), torch = e.torchShape();
        int n = e.node().shape().numel();
        // Element indices are exact in a float up to 2^24; past that the values themselves decide.
        float[] probe;
        if (n <= 1 << 24) {
            probe = new float[n];
            for (int i = 0; i < n; i++) probe[i] = i;
        } else {
            probe = store.get(e.node()).clone();
        }
        float[] converted = e.toTorch().apply(probe.clone());
        int torchNumel = 1;
        for (int d : torch) torchNumel *= d;
        if (torchNumel == n) {
            for (int[] perm : permutations(shape.length)) {
                if (Arrays.equals(Emitter.permute(probe, shape, perm), converted)) return perm;
            }
        }
        throw new IllegalArgumentException("state entry " + e + ": its conversion to PyTorch's layout from "
                + Arrays.toString(shape) + " is not an axis permutation and a reshape, which ONNX cannot undo");
    }

    private static List<int[]> permutations(int rank) {
        List<int[]> all = new ArrayList<>();
        permute(new int[rank], new boolean[rank], 0, all);
        return all;
    }

    private static void permute(int[] perm, boolean[] used, int at, List<int[]> out) {
        if (at == perm.length) {
            out.add(perm.clone());
            return;
        }
        for (int a = 0; a < perm.length; a++) {
            if (used[a]) continue;
            used[a] = true;
            perm[at] = a;
            permute(perm, used, at + 1, out);
            used[a] = false;
        }
    }

    /**
     * The checkpoint stores {@code parameter} with its axes in the order {@code permutation} (axis i of the
     * stored tensor is axis permutation[i] of ours): {1, 0} for a Linear weight in PyTorch's [out, in].
     */
    public OnnxExport storedPermuted(Node parameter, int... permutation) {
        if (parameter.op().storage() != Storage.VARIABLE) throw new IllegalArgumentException(parameter.describe() + " is not a parameter");
        int[] sorted = permutation.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] != i || sorted.length != parameter.shape().rank()) {
                throw new IllegalArgumentException(Arrays.toString(permutation) + " is not a permutation of the axes of "
                        + parameter.describe());
            }
        }
        storedPermutations.put(parameter, permutation.clone());
        return this;
    }

    /** A key-value pair for the model's metadata_props (Netron shows them). */
    public OnnxExport metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public OnnxExport graphName(String name) {
        this.graphName = name;
        return this;
    }

    public OnnxExport docString(String doc) {
        this.docString = doc;
        return this;
    }

    /** The serialized ModelProto. */
    public byte[] toBytes() {
        Signature main = forward.build(SymbolicDims.BATCH);
        Signature other = forward.build(SymbolicDims.OTHER_BATCH);
        SymbolicDims dims = new SymbolicDims(main, other);
        Emitter e = new Emitter(store, main, dims, storedPermutations, storedShapes, stateNames);
        Map<String, String> outputValues = new LinkedHashMap<>();
        main.outputs().forEach((name, n) -> outputValues.put(name, e.value(n)));
        outputValues.forEach((name, value) -> {
            if (!value.equals(name)) e.emit("Identity", name, value);
        });

        ProtoWriter graph = new ProtoWriter();
        for (ProtoWriter node : e.nodes) graph.message(OnnxProto.GRAPH_NODE, node);
        graph.string(OnnxProto.GRAPH_NAME, graphName);
        for (ProtoWriter init : e.initializers) graph.message(OnnxProto.GRAPH_INITIALIZER, init);
        if (!docString.isEmpty()) graph.string(OnnxProto.GRAPH_DOC_STRING, docString);
        // Integer inputs (Graph.integers: token ids, labels) are int64, as PyTorch's index tensors.
        main.inputs().forEach((name, n) -> graph.message(OnnxProto.GRAPH_INPUT, OnnxProto.valueInfo(name,
                n.dtype() == DType.LABELS ? OnnxProto.INT64 : OnnxProto.FLOAT, n.shape().dims(), dims.params(n))));
        main.outputs().forEach((name, n) -> {
            if (n.dtype() != DType.FLOAT) throw new UnsupportedOpException("output " + name + " (" + n.describe() + ") holds integers");
            graph.message(OnnxProto.GRAPH_OUTPUT, OnnxProto.valueInfo(name, OnnxProto.FLOAT, n.shape().dims(), dims.params(n)));
        });

        ProtoWriter model = new ProtoWriter()
                .varint(OnnxProto.MODEL_IR_VERSION, IR_VERSION)
                .message(OnnxProto.MODEL_OPSET_IMPORT, new ProtoWriter().string(OnnxProto.OPSET_DOMAIN, "")
                        .varint(OnnxProto.OPSET_VERSION, OPSET))
                .string(OnnxProto.MODEL_PRODUCER_NAME, "panagrad")
                .string(OnnxProto.MODEL_PRODUCER_VERSION, version())
                .message(OnnxProto.MODEL_GRAPH, graph);
        metadata.forEach((k, v) -> model.message(OnnxProto.MODEL_METADATA_PROPS,
                new ProtoWriter().string(OnnxProto.ENTRY_KEY, k).string(OnnxProto.ENTRY_VALUE, v)));
        return model.toByteArray();
    }

    /** Writes the model to {@code file} atomically: a failing export leaves whatever was there before. */
    public void write(Path file) throws IOException {
        byte[] bytes = toBytes();
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static String version() {
        String v = OnnxExport.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
