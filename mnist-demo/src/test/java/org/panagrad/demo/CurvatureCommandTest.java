package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.curvature.CurvatureDiagonal;
import org.panagrad.curvature.GradientVariance;
import org.panagrad.curvature.PerSampleGradients;
import org.panagrad.graph.Node;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.SafeTensorsFile;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.Program;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The curvature command over 50 training images in batches of 20, 20 and 10, against one program over all 50
 * (whose results the engine's tests check against explicit matrices): the combination over batches and the
 * PyTorch layout of what --out writes.
 */
class CurvatureCommandTest {
    private static final int N = 50;

    @TempDir
    Path dir;

    @Test
    void batchesCombineIntoTheResultsOfOneProgramOverAllImages() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), N, 20);
        Model model = new Model(Mlp.parseWidths("64-3-10"), Activation.TANH);
        model.mlp.initialize(model.store, Init.XAVIER_NORMAL, 4);
        Path ck = dir.resolve("small.safetensors");
        Checkpoint.save(ck, model, Map.of());

        Path json = dir.resolve("curvature.json"), out = dir.resolve("curvature.safetensors");
        Cli r = Cli.run("curvature", "--checkpoint", ck.toString(), "--data", data.toString(), "--samples", "" + N,
                "--batch", "20", "--what", "grad-norms,grad-variance,diag-ggn,diag-hessian,diag-fisher",
                "--json", json.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("per-sample gradient norms over 50 images"), r::toString);
        assertTrue(r.out().contains("diag-ggn") && r.out().contains("0.weight   trace"), r::toString);
        assertTrue(Files.readString(json).contains("\"diagonals\""));
        SafeTensorsFile written = SafeTensors.read(out);

        // One program over all N images.
        Dataset train = Mnist.load(data).train();
        Node x = model.graph.input("all.x", N, 64), y = model.graph.labels("all.y", N, 10);
        Forward pass = Forward.eval();
        Node loss = Ops.crossEntropy(model.mlp.forward(x, pass), y);
        List<Node> params = model.parameters();
        int dimension = (int) model.mlp.parameterCount();
        float[] expected = new float[dimension];
        for (String what : List.of("diag-ggn", "diag-hessian", "diag-fisher")) {
            CurvatureDiagonal d = CurvatureDiagonal.compile(model.store, loss, pass.layerCalls(), params, switch (what) {
                case "diag-ggn" -> CurvatureDiagonal.Kind.GGN;
                case "diag-hessian" -> CurvatureDiagonal.Kind.HESSIAN;
                default -> CurvatureDiagonal.Kind.EMPIRICAL_FISHER;
            }, CurvatureDiagonal.Settings.DEFAULT);
            feed(d.program(), x, y, train);
            d.compute(expected);
            assertClose(what, expected, torchToFlat(model, written, what));
        }
        GradientVariance v = GradientVariance.compile(model.store, loss, pass.layerCalls(), params);
        feed(v.program(), x, y, train);
        v.compute(expected);
        assertClose("grad-variance", expected, torchToFlat(model, written, "grad-variance"));

        PerSampleGradients psg = PerSampleGradients.compile(model.store, loss, pass.layerCalls(), params, false);
        feed(psg.program(), x, y, train);
        psg.run();
        float[] norms = new float[N];
        psg.norms(norms);
        assertClose("grad-norms", norms, written.tensor("grad-norms").data());
    }

    @Test
    void kroneckerFactorsAreNotYetAvailableAndUnknownNamesAreRefused() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 20, 20);
        Model model = new Model(Mlp.parseWidths("64-3-10"), Activation.RELU);
        model.mlp.initialize(model.store, Init.XAVIER_NORMAL, 4);
        Path ck = dir.resolve("small.safetensors");
        Checkpoint.save(ck, model, Map.of());
        Cli r = Cli.run("curvature", "--checkpoint", ck.toString(), "--data", data.toString(), "--what", "kfac");
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--what kfac: Kronecker factors are not yet available"), r::toString);
        r = Cli.run("curvature", "--checkpoint", ck.toString(), "--data", data.toString(), "--what", "diag-gnn");
        assertTrue(r.err().contains("--what: unknown 'diag-gnn'"), r::toString);
        r = Cli.run("curvature", "--checkpoint", ck.toString(), "--data", data.toString(), "--samples", "21");
        assertTrue(r.err().contains("--samples 21 exceeds the 20 training images"), r::toString);
    }

    private static void feed(Program p, Node x, Node y, Dataset train) {
        p.set(x, Arrays.copyOf(train.images(), N * 64));
        p.setLabels(y, Arrays.copyOf(train.labels(), N));
    }

    /** The tensors '<what>/<name>' of every parameter, back in the engine's layout, flat. */
    private static float[] torchToFlat(Model model, SafeTensorsFile file, String what) {
        List<Float> all = new ArrayList<>();
        for (var layer : model.mlp.layers()) {
            float[] w = org.panagrad.nn.Linear.fromTorchLayout(file.tensor(what + "/" + layer.weight().name()).data(),
                    layer.in(), layer.out());
            for (float f : w) all.add(f);
            for (float f : file.tensor(what + "/" + layer.bias().name()).data()) all.add(f);
        }
        float[] flat = new float[all.size()];
        for (int i = 0; i < flat.length; i++) flat[i] = all.get(i);
        return flat;
    }

    private static void assertClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * scale + 1e-7, what + " entry " + i);
        }
    }
}
