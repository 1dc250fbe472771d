package org.panagrad.demo;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The laplace and influence commands and train --optimizer kfac, end to end on synthetic MNIST-shaped data. */
class CurvatureCommandsTest {
    @TempDir
    Path dir;

    private Path data, checkpoint;

    @BeforeEach
    void model() throws IOException {
        data = SyntheticMnist.write(dir.resolve("data"), 1000, 1000);
        Model model = new Model(Mlp.parseWidths("64-3-10"), Activation.TANH);
        model.mlp.initialize(model.store, Init.XAVIER_NORMAL, 4);
        checkpoint = dir.resolve("small.safetensors");
        Checkpoint.save(checkpoint, model, Map.of());
    }

    @Test
    void laplacePrintsMapAndLaplaceMetricsAndDrawsTheDiagram() throws IOException {
        for (String[] choice : new String[][] {{"last-layer", "full", "scalar"}, {"all", "kron", "scalar"}, {"all", "diag", "scalar"},
                {"all", "kron", "layerwise"}}) {
            String name = choice[0] + choice[1] + choice[2];
            Path json = dir.resolve(name + ".json"), png = dir.resolve(name + ".png");
            Cli r = Cli.run("laplace", "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--subset", choice[0],
                    "--hessian", choice[1], "--prior-structure", choice[2], "--mc-samples", "3", "--glm-samples", "50", "--json", json.toString(),
                    "--png", png.toString());
            assertEquals(0, r.exitCode(), r::toString);
            assertTrue(r.out().contains("MAP") && r.out().contains("Laplace probit") && r.out().contains("prior precision"), r::toString);
            JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            JsonObject perLayer = o.getAsJsonObject("prior_precisions");
            assertEquals(choice[0].equals("all") ? 2 : 1, perLayer.size(), r::toString);
            for (String layer : perLayer.keySet()) assertTrue(perLayer.get(layer).getAsDouble() > 0, r::toString);
            if (choice[2].equals("scalar")) assertTrue(o.get("prior_precision").getAsDouble() > 0);
            else assertTrue(r.out().contains("layerwise") && !o.has("prior_precision"), r::toString);
            // MAP, probit, zero-sum probit, GLM Monte Carlo, Monte Carlo over the network.
            assertEquals(5, o.getAsJsonObject("results").size());
            assertTrue(o.getAsJsonObject("results").has("Laplace GLM MC (50 samples)"), r::toString);
            assertTrue(o.getAsJsonObject("results").has("Laplace probit, zero-sum"), r::toString);
            // Every predictive but MAP against MAP's, with an interval around the difference.
            JsonObject minusMap = o.getAsJsonObject("minus_map");
            assertEquals(4, minusMap.size(), r::toString);
            for (String p : minusMap.keySet()) {
                JsonObject d = minusMap.getAsJsonObject(p);
                double mapEce = o.getAsJsonObject("results").getAsJsonObject("MAP").get("ece").getAsDouble();
                double ece = o.getAsJsonObject("results").getAsJsonObject(p).get("ece").getAsDouble();
                assertEquals(ece - mapEce, d.get("ece").getAsDouble(), 1e-9, p);
                assertTrue(d.get("eceLow").getAsDouble() <= d.get("eceHigh").getAsDouble(), p);
            }
            assertTrue(r.out().contains("paired bootstrap"), r::toString);
            assertNotNull(ImageIO.read(png.toFile()), "a PNG");
        }
        // The zero-sum probit needs no Monte Carlo.
        Path quick = dir.resolve("quick.json");
        Cli noSamples = Cli.run("laplace", "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--mc-samples", "0",
                "--glm-samples", "0", "--json", quick.toString(), "--png", dir.resolve("quick.png").toString());
        assertEquals(0, noSamples.exitCode(), noSamples::toString);
        JsonObject quickResults = JsonParser.parseString(Files.readString(quick)).getAsJsonObject().getAsJsonObject("results");
        assertEquals(java.util.Set.of("MAP", "Laplace probit", "Laplace probit, zero-sum"), quickResults.keySet());
        Cli full = Cli.run("laplace", "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--subset", "all",
                "--hessian", "full");
        assertEquals(Main.EXIT_FAILURE, full.exitCode(), full::toString);
        assertTrue(full.err().contains("last-layer only"), full::toString);
    }

