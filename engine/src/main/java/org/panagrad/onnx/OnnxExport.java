package org.panagrad.onnx;

import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.ProtoWriter;
import org.panagrad.runtime.ParameterStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * OnnxExport.of(store, batch -> {
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
        Emitter e = new Emitter(store, main, dims, storedPermutations);
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
        main.inputs().forEach((name, n) -> graph.message(OnnxProto.GRAPH_INPUT,
                OnnxProto.floatValueInfo(name, n.shape().dims(), dims.params(n))));
        main.outputs().forEach((name, n) -> graph.message(OnnxProto.GRAPH_OUTPUT,
                OnnxProto.floatValueInfo(name, n.shape().dims(), dims.params(n))));

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
