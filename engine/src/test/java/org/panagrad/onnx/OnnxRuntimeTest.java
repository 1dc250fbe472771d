package org.panagrad.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.Ops;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.panagrad.ops.Ops.*;

/**
 * Every exported model runs in ONNX Runtime and gives what Panagrad's own program for the same forward pass
 * gives, within 1e-5, at batch sizes 1 and 7, on random inputs and (for 784-input models, when the shared
 * data is there) on MNIST test images. The table holds one entry per model: the zoo's models join it as they
 * land, and a model whose ops have no export rule fails here naming the op.
 */
class OnnxRuntimeTest {
    private static final double TOLERANCE = 1e-5;
    private static final Path[] MNIST = {Path.of("../../shared/data/mnist"), Path.of("../shared/data/mnist"),
            Path.of("/work/shared/data/mnist")};

    /** A model to export: its parameters, its forward pass (for Panagrad's own program) and its export. */
    record Exported(ParameterStore store, Signature.Builder forward, OnnxExport export, int inputWidth) {}

    record Case(String name, Supplier<Exported> model) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> models() {
        return Stream.of(
                new Case("mlp 784-500-10 relu", () -> mlp(Activation.RELU, 784, 500, 10)),
                new Case("mlp 784-64-32-10 tanh", () -> mlp(Activation.TANH, 784, 64, 32, 10)),
                new Case("mlp 20-16-5 sigmoid", () -> mlp(Activation.SIGMOID, 20, 16, 5)),
                new Case("every export rule", OnnxRuntimeTest::everyRule),
                new Case("a CNN through every convolution and pooling rule", OnnxRuntimeTest::convolutions));
    }

