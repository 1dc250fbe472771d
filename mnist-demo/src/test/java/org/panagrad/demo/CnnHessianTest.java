package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code hessian} on lenet5 and resnet8 checkpoints (28x28 images): what it prints and writes, and its
 * top eigenvalue and largest Ritz value against power iteration run here, in double, on one program over all the
 * images (the command averages over batches of 16, 16 and 8).
 */
class CnnHessianTest {
    private static final int N = 40;

    @TempDir
    Path dir;

    /**
     * A trained checkpoint (one epoch, 16 steps): its top eigenvalues stand out (lenet5: 8.43, 8.06, the rest below
     * 3; resnet8: 12.55, 5.10), where at initialisation lenet5's largest and smallest have nearly the same magnitude
     * (0.51, -0.48) and power iteration crawls.
     */
    @ParameterizedTest
    @CsvSource({"lenet5, 61706, 'Sequential(Conv2d(1, 6, kernel_size=(5, 5)'",
            "resnet8, 77754, 'ResNet(Conv2d(1, 16, kernel_size=(3, 3)'"})
    void theSpectrumHasItsStructureAndItsTopEigenvalueMatchesPowerIteration(String name, long parameters, String module)
            throws IOException {
        Path data = SyntheticMnist.withSquares(dir.resolve("data"), 512, N);
        Path ck = dir.resolve(name + ".safetensors");
        Cli train = Cli.run("train", "--no-progress", "--data", data.toString(), "--model", name, "--epochs", "1",
                "--batch", "32", "--optimizer", "adam", "--lr", "0.002", "--checkpoint", ck.toString(),
                "--metrics", dir.resolve("train.jsonl").toString());
        assertEquals(0, train.exitCode(), train::toString);
        Model model = Checkpoint.load(ck, null).toModel();

        Path json = dir.resolve("hessian.json"), plot = dir.resolve("density.svg");
        Cli r = Cli.run("hessian", "--checkpoint", ck.toString(), "--data", data.toString(), "--samples", "" + N,
                "--batch", "16", "--top-k", "2", "--tolerance", "1e-6", "--max-iterations", "300", "--trace-samples", "10",
                "--lanczos-steps", "20", "--grid", "100", "--json", json.toString(), "--plot", plot.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().startsWith(ck + ": " + module), r::toString);
        assertTrue(r.out().contains(String.format(Locale.ROOT, "%,d parameters; Hessian of the mean test loss over %d images%n",
                parameters, N)), r::toString);
        assertTrue(r.out().contains("density: Ritz values in ["), r::toString);

        JsonObject report = new Gson().fromJson(Files.readString(json), JsonObject.class);
        assertEquals(N, report.get("samples").getAsInt());
        assertEquals(parameters, report.get("parameters").getAsLong());
        JsonObject top = report.getAsJsonObject("topEigenvalues");
        JsonArray eigenvalues = top.getAsJsonArray("eigenvalues");
        assertEquals(2, eigenvalues.size());
        for (int k = 0; k < 2; k++) assertTrue(top.getAsJsonArray("converged").get(k).getAsBoolean(), "eigenvalue " + (k + 1));
        double first = eigenvalues.get(0).getAsDouble(), second = eigenvalues.get(1).getAsDouble();
        assertTrue(Math.abs(first) >= Math.abs(second), report::toString);

        double reference = powerIteration(model, Mnist.load(data).test());
        assertEquals(reference, first, 1e-3 * Math.abs(reference));

        JsonObject quadrature = report.getAsJsonObject("quadrature");
        double[] nodes = new Gson().fromJson(quadrature.getAsJsonArray("nodes").get(0), double[].class);
        double[] weights = new Gson().fromJson(quadrature.getAsJsonArray("weights").get(0), double[].class);
        assertEquals(20, nodes.length);
        assertEquals(1, Arrays.stream(weights).sum(), 1e-6);
        // The extreme Ritz values converge first: 20 steps find the outlier (lenet5: 8.43383 against 8.43382).
        assertEquals(reference, Arrays.stream(nodes).max().getAsDouble(), 1e-3 * Math.abs(reference));
        assertTrue(report.getAsJsonObject("trace").get("samples").getAsInt() >= 2);
        assertEquals(100, report.getAsJsonObject("density").getAsJsonArray("density").size());
        String svg = Files.readString(plot);
        assertTrue(svg.startsWith("<svg") && svg.contains(N + " samples") && svg.contains("λ1 = "), "title and eigenvalue");
    }

    /**
     * The eigenvalue of largest magnitude of the Hessian of the mean loss over every test image, by power iteration
     * in double from another start than the command's, until the Rayleigh quotient moves by less than 1e-6
     * of itself (within about 1e-5 of the eigenvalue at these models' eigengaps).
     */
    private static double powerIteration(Model model, Dataset test) {
        CurvatureProduct hvp = ReferenceHessian.over(model, test, N, "reference");
        int n = hvp.dimension();
        double[] v = new double[n];
        SplittableRandom rnd = new SplittableRandom(99);
        for (int i = 0; i < n; i++) v[i] = rnd.nextGaussian();
        float[] in = new float[n], out = new float[n];
        double rayleigh = 0;
        for (int iteration = 0; iteration < 2000; iteration++) {
            double norm = Math.sqrt(Arrays.stream(v).map(x -> x * x).sum());
            for (int i = 0; i < n; i++) in[i] = (float) (v[i] / norm);
            hvp.apply(in, out);
            double next = 0;
            for (int i = 0; i < n; i++) {
                next += in[i] * (double) out[i];
                v[i] = out[i];
            }
            if (Math.abs(next - rayleigh) < 1e-6 * Math.abs(next)) return next;
            rayleigh = next;
        }
        throw new AssertionError("power iteration did not settle in 2000 products: " + rayleigh);
    }
}
