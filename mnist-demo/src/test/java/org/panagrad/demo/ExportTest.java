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

    /** A model name for --model and a checkpoint of that architecture. */
    record Entry(String model, int[] widths, Activation activation) {
        @Override
        public String toString() {
            return model + " " + Model.widthsText(widths) + " " + activation;
        }
    }

    static Stream<Entry> zoo() {
        return Stream.of(new Entry("mlp", new int[] {784, 500, 10}, Activation.RELU),
                new Entry("mlp", new int[] {64, 32, 16, 10}, Activation.TANH));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zoo")
    void theExportedModelRunsInOnnxRuntimeAsTheEvaluationProgram(Entry entry) throws Exception {
        Model model = new Model(entry.widths(), entry.activation());
        model.mlp.initialize(model.store, Init.TORCH_DEFAULT, 5);
        Path checkpoint = dir.resolve("model.safetensors");
        Checkpoint.save(checkpoint, model, Map.of());
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
                try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(images), new long[] {batch, model.inputWidth()});
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
    void withoutOutTheModelGoesNextToTheCheckpoint() throws Exception {
        Model model = new Model(new int[] {64, 16, 10}, Activation.SIGMOID);
        Files.createDirectories(dir.resolve("run"));
        Path checkpoint = dir.resolve("run/model.safetensors");
        Checkpoint.save(checkpoint, model, Map.of());
        Cli r = Cli.run("export", "--checkpoint", checkpoint.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(Files.size(dir.resolve("run/model.onnx")) > 4 * (64 * 16 + 16 * 10));
    }
}
