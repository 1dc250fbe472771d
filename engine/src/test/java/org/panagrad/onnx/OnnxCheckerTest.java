package org.panagrad.onnx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every model that OnnxRuntimeTest exports (the zoo's four among them) passes the ONNX project's own checks, from
 * Debian's python3-onnx: onnx.checker.check_model with full_check (which runs shape inference too), and strict
 * shape inference with type checks, whose inferred output shapes must be the declared ones ("batch" symbolic).
 * ONNX Runtime is more lenient than the checker about, say, a missing attribute's type, so this is a check of its
 * own. It skips only when /usr/bin/python3 cannot import onnx (.ci/run installs python3-onnx).
 */
class OnnxCheckerTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private static final String CHECK = String.join("\n",
            "import sys, onnx",
            "from onnx import shape_inference",
            "for path in sys.argv[1:]:",
            "    model = onnx.load(path)",
            "    # Raises on a bad node, attribute or type, and where an inferred shape differs from a declared one.",
            "    onnx.checker.check_model(model, full_check=True)",
            "    inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)",
            "    for out in inferred.graph.output:",
            "        print(path, out.name, [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim])",
            "print('checked', len(sys.argv) - 1)");

    @Test
    void everyExportedModelPassesTheOnnxCheckerWithFullCheckAndStrictShapeInference(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
        assumeTrue(run(List.of(PYTHON.toString(), "-c", "import onnx"))[0].equals("0"), "python3-onnx is not installed");
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), "-c", CHECK));
        int[] k = {0};
        OnnxRuntimeTest.models().forEach(c -> {
            Path file = dir.resolve("model" + k[0]++ + ".onnx");
            try {
                c.model().get().export().write(file);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            command.add(file.toString());
        });
        String[] result = run(command);
        assertEquals("0", result[0], () -> "the ONNX checker refused a model:\n" + result[1] + result[2]);
        assertTrue(result[1].contains("checked " + k[0]), result[1]);
        assertTrue(result[1].contains(" logits ['batch', 10]"), "the zoo's logits keep the symbolic batch axis:\n" + result[1]);
    }

    /** {exit code, stdout, stderr}. */
    private static String[] run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command.get(0));
        }
        return new String[] {Integer.toString(p.exitValue()), out, err};
    }
}
