package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graph and profile commands. */
class InspectTest {
    @TempDir
    Path dir;

    @Test
    void theGraphLabelsOpsWithShapesAndColoursThePhases() throws IOException {
        Path dot = dir.resolve("step.dot");
        Cli r = Cli.run("graph", "--no-svg", "--hvp", "-o", dot.toString());
        assertEquals(0, r.exitCode(), r::toString);
        String text = Files.readString(dot);
        assertTrue(text.startsWith("digraph"), text);
        assertTrue(text.contains("matmul+bias+relu\\n[128x784]·[784x500] + [500] → [128x500]"), text);
        // The first weight's gradient GEMM, fused with its momentum update.
        assertTrue(text.contains("matmul_tn+momentum_update\\n[784x128]·[128x500] → 0.weight [784x500]"), text);
        assertTrue(text.contains("softmax_cross_entropy\\n[128x10], [128] → scalar"), text);
        assertTrue(!text.contains("→ []"), "scalars are written as such");
        assertTrue(text.contains("legend [shape=plaintext") && text.contains(">backward</td>") && text.contains(">output</td>"), text);
        assertTrue(text.contains("peripheries=2"), "outputs are marked");
        assertTrue(text.contains("[style=invis]"), "leaves sit just above their first reader");
        assertTrue(text.contains("momentum_update"), text);
        String forward = CompiledNodes.Phase.FORWARD.colour, backward = CompiledNodes.Phase.BACKWARD.colour;
        assertTrue(text.contains("-> i0 [color=\"" + forward + "\"]"), text);
        assertTrue(text.matches("(?s).*-> i\\d+ \\[color=\"" + backward + "\"\\].*"), text);
        assertTrue(text.contains("0.weight\\nparameter [784x500]"), text);
        String hvp = Files.readString(dir.resolve("step-hvp.dot"));
        assertTrue(hvp.contains("Hessian-vector product"));
        assertTrue(hvp.contains("v(0.weight)") && !hvp.matches("(?s).*\\bv\\d+\\.0\\.weight.*"), "tangents by their parameter's name");
        assertTrue(hvp.contains(CompiledNodes.Phase.TANGENT_FORWARD.label) || hvp.contains(CompiledNodes.Phase.TANGENT_BACKWARD.label),
                "tangent passes are not called backward");
        assertTrue(!Files.exists(dir.resolve("step.svg")));
    }

    @Test
    void graphAndProfileWorkForTheZooCnns() throws IOException {
        Path dot = dir.resolve("resnet8.dot");
        Cli r = Cli.run("graph", "--no-svg", "--hvp", "--model", "resnet8", "--batch", "4", "-o", dot.toString());
        assertEquals(0, r.exitCode(), r::toString);
        String text = Files.readString(dot);
        assertTrue(text.contains("training step: ResNet(Conv2d(1, 16"), text);
        assertTrue(text.contains("batch_moments") && text.contains("running_statistics"), "batch norm and its state update");
        assertTrue(Files.readString(dir.resolve("resnet8-hvp.dot")).contains("channel_affine"), "the HVP (evaluation mode) through batch norm");
        Path images = SyntheticMnist.write(dir.resolve("data28"), 64, 16, 28);
        Cli p = Cli.run("profile", "--model", "lenet5", "--data", images.toString(), "--batch", "16", "--warmup", "2",
                "--steps", "2", "--trace", dir.resolve("trace.json").toString());
        assertEquals(0, p.exitCode(), p::toString);
        assertTrue(p.out().contains("conv2d"), p::toString);
    }

    @Test
    void theSvgFitsAScreen() throws IOException {
        Path dot = dir.resolve("step.dot");
        Cli r = Cli.run("graph", "-o", dot.toString());
        assertEquals(0, r.exitCode(), r::toString);
        String svg = Files.readString(dir.resolve("step.svg"));
        double width, height;
        if (svg.contains("class=\"panagrad-graph\"")) { // no Graphviz: our own layout
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"").matcher(svg);
            assertTrue(m.find(), svg);
            width = Double.parseDouble(m.group(1));
            height = Double.parseDouble(m.group(2));
        } else { // Graphviz's, in points
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("<svg width=\"([0-9]+)pt\" height=\"([0-9]+)pt\"").matcher(svg);
            assertTrue(m.find(), svg);
            width = Double.parseDouble(m.group(1)) * 4 / 3;
            height = Double.parseDouble(m.group(2)) * 4 / 3;
        }
        assertTrue(width <= 1920 && height <= 1080, "the training step is " + width + " x " + height + " pixels");
    }

    @Test
    void theProfileWritesATableAndAChromeTrace() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 200, 50);
        Path trace = dir.resolve("trace.json");
        Cli r = Cli.run("profile", "--data", data.toString(), "--layers", SyntheticMnist.LAYERS, "--batch", "32",
                "--steps", "3", "--warmup", "1", "--trace", trace.toString(), "--sort", "time");
        assertEquals(0, r.exitCode(), r::toString);
        for (String column : new String[] {"op", "shapes", "calls", "total ms", "mean µs", "share", "GFLOP/s"}) {
            assertTrue(r.out().contains(column), r::toString);
        }
        assertTrue(r.out().contains("matmul+bias+relu             [32x64]·[64x16] + [16] → [32x16]"), r::toString);

        JsonObject json = new Gson().fromJson(Files.readString(trace), JsonObject.class);
        JsonArray events = json.getAsJsonArray("traceEvents");
        int steps = 0, instructions = 0;
        double lastEnd = -1;
        for (JsonElement e : events) {
            JsonObject ev = e.getAsJsonObject();
            if (!ev.get("ph").getAsString().equals("X")) continue;
            assertTrue(ev.get("dur").getAsDouble() >= 0);
            if (ev.get("cat").getAsString().equals("step")) {
                steps++;
            } else {
                instructions++;
                assertTrue(ev.get("ts").getAsDouble() >= lastEnd - 1e-6, "events run one after another");
                lastEnd = ev.get("ts").getAsDouble() + ev.get("dur").getAsDouble();
                assertTrue(ev.getAsJsonObject("args").has("shapes"));
            }
        }
        assertEquals(3, steps);
        assertEquals(0, instructions % 3);
        assertTrue(instructions >= 3 * 8, "" + instructions);
    }
}
