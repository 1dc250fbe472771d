package org.panagrad.demo;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.panagrad.compiler.Compiler;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.zoo.ZooOptions;
import org.panagrad.runtime.Program;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code export} end to end, for every model the command knows: a checkpoint in, an ONNX file out that ONNX
 * Runtime runs to the logits of the evaluation program within 1e-5, at batch sizes 1 and 7. A zoo model joins
 * the table with the checkpoint it is tested on.
 */
class ExportTest {
    @TempDir
    Path dir;

    /** A model name for --model and a checkpoint of that architecture (widths and activation for an MLP). */
    record Entry(String model, int[] widths, Activation activation) {
        Entry(String zooModel) {
            this(zooModel, ZooOptions.DEFAULT.mlpWidths(), ZooOptions.DEFAULT.activation());
        }

        Model create() {
            return model.equals("mlp") ? new Model(widths, activation) : new Model(model, ZooOptions.DEFAULT);
        }

        @Override
        public String toString() {
            return model.equals("mlp") ? model + " " + Model.widthsText(widths) + " " + activation : model;
        }
    }

    static Stream<Entry> zoo() {
        return Stream.of(new Entry("mlp", new int[] {784, 500, 10}, Activation.RELU),
                new Entry("mlp", new int[] {64, 32, 16, 10}, Activation.TANH), new Entry("lenet5"), new Entry("resnet8"),
                new Entry("vit-tiny"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zoo")
    void theExportedModelRunsInOnnxRuntimeAsTheEvaluationProgram(Entry entry) throws Exception {
        Model model = entry.create();
        model.initialize(Init.TORCH_DEFAULT, 5);
        // Off the initial values, so that batch norm is not the identity and the ViT's zeroed head reads something.
        SplittableRandom perturb = new SplittableRandom(3);
        for (org.panagrad.nn.StateEntry e : model.module.state()) {
            if (!e.dtype().equals("F32")) continue; // num_batches_tracked, an integer count
            float[] v = model.store.get(e.node());
            for (int i = 0; i < v.length; i++) v[i] += (float) (e.name().endsWith("running_var") ? perturb.nextDouble(0, 0.5)
                    : perturb.nextDouble(-0.05, 0.05));
        }
        Path checkpoint = dir.resolve("model.safetensors");
        Checkpoint.save(checkpoint, model, Map.of());
        // The model comes from the checkpoint's metadata, as eval takes it; --model says the same.
        Cli r = Cli.run("export", "--checkpoint", checkpoint.toString(), "--model", entry.model(), "--format", "onnx",
                "--out", dir.resolve("model.onnx").toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("opset 17"), r::toString);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions())) {
            for (int batch : new int[] {1, 7}) {
                Model.Batch b = model.batch("check" + batch, batch);
                Program program = Compiler.compile(model.store, List.of(b.logits()));
                float[] images = new float[batch * model.inputWidth()];
                SplittableRandom rnd = new SplittableRandom(batch);
                for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextDouble();
                program.set(b.images(), images);
                program.run();
                float[] expected = program.get(b.logits());
                long[] shape = new long[1 + model.zoo.exampleShape().length];
                shape[0] = batch;
                for (int i = 1; i < shape.length; i++) shape[i] = model.zoo.exampleShape()[i - 1];
                try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(images), shape);
                     OrtSession.Result result = session.run(Map.of("input", x))) {
                    FloatBuffer got = ((OnnxTensor) result.get("logits").orElseThrow()).getFloatBuffer();
                    assertEquals(expected.length, got.remaining());
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], got.get(i), 1e-5 * Math.max(1, Math.abs(expected[i])), "logit " + i + ", batch " + batch);
                    }
                }
            }
        }
    }

    @Test
    void anUnknownModelOrFormatIsRefusedAndNothingIsWritten() throws Exception {
        Model model = new Model(new int[] {64, 16, 10}, Activation.RELU);
        Path checkpoint = dir.resolve("m.safetensors");
        Checkpoint.save(checkpoint, model, Map.of());
        Cli r = Cli.run("export", "--checkpoint", checkpoint.toString(), "--model", "resnet50");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--model resnet50 is not known"), r::toString);
        r = Cli.run("export", "--checkpoint", checkpoint.toString(), "--format", "tflite");
        assertEquals(2, r.exitCode(), r::toString);
        try (Stream<Path> files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".onnx")));
        }
    }

    @Test
    void withoutOutTheModelGoesIntoTheRunDirectory() throws Exception {
        Model model = new Model(new int[] {64, 16, 10}, Activation.SIGMOID);
        Files.createDirectories(dir.resolve("run"));
        Path checkpoint = dir.resolve("run/model.safetensors");
        Checkpoint.save(checkpoint, model, Map.of());
        Cli r = Cli.run("export", "--checkpoint", checkpoint.toString());
        assertEquals(0, r.exitCode(), r::toString);
        String line = r.out().lines().filter(l -> l.startsWith("wrote ")).findFirst().orElseThrow();
        Path written = Path.of(line.substring("wrote ".length(), line.indexOf(": ONNX")));
        assertTrue(written.startsWith(RunDirectory.root()) && written.getFileName().toString().equals("model.onnx")
                && written.getParent().getFileName().toString().matches("export-\\d{8}-\\d{6}(-\\d+)?"), line);
        assertTrue(Files.size(written) > 4 * (64 * 16 + 16 * 10));
        assertFalse(Files.exists(dir.resolve("run/model.onnx")), "nothing beside the checkpoint");

        Path chosen = dir.resolve("chosen");
        assertEquals(0, Cli.run("export", "--checkpoint", checkpoint.toString(), "--out-dir", chosen.toString()).exitCode());
        assertTrue(Files.exists(chosen.resolve("model.onnx")), "--out-dir");
        r = Cli.run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("explicit.onnx").toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(Files.exists(dir.resolve("explicit.onnx")), "--out");
        assertTrue(Cli.run("export", "--help").out().contains("in the run directory"));
    }

    @Test
    void aFailedExportLeavesNoRunDirectory() throws Exception {
        Model model = new Model(new int[] {64, 16, 10}, Activation.RELU);
        Path checkpoint = dir.resolve("m.safetensors");
        Checkpoint.save(checkpoint, model, Map.of());
        Path outDir = dir.resolve("absent/run");
        Cli r = Cli.run("export", "--checkpoint", checkpoint.toString(), "--model", "resnet8", "--out-dir", outDir.toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("does not fit --model resnet8"), r::toString);
        assertFalse(Files.exists(dir.resolve("absent")), "no run directory for a failed export");
    }
}
