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
import org.panagrad.ops.AttentionMask;
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

    /**
     * A model to export: its parameters, its forward pass (for Panagrad's own program), its export, and the shape
     * of one example of its input "input"; an input of integers below {@code idBound} when that is positive.
     */
    record Exported(ParameterStore store, Signature.Builder forward, OnnxExport export, int[] exampleShape, int idBound) {
        Exported(ParameterStore store, Signature.Builder forward, OnnxExport export, int inputWidth) {
            this(store, forward, export, new int[] {inputWidth}, 0);
        }

        int inputWidth() {
            int n = 1;
            for (int d : exampleShape) n *= d;
            return n;
        }
    }

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
                new Case("a CNN through every convolution and pooling rule", OnnxRuntimeTest::convolutions),
                new Case("every normalisation, layout and elementwise rule", OnnxRuntimeTest::layoutsAndNormalisations),
                new Case("a causal decoder over token ids (Gather of int64 indices, composed attention)", OnnxRuntimeTest::decoder),
                new Case("zoo mlp", () -> zoo("mlp")),
                new Case("zoo lenet5", () -> zoo("lenet5")),
                new Case("zoo resnet8", () -> zoo("resnet8")),
                new Case("zoo vit-tiny", () -> zoo("vit-tiny")));
    }

    /**
     * Random values for every parameter and buffer, so that no layer is the identity or zero (a ViT's head and
     * class token start at zero, batch norm at the identity): weights uniform in +-1/sqrt(fan-in) as PyTorch draws
     * them, vectors (biases, scales, running means) in +-0.5 around their start, running variances in [0.5, 1.5].
     */
    static void randomize(ParameterStore store, List<org.panagrad.nn.StateEntry> state, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (org.panagrad.nn.StateEntry e : state) {
            float[] v = store.get(e.node());
            int[] torch = e.torchShape();
            double bound = torch.length >= 2 ? 1 / Math.sqrt(v.length / (double) torch[0]) : 0.5;
            boolean variance = e.name().endsWith("running_var");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (variance ? rnd.nextDouble(0.5, 1.5) : torch.length >= 2 ? rnd.nextDouble(-bound, bound)
                        : v[i] + rnd.nextDouble(-bound, bound));
            }
        }
    }

    /** A zoo model's evaluation program (Forward.eval: running statistics, no dropout), with random weights. */
    static Exported zoo(String name) {
        Graph g = new Graph();
        org.panagrad.nn.zoo.ZooModel model = org.panagrad.nn.zoo.Zoo.create(name, g, org.panagrad.nn.zoo.ZooOptions.DEFAULT);
        ParameterStore store = new ParameterStore();
        model.module().initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(11));
        randomize(store, model.module().state(), 13);
        Signature.Builder forward = batch -> {
            Node x = model.input(g, "x" + g.size(), batch);
            return Signature.of("input", x, "logits", model.module().forward(x, org.panagrad.nn.Forward.eval()));
        };
        return new Exported(store, forward, OnnxExport.module(g, store, model.module(), model.exampleShape()),
                model.exampleShape(), 0);
    }

    /**
     * Batch norm in evaluation mode (with and without its affine part) and a per-channel affine that is not one
     * (a fold), a 'same' convolution with an even kernel (a Pad), layer norm with and without weight and bias, both
     * GELUs, erf and the other elementwise ops, slices, concatenation, broadcasting, a reduction by maximum, and
     * attention composed and fused, with a boolean, an additive and the causal mask.
     */
    static Exported layoutsAndNormalisations() {
        Graph g = new Graph();
        Node w = g.parameter("conv.weight", 4, 1, 2, 2), gamma = g.parameter("bn.weight", 4), beta = g.parameter("bn.bias", 4);
        Node mean = g.state("bn.running_mean", Shape.of(4)), var = g.state("bn.running_var", Shape.of(4));
        Node mean2 = g.state("bn2.running_mean", Shape.of(4)), var2 = g.state("bn2.running_var", Shape.of(4));
        Node scale = g.parameter("fold.scale", 4), shift = g.parameter("fold.shift", 4);
        Node lnw = g.parameter("ln.weight", 7), lnb = g.parameter("ln.bias", 7), token = g.parameter("token", 1, 1, 7);
        Node additive = g.parameter("additive_mask", 8, 8);
        ParameterStore store = new ParameterStore();
        SplittableRandom rnd = new SplittableRandom(9);
        for (Node p : List.of(w, gamma, beta, mean, var, mean2, var2, scale, shift, lnw, lnb, token, additive)) {
            float[] v = store.get(p);
            boolean positive = p == var || p == var2;
            for (int i = 0; i < v.length; i++) v[i] = (float) (positive ? rnd.nextDouble(0.5, 1.5) : rnd.nextDouble(-1, 1));
        }
        float[] keep = new float[64];
        for (int i = 0; i < 64; i++) keep[i] = (i % 8 <= i / 8 + 2) ? 1 : 0;
        Node keepMask = g.constant("keep_mask", Shape.of(8, 8), keep);
        Node rowMask = g.constant("row_mask", Shape.of(8, 1), new float[] {1, 0, 1, 1, 0, 0, 1, 0});
        Signature.Builder forward = batch -> {
            Node x = g.input("x" + g.size(), batch, 49);
            Node img = reshape(x, batch, 1, 7, 7);
            Node h = conv2dSame(img, w, null, new int[] {1}, 1);                         // Pad, Conv
            h = batchNorm(h, mean, var, gamma, beta, 1e-5);                               // BatchNormalization
            h = batchNorm(h, mean2, var2, null, null, 1e-3);                              // without affine
            h = channelAffine(h, scale, shift);                                            // a fold: Mul, Add
            Node rows = reshape(concat(1, img, img), batch, 2 * 7, 7);                      // [B, 14, 7]
            Node tokens = slice(rows, 1, 1, 14, 2);                                        // 7 rows, step 2
            // Layer norm reads rows of the input, whose spread is comparable to their mean: ONNX Runtime's
            // LayerNormalization (E[x^2] - E[x]^2 in float) was off by up to 2e-4 on the batch-normed rows of mean ~1
            // and small spread, where Panagrad's agreed with the float64 reference interpreter to 1e-8.
            Node seq = concat(1, broadcastTo(token, batch, 1, 7), tokens);                 // [B, 8, 7]
            Node normed = layerNorm(seq, new int[] {7}, lnw, lnb, 1e-6);
            Node plain = layerNorm(scale(seq, -2), new int[] {7}, null, null, 1e-5);
            Node a1 = attention(normed, plain, seq, AttentionMask.keep(keepMask));
            Node a2 = fusedAttention(plain, normed, a1, AttentionMask.additive(additive).andCausal());
            // sqrt away from 0, where it would magnify the last bit of its input past the tolerance
            Node y = add(add(gelu(a2), gelu(erf(a1), "tanh")), mul(sqrt(add(abs(a1), g.fill(0.5, Shape.scalar()))), sign(plain)));
            y = add(y, softplus(rsqrt(add(pow(normed, 2), g.fill(1, Shape.scalar())))));
            y = where(rowMask, y, neg(y));
            Node pooled = max(y, 1, false);                                                // ReduceMax: [B, 7]
            Map<String, Node> outputs = new LinkedHashMap<>();
            outputs.put("pooled", pooled);
            outputs.put("normalised", flatten(h, 1));
            outputs.put("first", select(y, 1, 0));
            return new Signature(Map.of("input", x), outputs);
        };
        return new Exported(store, forward, OnnxExport.of(store, forward), 49);
    }

    /** A GPT-style decoder: token ids through an embedding (Gather), a causal encoder block with composed attention. */
    static Exported decoder() {
        Graph g = new Graph();
        org.panagrad.nn.Embedding embed = org.panagrad.nn.Embedding.create(g, "embed", 11, 8);
        org.panagrad.nn.PositionalEmbedding pos = org.panagrad.nn.PositionalEmbedding.create(g, "pos", 5, 8);
        org.panagrad.nn.EncoderBlock block = org.panagrad.nn.EncoderBlock.create(g, "block", 8, 2, 16, 1e-5,
                AttentionMask.causalMask(), false);
        org.panagrad.nn.Linear head = org.panagrad.nn.Linear.create(g, "head", 8, 11);
        List<org.panagrad.nn.StateEntry> state = new ArrayList<>();
        for (org.panagrad.nn.Module m : List.of(embed, pos, block, head)) state.addAll(m.state());
        ParameterStore store = new ParameterStore();
        randomize(store, state, 17);
        Signature.Builder forward = batch -> {
            Node ids = g.integers("ids" + g.size(), 11, batch, 5);
            org.panagrad.nn.Forward f = org.panagrad.nn.Forward.eval();
            Node h = block.forward(pos.forward(embed.forward(ids, f), f), f);
            return Signature.of("input", ids, "logits", head.forward(h, f));
        };
        return new Exported(store, forward, OnnxExport.of(store, forward).stateDict(state), new int[] {5}, 11);
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

    @Test
    void zooModelsExportTheirNormalisationsAndAttentionAsOnnxOps() {
        Map<String, List<String>> expected = Map.of(
                "zoo resnet8", List.of("Conv", "BatchNormalization", "Relu", "Add", "GlobalAveragePool", "Gemm"),
                "zoo vit-tiny", List.of("LayerNormalization", "Erf", "Softmax", "MatMul", "Expand", "Concat", "Slice", "Shape"),
                "every normalisation, layout and elementwise rule", List.of("Pad", "BatchNormalization", "Tanh", "Where",
                        "ReduceMax", "Reciprocal", "Softplus", "Sign", "Abs", "Pow"),
                "a causal decoder over token ids (Gather of int64 indices, composed attention)", List.of("Gather", "Softmax",
                        "LayerNormalization"));
        Map<String, Case> cases = new HashMap<>();
        models().forEach(c -> cases.put(c.name(), c));
        expected.forEach((name, ops) -> {
            String onnx = new String(cases.get(name).model().get().export().toBytes(), StandardCharsets.ISO_8859_1);
            for (String op : ops) assertTrue(onnx.contains(op), name + ": no " + op);
        });
        // The composed attention's causal mask is an addend (Attention.probabilities): a constant holding -inf above
        // the diagonal of its 5 x 5 scores (little-endian float bits 0xff800000), ten of them, none elsewhere.
        String decoder = new String(decoder().export().toBytes(), StandardCharsets.ISO_8859_1);
        assertEquals(10, decoder.split("\0\0\u0080\u00ff", -1).length - 1, "-inf floats in the causal decoder's export");
        String resnet = new String(zoo("resnet8").export().toBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(resnet.contains("layer1.0.bn1.running_var"), "batch norm reads the running statistics by name");
        assertFalse(resnet.contains("Rsqrt") || resnet.contains("Reciprocal"), "batch norm's fold was exported op by op");
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
                    for (int i = 0; i < random.length; i++) {
                        random[i] = model.idBound() > 0 ? rnd.nextInt(model.idBound()) : (float) rnd.nextDouble(-1, 1);
                    }
                    compare(c.name() + ", random inputs, batch " + batch, model, session, batch, random);
                    float[] images = model.idBound() > 0 ? null : mnistImages(batch, model.inputWidth());
                    if (images != null) compare(c.name() + ", MNIST test images, batch " + batch, model, session, batch, images);
                }
            }
        }
    }

    private static void compare(String what, Exported model, OrtSession session, int batch, float[] input) throws OrtException {
        Signature ours = model.forward().build(batch);
        Node x = ours.inputs().get("input");
        Program program = Compiler.compile(model.store(), new ArrayList<>(ours.outputs().values()));
        if (model.idBound() > 0) {
            int[] ids = new int[input.length];
            for (int i = 0; i < ids.length; i++) ids[i] = (int) input[i];
            program.setLabels(x, ids);
        } else {
            program.set(x, input);
        }
        program.run();
        long[] shape = new long[model.exampleShape().length + 1];
        shape[0] = batch;
        for (int i = 1; i < shape.length; i++) shape[i] = model.exampleShape()[i - 1];
        long[] ids = new long[input.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (long) input[i];
        try (OnnxTensor tensor = model.idBound() > 0 ? OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ids), shape)
                : OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
             OrtSession.Result result = session.run(Map.of("input", tensor))) {
            for (Map.Entry<String, Node> out : ours.outputs().entrySet()) {
                float[] expected = program.get(out.getValue());
                OnnxValue value = result.get(out.getKey()).orElseThrow(() -> new AssertionError("no output " + out.getKey()));
                long[] outShape = ((OnnxTensor) value).getInfo().getShape();
                assertEquals(java.util.Arrays.toString(toLongs(out.getValue().shape().dims())), java.util.Arrays.toString(outShape),
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
