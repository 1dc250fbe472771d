package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hessian command against the explicit Hessian of a small model (64-3-10, tanh: 235 parameters): the
 * Hessian of the mean loss over 50 test images, built column by column from one program over all 50 images
 * at once (so the command's averaging over batches of 20, 20 and 10 is checked too) and eigen-decomposed by
 * Commons Math.
 */
class HessianTest {
    private static final int N = 50;

    @TempDir
    Path dir;

    /** Single vectors, and blocks of 5 (block power iteration, Hutchinson with 5 probes a block, block Lanczos). */
    @ParameterizedTest
    @ValueSource(ints = {1, 5})
    void topEigenvaluesTraceAndDensityMatchTheExplicitHessian(int blockSize) throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 100, N);
        Model model = new Model(Mlp.parseWidths("64-3-10"), Activation.TANH);
        model.mlp.initialize(model.store, Init.XAVIER_NORMAL, 4);
        Path ck = dir.resolve("small.safetensors");
        Checkpoint.save(ck, model, Map.of());

        double[] eigenvalues = explicitEigenvalues(model, Mnist.load(data).test());
        double explicitTrace = Arrays.stream(eigenvalues).sum();
        Integer[] byMagnitude = new Integer[eigenvalues.length];
        for (int i = 0; i < byMagnitude.length; i++) byMagnitude[i] = i;
        Arrays.sort(byMagnitude, Comparator.comparingDouble(i -> -Math.abs(eigenvalues[i])));

        Path json = dir.resolve("hessian.json"), plot = dir.resolve("density.svg");
        Cli r = Cli.run("hessian", "--checkpoint", ck.toString(), "--data", data.toString(), "--samples", "" + N,
                "--batch", "20", "--top-k", "3", "--tolerance", "1e-9", "--max-iterations", "3000",
                "--trace-samples", "400", "--trace-tolerance", "0", "--lanczos-steps", "235", "--grid", "200",
                "--block-size", "" + blockSize,
                "--json", json.toString(), "--plot", plot.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("eigenvalue 1:"), r::toString);

        JsonObject report = new Gson().fromJson(Files.readString(json), JsonObject.class);
        assertEquals(blockSize, report.get("blockSize").getAsInt());
        JsonArray top = report.getAsJsonObject("topEigenvalues").getAsJsonArray("eigenvalues");
        double scale = Math.abs(eigenvalues[byMagnitude[0]]);
        for (int k = 0; k < 3; k++) {
            assertEquals(eigenvalues[byMagnitude[k]], top.get(k).getAsDouble(), 1e-3 * scale, "eigenvalue " + (k + 1));
        }
        JsonObject trace = report.getAsJsonObject("trace");
        double se = trace.get("standardError").getAsDouble();
        assertEquals(400, trace.get("samples").getAsInt());
        assertTrue(se > 0);
        assertEquals(explicitTrace, trace.get("mean").getAsDouble(), 4 * se + 1e-4 * scale);

        // With as many Lanczos steps as parameters the Krylov space is exhausted: every Ritz value is an
        // eigenvalue of the Hessian, and the weights (squared components of the start vector) sum to 1.
        JsonObject quadrature = report.getAsJsonObject("quadrature");
        double[] nodes = new Gson().fromJson(quadrature.getAsJsonArray("nodes").get(0), double[].class);
        double[] weights = new Gson().fromJson(quadrature.getAsJsonArray("weights").get(0), double[].class);
        assertEquals(1, Arrays.stream(weights).sum(), 1e-6);
        for (double node : nodes) {
            double nearest = Arrays.stream(eigenvalues).map(l -> Math.abs(l - node)).min().getAsDouble();
            assertTrue(nearest <= 1e-3 * scale, "Ritz value " + node + " is " + nearest + " from the nearest eigenvalue");
        }
        assertEquals(Arrays.stream(eigenvalues).max().getAsDouble(), Arrays.stream(nodes).max().getAsDouble(), 1e-3 * scale);
        assertEquals(200, report.getAsJsonObject("density").getAsJsonArray("density").size());
        String svg = Files.readString(plot);
        assertTrue(svg.startsWith("<svg") && svg.contains(N + " samples") && svg.contains("trace "), "title and trace");
        for (int k = 1; k <= 3; k++) assertTrue(svg.contains("λ" + k + " = "), "eigenvalue " + k + " marked");
    }

    @Test
    void aBlockSmallerThanTopKFailsNamingBothOptions() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 100, N);
        Model model = new Model(Mlp.parseWidths("64-3-10"), Activation.TANH);
        model.mlp.initialize(model.store, Init.XAVIER_NORMAL, 4);
        Path ck = dir.resolve("small.safetensors");
        Checkpoint.save(ck, model, Map.of());
        Cli r = Cli.run("hessian", "--checkpoint", ck.toString(), "--data", data.toString(), "--samples", "" + N,
                "--top-k", "3", "--block-size", "2", "--json", dir.resolve("h.json").toString());
        assertTrue(r.exitCode() != 0, r::toString);
        assertTrue(r.err().contains("--top-k 3 needs --block-size at least 3"), r::toString);
    }

    /** Columns H e_i from one HVP program over all N images, symmetrized, eigen-decomposed in double. */
    private static double[] explicitEigenvalues(Model model, Dataset test) {
        CurvatureProduct hvp = ReferenceHessian.over(model, test, N, "explicit");
        int n = hvp.dimension();
        double[][] h = new double[n][n];
        float[] e = new float[n], column = new float[n];
        for (int j = 0; j < n; j++) {
            e[j] = 1;
            hvp.apply(e, column);
            e[j] = 0;
            for (int i = 0; i < n; i++) h[i][j] = column[i];
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) h[i][j] = h[j][i] = (h[i][j] + h[j][i]) / 2;
        }
        return new EigenDecomposition(new Array2DRowRealMatrix(h, false)).getRealEigenvalues();
    }
}