    /** An nn.Module, exported with its state dict: PyTorch's nn.Sequential, each Linear weight as [out, in]. */
    static Exported mlp(Activation activation, int... widths) {
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, activation, widths);
        ParameterStore store = new ParameterStore();
        mlp.initialize(store, Init.TORCH_DEFAULT, 7);
        Signature.Builder forward = batch -> {
            Node x = g.input("x" + g.size(), batch, widths[0]);
            return Signature.of("input", x, "logits", mlp.forward(x));
        };
        return new Exported(store, forward, OnnxExport.module(g, store, mlp, widths[0]), widths[0]);
    }

    /** A forward pass that goes through every rule of the table, with three outputs. */
    static Exported everyRule() {
        Graph g = new Graph();
        Node w = g.parameter("w", 6, 4), u = g.parameter("u", 4, 6), b = g.parameter("b", 4);
        ParameterStore store = new ParameterStore();
        SplittableRandom rnd = new SplittableRandom(3);
        for (Node p : List.of(w, u, b)) {
            float[] v = store.get(p);
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextDouble(-1, 1);
        }
        Node one = g.constant("one", Shape.of(4), new float[] {1, 1, 1, 1});
        Signature.Builder forward = batch -> {
            Node x = g.input("x" + g.size(), batch, 6);
            Node h = matmul(x, w);                                       // Gemm without C
            Node linear = add(matmul(scale(x, 0.5), w), b);              // Gemm with C
            Node soft = softmax(tanh(h)), logSoft = logSoftmax(linear);
            Node m = maximum(soft, logSoft);
            Node ratio = div(exp(neg(m)), add(sigmoid(h), one));
            Node centred = sub(ratio, mean(x, 1, true));                 // ReduceSum keeping the axis, a Mul
            Node cube = reshape(reshape(centred, batch, 2, 2), batch, 4); // reshapes copying the batch axis
            Node flat = reshape(mul(cube, relu(linear)), batch * 4);     // one inferring it
            Node back = matmul(reshape(flat, batch, 4), u, false, false);
            Node viaTranspose = matmul(relu(back), transpose(u));        // Transpose, Gemm
            Node y = add(log(add(sigmoid(viaTranspose), one)), Ops.sum(viaTranspose, 0, false)); // ReduceSum of rows, no keepdims
            Node z = matmul(h, w, false, true);                          // Gemm transB
            Map<String, Node> outputs = new LinkedHashMap<>();
            outputs.put("y", y);
            outputs.put("z", z);
            outputs.put("total", Ops.sum(z));                            // a scalar
            return new Signature(Map.of("input", x), outputs);
        };
        return new Exported(store, forward, OnnxExport.of(store, forward).storedPermuted(u, 1, 0), 6);
    }

    /**
     * MNIST images through Conv (bias, padding; stride with dilation; depthwise groups), MaxPool, AveragePool with
     * padding counted, GlobalAveragePool, Flatten as a Reshape and a Gemm.
     */
    static Exported convolutions() {
        Graph g = new Graph();
        Node w1 = g.parameter("conv1.weight", 4, 1, 5, 5), b1 = g.parameter("conv1.bias", 4);
        Node w2 = g.parameter("conv2.weight", 6, 4, 3, 3), w3 = g.parameter("conv3.weight", 6, 1, 3, 3);
        Node b3 = g.parameter("conv3.bias", 6), fc = g.parameter("fc.weight", 6, 10), fb = g.parameter("fc.bias", 10);
        ParameterStore store = new ParameterStore();
        SplittableRandom rnd = new SplittableRandom(5);
        for (Node p : List.of(w1, b1, w2, w3, b3, fc, fb)) {
            float[] v = store.get(p);
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextDouble(-0.5, 0.5);
        }
        int[] one = {1};
        Signature.Builder forward = batch -> {
            Node x = g.input("x" + g.size(), batch, 784);
            Node h = maxPool2d(relu(conv2d(reshape(x, batch, 1, 28, 28), w1, b1, one, new int[] {2}, one, 1)), 2);
            h = avgPool2d(conv2d(h, w2, null, new int[] {2}, one, new int[] {2}, 1), new int[] {3}, new int[] {2}, one);
            h = flatten(adaptiveAvgPool2d1(tanh(conv2d(h, w3, b3, one, one, one, 6))), 1);
            return Signature.of("input", x, "logits", add(matmul(h, fc), fb));
        };
        return new Exported(store, forward, OnnxExport.of(store, forward), 784);
    }

    @Test
    void convolutionsExportAsConvAndPoolingOps() {
        String onnx = new String(convolutions().export().toBytes(), StandardCharsets.ISO_8859_1);
        for (String op : List.of("Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Reshape", "Gemm")) {
            assertTrue(onnx.contains(op), "the CNN's export has no " + op);
        }
        assertFalse(onnx.contains("ReduceSum"), "the global average pool was exported as a sum");
        // Each bias twice, as an initializer and as Conv's B, never through a Reshape back to [O].
        assertEquals(4, onnx.split("conv[13]\\.bias", -1).length - 1, "the convolution biases go in as Conv's B, by name");
        assertFalse(onnx.contains(".bias.shape"), "a bias was reshaped");
    }

    private static OrtEnvironment env;

    @BeforeAll
    static void environment() {
        env = OrtEnvironment.getEnvironment();
    }

    @AfterAll
    static void close() {
        // The environment is a process-wide singleton: ONNX Runtime releases it at exit.
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void onnxRuntimeAgreesWithTheEvaluationProgram(Case c) throws Exception {
        Exported model = c.model().get();
        byte[] onnx = model.export().toBytes();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx, options)) {
                for (int batch : new int[] {1, 7}) {
                    SplittableRandom rnd = new SplittableRandom(batch);
                    float[] random = new float[batch * model.inputWidth()];
                    for (int i = 0; i < random.length; i++) random[i] = (float) rnd.nextDouble(-1, 1);
                    compare(c.name() + ", random inputs, batch " + batch, model, session, batch, random);
                    float[] images = mnistImages(batch, model.inputWidth());
                    if (images != null) compare(c.name() + ", MNIST test images, batch " + batch, model, session, batch, images);
                }
            }
        }
    }

    private static void compare(String what, Exported model, OrtSession session, int batch, float[] input) throws OrtException {
        Signature ours = model.forward().build(batch);
        Node x = ours.inputs().get("input");
        Program program = Compiler.compile(model.store(), new ArrayList<>(ours.outputs().values()));
        program.set(x, input);
        program.run();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {batch, model.inputWidth()});
             OrtSession.Result result = session.run(Map.of("input", tensor))) {
            for (Map.Entry<String, Node> out : ours.outputs().entrySet()) {
                float[] expected = program.get(out.getValue());
                OnnxValue value = result.get(out.getKey()).orElseThrow(() -> new AssertionError("no output " + out.getKey()));
                long[] shape = ((OnnxTensor) value).getInfo().getShape();
                assertEquals(java.util.Arrays.toString(toLongs(out.getValue().shape().dims())), java.util.Arrays.toString(shape),
                        what + ": shape of " + out.getKey());
                FloatBuffer got = ((OnnxTensor) value).getFloatBuffer();
                for (int i = 0; i < expected.length; i++) {
                    double e = expected[i], a = got.get(i);
                    if (Math.abs(e - a) > TOLERANCE * Math.max(1, Math.abs(e))) {
                        throw new AssertionError(what + ": " + out.getKey() + "[" + i + "] is " + a + " in ONNX Runtime, "
                                + e + " in Panagrad");
                    }
                }
            }
        }
    }

    private static long[] toLongs(int[] dims) {
        long[] l = new long[dims.length];
        for (int i = 0; i < dims.length; i++) l[i] = dims[i];
        return l;
    }

    private static Mnist mnist;

    private static float[] mnistImages(int batch, int width) throws IOException {
        if (width != 784) return null;
        if (mnist == null) {
            Path dir = Stream.of(MNIST).filter(d -> Files.isRegularFile(d.resolve("t10k-images-idx3-ubyte.gz"))).findFirst().orElse(null);
            if (dir == null) return null;
            mnist = Mnist.load(dir);
        }
        float[] images = new float[batch * width];
        System.arraycopy(mnist.test().images(), 100 * width, images, 0, images.length);
        return images;
    }

    @Test
    void theBatchAxisIsSymbolicAndParametersKeepTheirCheckpointNamesAndLayout() throws Exception {
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.RELU, 5, 3, 2);
        ParameterStore store = new ParameterStore();
        mlp.initialize(store, Init.TORCH_DEFAULT, 7);
        byte[] onnx = OnnxExport.module(g, store, mlp, 5).toBytes();
        // Each initializer holds the state-dict tensor: name, PyTorch's shape and values (ModelProto.graph = 7,
        // GraphProto.initializer = 5, TensorProto dims = 1, name = 8, raw_data = 9).
        com.google.protobuf.UnknownFieldSet graph = com.google.protobuf.UnknownFieldSet.parseFrom(
                com.google.protobuf.UnknownFieldSet.parseFrom(onnx).getField(7).getLengthDelimitedList().get(0));
        Map<String, com.google.protobuf.UnknownFieldSet> initializers = new HashMap<>();
        for (com.google.protobuf.ByteString t : graph.getField(5).getLengthDelimitedList()) {
            com.google.protobuf.UnknownFieldSet tensor = com.google.protobuf.UnknownFieldSet.parseFrom(t);
            initializers.put(tensor.getField(8).getLengthDelimitedList().get(0).toStringUtf8(), tensor);
        }
        for (org.panagrad.nn.StateEntry e : mlp.state()) {
            com.google.protobuf.UnknownFieldSet t = initializers.get(e.name());
            assertEquals(java.util.Arrays.toString(e.torchShape()), t.getField(1).getVarintList().toString(), e.name());
            java.nio.FloatBuffer raw = t.getField(9).getLengthDelimitedList().get(0).asReadOnlyByteBuffer()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] values = new float[raw.remaining()];
            raw.get(values);
            assertArrayEquals(e.toTorch().apply(store.get(e.node())), values, e.name());
        }
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            assertEquals("[-1, 5]", java.util.Arrays.toString(((ai.onnxruntime.TensorInfo) session.getInputInfo().get("input").getInfo()).getShape()));
        }
        String text = new String(onnx, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("batch"), "a dim_param named batch");
        for (String name : List.of("0.weight", "0.bias", "2.weight", "2.bias")) assertTrue(text.contains(name), name);
        assertTrue(text.contains("Gemm") && !text.contains("Transpose"), "Linear layers are Gemms reading [out, in] weights");
    }

    @Test
    void aStateEntryWhoseLayoutIsNotAnAxisPermutationIsRefused() {
        Graph g = new Graph();
        Node w = g.parameter("w", 2, 3);
        ParameterStore store = new ParameterStore();
        org.panagrad.nn.StateEntry negated = new org.panagrad.nn.StateEntry("w", w, true, new int[] {2, 3}, "F32", v -> {
            float[] out = v.clone();
            for (int i = 0; i < out.length; i++) out[i] = -out[i];
            return out;
        }, v -> v);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExport.of(store, batch -> null).stateDict(List.of(negated)));
        assertTrue(e.getMessage().contains("not an axis permutation"), e.getMessage());
    }

    @Test
    void anOpWithoutAnExportFailsNamingItAndWritesNothing(@TempDir Path dir) throws IOException {
        Graph g = new Graph();
        ParameterStore store = new ParameterStore();
        Node q = g.parameter("q", 5, 2);
        OnnxExport export = OnnxExport.of(store, batch -> {
            Node x = g.input("lx" + g.size(), batch, 5);
            Node labels = g.labels("ly" + g.size(), batch, 2);
            return new Signature(Map.of("input", x, "labels", labels), Map.of("loss", SoftmaxCrossEntropy.of(matmul(x, q), labels)));
        });
        Path file = dir.resolve("model.onnx");
        UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> export.write(file));
        assertTrue(e.getMessage().contains("softmax_cross_entropy"), e.getMessage());
        assertFalse(Files.exists(file));
        Files.writeString(file, "the previous model");
        assertThrows(UnsupportedOpException.class, () -> export.write(file));
        assertEquals("the previous model", Files.readString(file));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(1, left.count(), "no temporary file left behind");
        }
    }
}
