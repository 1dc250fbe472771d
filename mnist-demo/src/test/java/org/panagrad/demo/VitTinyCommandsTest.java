package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** eval, graph, profile and hessian with the zoo's vit-tiny (issue 20), on a few synthetic 28 x 28 images. */
class VitTinyCommandsTest {
    @TempDir
    Path dir;

    @Test
    void evalGraphProfileAndHessianWorkForVitTiny() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 64, 32, 28);
        Model vit = new Model("vit-tiny", org.panagrad.nn.zoo.ZooOptions.DEFAULT);
        vit.initialize(org.panagrad.nn.Init.TORCH_DEFAULT, 5);
        Path ck = dir.resolve("vit-tiny.safetensors");
        Checkpoint.save(ck, vit, Map.of());

        Cli eval = Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString());
        assertEquals(0, eval.exitCode(), eval::toString);
        assertTrue(eval.out().contains("test accuracy") && eval.out().contains("(32 images"), eval::toString);

        Path dot = dir.resolve("vit.dot");
        Cli graph = Cli.run("graph", "--no-svg", "--hvp", "--model", "vit-tiny", "--batch", "4", "-o", dot.toString());
        assertEquals(0, graph.exitCode(), graph::toString);
        assertTrue(Files.readString(dot).contains("attention\\n[4x4x17x16]"), "the fused attention with its shapes");
        String hvp = Files.readString(dir.resolve("vit-hvp.dot"));
        assertTrue(hvp.contains("Hessian-vector product") && hvp.contains("layer_norm"), "the HVP graph through the layer norms");

        Cli profile = Cli.run("profile", "--model", "vit-tiny", "--data", data.toString(), "--batch", "16", "--warmup", "2",
                "--steps", "2");
        assertEquals(0, profile.exitCode(), profile::toString);
        Matcher attention = Pattern.compile("(?m)^\\s*\\d+\\s+attention\\s.*?(\\d+\\.\\d)%").matcher(profile.out());
        assertTrue(attention.find(), profile::toString);
        assertTrue(Double.parseDouble(attention.group(1)) > 0, profile::toString);
        assertTrue(profile.out().contains("attention's share"), profile::toString);
        assertTrue(Pattern.compile("(?m)^\\s*\\d+\\s+attention_grad\\s.*\\sbackward\\s").matcher(profile.out()).find(),
                "the fused backward, in the backward pass: " + profile);
        assertTrue(Pattern.compile("(?m)^\\s*\\d+\\s+layer_norm\\s.*\\sforward\\s").matcher(profile.out()).find(),
                "vit-tiny's forward instructions are labelled forward: " + profile);

        Cli hessian = Cli.run("hessian", "--checkpoint", ck.toString(), "--data", data.toString(), "--samples", "32",
                "--batch", "16", "--top-k", "1", "--max-iterations", "5", "--trace-samples", "2", "--lanczos-steps", "4");
        assertEquals(0, hessian.exitCode(), hessian::toString);
        assertTrue(hessian.out().contains("eigenvalue 1:"), hessian::toString);
    }
}
