package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.io.Dataset;
import org.panagrad.io.DataFormatException;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    @TempDir
    Path dir;

    private static Model model(Activation activation, long seed) {
        Model m = new Model(new int[] {6, 5, 4, 10}, activation);
        m.mlp.initialize(m.store, Init.TORCH_DEFAULT, seed);
        return m;
    }

    private static Dataset data(int n) {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[n * 6];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        for (int i = 0; i < n; i++) y[i] = rnd.nextInt(10);
        return new Dataset(x, y, n, 2, 3);
    }

    private static float[] logits(Model m, Dataset d) {
        Model.Batch b = m.batch("p", d.count());
        var program = org.panagrad.compiler.Compiler.compile(m.store, java.util.List.of(b.logits()));
        program.set(b.images(), d.images(), 0);
        program.run();
        return program.get(b.logits());
    }

    @Test
    void saveThenLoadGivesIdenticalPredictions() throws IOException {
        Model original = model(Activation.TANH, 7);
        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, original, Map.of(Checkpoint.EPOCH, "3"));
        Checkpoint loaded = Checkpoint.load(file, null);
        assertArrayEquals(new int[] {6, 5, 4, 10}, loaded.widths());
        assertEquals(Activation.TANH, loaded.activation());
        assertEquals(3, loaded.metadataLong(Checkpoint.EPOCH, -1));
        Dataset d = data(7);
        assertArrayEquals(logits(original, d), logits(loaded.toModel(), d));
    }

    @Test
    void theLayoutIsPyTorchsSequential() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, model(Activation.RELU, 1), Map.of());
        var content = org.panagrad.io.SafeTensors.read(file);
        assertEquals(java.util.List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"),
                content.tensors().stream().map(t -> t.name()).toList());
        assertArrayEquals(new int[] {5, 6}, content.tensor("0.weight").shape()); // [out, in]
        // The file holds the transpose of the model's [in, out] weight.
        Model m = model(Activation.RELU, 1);
        float[] ours = m.store.get(m.parameters().get(0)), torch = content.tensor("0.weight").data();
        for (int in = 0; in < 6; in++) {
            for (int out = 0; out < 5; out++) assertEquals(ours[in * 5 + out], torch[out * 6 + in]);
        }
        assertEquals("6-5-4-10", content.metadata().get("widths"));
        assertEquals("relu", content.metadata().get("activation"));
        assertEquals("pt", content.metadata().get("format"));
        assertEquals("Sequential(Linear(6, 5), ReLU(), Linear(5, 4), ReLU(), Linear(4, 10))",
                content.metadata().get("torch_module"));
    }

    /**
     * A file laid out as safetensors.torch.save_file writes one for nn.Sequential(Linear(3, 2), Tanh(),
     * Linear(2, 10)): tensors sorted by name, the header padded with spaces to 8 bytes, little-endian F32.
     */
    private Path pytorchFile(String metadataJson) throws IOException {
        float[] w0 = {0.1f, -0.2f, 0.3f, 0.4f, 0.5f, -0.6f}, b0 = {0.01f, -0.02f};
        float[] w2 = new float[20], b2 = new float[10];
        for (int i = 0; i < 20; i++) w2[i] = (i - 10) / 10f;
        for (int i = 0; i < 10; i++) b2[i] = i / 100f;
        // Sorted by name, as save_file orders them: 0.bias, 0.weight, 2.bias, 2.weight.
        float[][] data = {b0, w0, b2, w2};
        String[] names = {"0.bias", "0.weight", "2.bias", "2.weight"};
        String[] shapes = {"[2]", "[2,3]", "[10]", "[10,2]"};
        StringBuilder header = new StringBuilder("{");
        if (metadataJson != null) header.append("\"__metadata__\":").append(metadataJson).append(',');
        long offset = 0;
        for (int i = 0; i < 4; i++) {
            long end = offset + 4L * data[i].length;
            header.append(i > 0 ? "," : "").append('"').append(names[i]).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(shapes[i]).append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        header.append('}');
        while (header.length() % 8 != 0) header.append(' ');
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        bytes.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        bytes.write(h);
        for (float[] t : data) {
            ByteBuffer b = ByteBuffer.allocate(4 * t.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t);
            bytes.write(b.array());
        }
        return Files.write(dir.resolve("torch.safetensors"), bytes.toByteArray());
    }

    @Test
    void aPyTorchFileWithActivationMetadataLoads() throws IOException {
        Checkpoint c = Checkpoint.load(pytorchFile("{\"format\":\"pt\",\"activation\":\"Tanh\"}"), null);
        assertArrayEquals(new int[] {3, 2, 10}, c.widths());
        assertEquals(Activation.TANH, c.activation());
        Model m = c.toModel();
        // Stored as [in, out], the transpose of the file's [out, in].
        assertArrayEquals(new float[] {0.1f, 0.4f, -0.2f, 0.5f, 0.3f, -0.6f}, m.store.get(m.parameters().get(0)));
        assertArrayEquals(new float[] {0.01f, -0.02f}, m.store.get(m.parameters().get(1)));
        // The forward pass matches the maths of the PyTorch module: W2 tanh(W0 x + b0) + b2.
        float[] x = {1, 2, 3};
        double h0 = Math.tanh(0.1 - 0.4 + 0.9 + 0.01), h1 = Math.tanh(0.4 + 1.0 - 1.8 - 0.02);
        Dataset one = new Dataset(x, new int[] {0}, 1, 1, 3);
        float[] out = logits(m, one);
        for (int k = 0; k < 10; k++) {
            double expected = (2 * k - 10) / 10.0 * h0 + (2 * k + 1 - 10) / 10.0 * h1 + k / 100.0;
            assertEquals(expected, out[k], 1e-6);
        }
    }

    @Test
    void anOptimizerSidecarWrittenBeforeWeightsWereInOutIsIgnored() throws IOException {
        Path state = dir.resolve("m.optimizer-3.safetensors");
        var tensors = java.util.List.of(new org.panagrad.io.TensorData("exp_avg", new int[] {4}, new float[4]));
        Checkpoint.saveOptimizer(state, "adahessian", 3, tensors, Map.of());
        assertEquals(tensors, Checkpoint.readOptimizer(state, "adahessian", 3).tensors());
        // The same state without the layout tag, as earlier versions wrote it.
        org.panagrad.io.SafeTensors.write(state, tensors, Map.of(Checkpoint.OPTIMIZER, "adahessian", Checkpoint.STEP, "3"));
        assertEquals(null, Checkpoint.readOptimizer(state, "adahessian", 3));
    }

    @Test
    void aPyTorchFileWithoutActivationNeedsTheOption() throws IOException {
        Path file = pytorchFile("{\"format\":\"pt\"}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(file, null));
        assertTrue(e.getMessage().contains(file + ": the metadata does not name the activation"), e.getMessage());
        assertTrue(e.getMessage().contains("--activation"), e.getMessage());
        assertEquals(Activation.SIGMOID, Checkpoint.load(file, Activation.SIGMOID).activation());
        assertEquals(Activation.RELU, Checkpoint.load(pytorchFile(null), Activation.RELU).activation());
    }

    @Test
    void tensorsThatAreNotASequentialMlpAreNamed() throws IOException {
        Path file = dir.resolve("odd.safetensors");
        org.panagrad.io.SafeTensors.write(file, java.util.List.of(
                new org.panagrad.io.TensorData("0.weight", new int[] {4, 3}, new float[12]),
                new org.panagrad.io.TensorData("0.bias", new int[] {4}, new float[4]),
                new org.panagrad.io.TensorData("2.weight", new int[] {10, 5}, new float[50]),
                new org.panagrad.io.TensorData("2.bias", new int[] {10}, new float[10])), Map.of("activation", "relu"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(file, null));
        assertTrue(e.getMessage().contains("'2.weight' has shape [10, 5], but the previous layer has 4 outputs"), e.getMessage());
    }

    @Test
    void aZooCheckpointRoundTripsWithItsRunningStatisticsAndAFileThatDoesNotFitNamesTheTensor() throws IOException {
        Model resnet = new Model("resnet8", org.panagrad.nn.zoo.ZooOptions.DEFAULT);
        resnet.initialize(org.panagrad.nn.Init.TORCH_DEFAULT, 3);
        org.panagrad.graph.Node mean = resnet.graph.leaf("layer2.0.bn1.running_mean");
        float[] moved = new float[32];
        for (int i = 0; i < 32; i++) moved[i] = i * 0.25f;
        resnet.store.set(mean, moved);
        resnet.store.set(resnet.graph.leaf("layer2.0.bn1.num_batches_tracked"), new float[] {469});
        Path file = dir.resolve("resnet8.safetensors");
        Checkpoint.save(file, resnet, Map.of());
        var content = org.panagrad.io.SafeTensors.read(file);
        assertEquals("I64", content.tensor("layer2.0.bn1.num_batches_tracked").dtype());
        assertEquals("resnet8", content.metadata().get(Checkpoint.MODEL));

        Model back = Checkpoint.load(file, null).toModel();
        assertEquals("resnet8", back.name());
        assertArrayEquals(moved, back.store.get(back.graph.leaf("layer2.0.bn1.running_mean")));
        assertEquals(469f, back.store.get(back.graph.leaf("layer2.0.bn1.num_batches_tracked"))[0]);

        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(file, null, "lenet5"));
        assertTrue(e.getMessage().contains("does not fit --model lenet5: tensor '0.weight' [6, 1, 5, 5] of lenet5 is missing"),
                e.getMessage());
        Model lenet = new Model("lenet5", org.panagrad.nn.zoo.ZooOptions.DEFAULT);
        lenet.initialize(org.panagrad.nn.Init.TORCH_DEFAULT, 1);
        Path wrong = dir.resolve("lenet5.safetensors");
        java.util.List<org.panagrad.io.TensorData> tensors = new java.util.ArrayList<>(org.panagrad.nn.StateDict.tensors(lenet.module, lenet.store));
        tensors.set(2, new org.panagrad.io.TensorData("3.weight", new int[] {16, 6, 3, 3}, new float[16 * 6 * 9]));
        org.panagrad.io.SafeTensors.write(wrong, tensors, Map.of("model", "lenet5"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(wrong, null));
        assertTrue(e.getMessage().contains("tensor '3.weight' is [16, 6, 3, 3] in the file but [16, 6, 5, 5] in lenet5"), e.getMessage());
    }

    @Test
    void aTruncatedCheckpointFailsWithThePathAndOffset() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, model(Activation.RELU, 1), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 7));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Checkpoint.load(file, null));
        assertTrue(e.getMessage().startsWith(file + ": at byte offset"), e.getMessage());

        Cli r = Cli.run("eval", "--checkpoint", file.toString(), "--data", dir.resolve("unused").toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains(file + ": at byte offset"), r::toString);
        CommandLineTest.assertNoStackTrace(r);
    }

    @Test
    void aCorruptedHeaderFailsClearly() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, model(Activation.RELU, 1), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        bytes[12] = '#';
        Files.write(file, bytes);
        Cli r = Cli.run("eval", "--checkpoint", file.toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains(file.toString()), r::toString);
        CommandLineTest.assertNoStackTrace(r);
    }

    @Test
    void aMissingCheckpointIsNamed() {
        Path file = dir.resolve("absent.safetensors");
        Cli r = Cli.run("eval", "--checkpoint", file.toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains(file + ": no such file"), r::toString);
    }

    @Test
    void aSaveThatFailsHalfwayKeepsTheOldCheckpointAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, model(Activation.RELU, 1), Map.of());
        byte[] before = Files.readAllBytes(file);
        // An interrupted thread's first write to a FileChannel fails: a failure in the middle of the save.
        Thread.currentThread().interrupt();
        try {
            assertThrows(IOException.class, () -> Checkpoint.save(file, model(Activation.RELU, 2), Map.of()));
        } finally {
            Thread.interrupted();
        }
        assertArrayEquals(before, Files.readAllBytes(file));
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(file), files.toList());
        }
    }
}