    /**
     * Fitting on half the training set estimates the whole set's posterior: the same log-likelihood (the whole
     * set's) and about the same log-determinant, where a posterior of the half alone would halve the first.
     */
    @Test
    void laplaceOnASampleOfTheTrainingSetIsScaledToAllOfIt() throws IOException {
        Path twice = SyntheticMnist.write(dir.resolve("data2000"), 2000, 1000);
        double[] evidence = new double[2];
        for (int i = 0; i < 2; i++) {
            Path json = dir.resolve("sample" + i + ".json");
            Cli r = Cli.run("laplace", "--checkpoint", checkpoint.toString(), "--data", twice.toString(), "--subset", "all",
                    "--hessian", "kron", "--prior-precision", "1", "--mc-samples", "0", "--train-samples", i == 0 ? "1000" : "2000",
                    "--json", json.toString(), "--png", dir.resolve("sample" + i + ".png").toString());
            assertEquals(0, r.exitCode(), r::toString);
            JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            assertEquals(i == 0 ? 1000 : 2000, o.get("train_samples").getAsInt());
            assertEquals(2000, o.get("training_set").getAsInt());
            assertTrue(r.out().contains(i == 0 ? "1,000 of the 2,000 training images (scaled to all)" : "2,000 of the 2,000 training images:"),
                    r::toString);
            evidence[i] = o.get("log_marginal_likelihood").getAsDouble();
        }
        assertEquals(evidence[1], evidence[0], 0.02 * Math.abs(evidence[1]), "log marginal likelihood on 1,000 vs 2,000 images");
    }

    @Test
    void influenceListsHelpfulAndHarmfulImagesWithEachMethod() throws IOException {
        for (String method : new String[] {"exact", "cg", "ekfac"}) {
            Path json = dir.resolve(method + ".json"), png = dir.resolve(method + ".png");
            Cli r = Cli.run("influence", "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--test-index", "5",
                    "--top", "4", "--method", method, "--train-samples", "200", "--damping", "2", "--json", json.toString(),
                    "--png", png.toString());
            assertEquals(0, r.exitCode(), r::toString);
            JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            assertEquals(4, o.getAsJsonArray("helpful").size());
            assertEquals(4, o.getAsJsonArray("harmful").size());
            double mostHelpful = o.getAsJsonArray("helpful").get(0).getAsJsonObject().get("score").getAsDouble();
            double mostHarmful = o.getAsJsonArray("harmful").get(0).getAsJsonObject().get("score").getAsDouble();
            assertTrue(mostHelpful <= mostHarmful, r::toString);
            assertNotNull(ImageIO.read(png.toFile()), "a PNG");
        }
        Cli indefinite = Cli.run("influence", "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--test-index",
                "5", "--method", "exact", "--train-samples", "200", "--damping", "0.01");
        assertEquals(Main.EXIT_FAILURE, indefinite.exitCode(), indefinite::toString);
        assertTrue(indefinite.err().contains("is indefinite") && indefinite.err().contains("add damping"), indefinite::toString);
        assertTrue(!indefinite.err().contains("at org.panagrad"), "no stack trace: " + indefinite);
        Cli outside = Cli.run("influence", "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--test-index", "1000");
        assertEquals(Main.EXIT_FAILURE, outside.exitCode(), outside::toString);
        assertTrue(outside.err().contains("--test-index 1000 is outside the test set of 1000 images"), outside::toString);
    }

    @Test
    void trainWithKfacLowersTheLoss() {
        Cli r = Cli.train(data, "--optimizer", "kfac", "--epochs", "2", "--samples", "512", "--kfac-lr-step", "0");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("kfac lr 0.02"), r::toString);
        Cli wrong = Cli.train(data, "--optimizer", "adam", "--kl-clip", "0.1");
        assertEquals(Main.EXIT_FAILURE, wrong.exitCode(), wrong::toString);
        assertTrue(wrong.err().contains("--kl-clip applies only to --optimizer kfac"), wrong::toString);
    }
}
