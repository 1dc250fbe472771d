package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report's structure: every chart present, nothing loaded from the network, no script. (scripts/check-report.sh
 * opens it in headless Chromium for console errors and a screenshot.)
 */
class ReportTest {
    @TempDir
    Path dir;

    @Test
    void trainReportWritesOneSelfContainedPageWithEveryChart() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 600, 300);
        Path logs = dir.resolve("run");
        Cli r = Cli.train(data, "--epochs", "2", "--batch", "64", "--tensorboard", logs.toString(), "--histogram-every", "3", "--report");
        assertEquals(0, r.exitCode(), r::toString);
        Path report = logs.resolve(Report.FILE);
        assertTrue(r.out().contains("report: " + report), r::toString);
        String html = Files.readString(report);
        checkSelfContained(html);
        for (String chart : new String[] {"loss", "accuracy", "throughput", "learning-rate", "gradient-heatmap", "graph"}) {
            assertEquals(1, count(html, "data-chart=\"" + chart + "\""), chart);
        }
        assertEquals(8, count(html, "data-chart=\"histogram\""), "weights and gradients of 4 parameters");
        assertTrue(html.contains("<table class=\"profile\">") && html.contains("matmul+bias+relu"), "the profile table");
        assertFalse(html.contains("data-chart=\"hessian\""));
        // The heatmap has a cell per parameter and gradient step: 3, 6, 12, 15, 18 (step 9 ends the first epoch
        // with a partial batch, which the gradient program, compiled for full ones, skips).
        assertEquals(4 * 5, count(html, "<title>0.weight, step ") + count(html, "<title>0.bias, step ")
                + count(html, "<title>2.weight, step ") + count(html, "<title>2.bias, step "));
    }

    @Test
    void reportRunRebuildsThePageAndAddsTheHessianSpectrum() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 300, 100);
        Path logs = trainedRun(data, 50); // then hessian's results into it
        assertFalse(Files.exists(logs.resolve(Report.FILE)));
        Cli r = Cli.run("hessian", "--checkpoint", logs.resolve("model.safetensors").toString(), "--data", data.toString(), "--samples", "50",
                "--top-k", "2", "--lanczos-steps", "20", "--grid", "100", "--trace-samples", "10", "--out-dir", logs.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(Files.exists(logs.resolve("hessian.json")) && Files.exists(logs.resolve("hessian-density.svg")), r::toString);
        r = Cli.run("report", "--run", logs.toString());
        assertEquals(0, r.exitCode(), r::toString);
        String html = Files.readString(logs.resolve(Report.FILE));
        checkSelfContained(html);
        assertEquals(1, count(html, "data-chart=\"hessian\""));
        assertTrue(html.contains("λ1 = ") && html.contains("λ2 = ") && html.contains("50 samples"), "eigenvalues and samples marked");
    }

    @Test
    void reportRunShowsLaplaceCalibrationAndInfluenceWrittenIntoTheRun() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 1000, 1000);
        Path logs = trainedRun(data, 100);
        String checkpoint = logs.resolve("model.safetensors").toString();
        Cli r = Cli.run("laplace", "--checkpoint", checkpoint, "--data", data.toString(), "--mc-samples", "2", "--subset", "all",
                "--prior-structure", "layerwise", "--out-dir", logs.toString());
        assertEquals(0, r.exitCode(), r::toString);
        for (int index : new int[] {12, 3}) {
            r = Cli.run("influence", "--checkpoint", checkpoint, "--data", data.toString(), "--test-index", String.valueOf(index),
                    "--top", "3", "--train-samples", "100", "--damping", "1", "--out-dir", logs.toString());
            assertEquals(0, r.exitCode(), r::toString);
        }
        for (String name : List.of(LaplaceCommand.JSON, LaplaceCommand.PICTURE, "influence-3.json", "influence-3.png",
                "influence-12.json", "influence-12.png")) {
            assertTrue(Files.exists(logs.resolve(name)), name + " in " + logs);
        }
        r = Cli.run("report", "--run", logs.toString());
        assertEquals(0, r.exitCode(), r::toString);
        String html = Files.readString(logs.resolve(Report.FILE));
        checkSelfContained(html);
        assertFalse(html.contains("data-chart=\"hessian\""));
        assertTrue(html.contains("<h2 id=\"laplace\">") && html.contains("<a href=\"#laplace\">"), "the Laplace section");
        assertEquals(1, count(html, "data-chart=\"laplace\""));
        assertEquals(1, count(html, "data-table=\"laplace\""));
        assertTrue(Pattern.compile("prior precision [0-9.e+-]+ for layer 0, [0-9.e+-]+ for layer 2 \\(tuned\\)").matcher(html).find(),
                "each layer's prior precision");
        assertTrue(html.contains("<td>MAP</td>") && html.contains("<td>Laplace probit</td>")
                && html.contains("<td>Laplace MC (2 samples)</td>"), "a row per predictive");
        assertEquals(2, count(html, "data-chart=\"influence\""));
        assertEquals(2, count(html, "data-table=\"influence\""));
        assertTrue(html.indexOf("Test image 3 (") < html.indexOf("Test image 12 ("), "test images in order");
        assertEquals(2 * 2 * 3, count(html, "<tr><td>helpful</td>") + count(html, "<tr><td>harmful</td>"), "top 3 of each kind");

        // A damaged result names the file.
        Files.writeString(logs.resolve("influence-7.json"), "{\"test_index\": 7}");
        r = Cli.run("report", "--run", logs.toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("influence-7.json: not the JSON that influence --json writes"), r::toString);
    }

    @Test
    void aClosureOptimizerWithoutALearningRateIsLoggedAndReported() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 400, 100);
        Path logs = dir.resolve("run");
        Cli r = Cli.train(data, "--epochs", "1", "--optimizer", "newton-cg", "--batch", "100", "--tensorboard", logs.toString(),
                "--histogram-every", "2", "--report");
        assertEquals(0, r.exitCode(), r::toString);
        assertFalse(Files.readString(logs.resolve(TensorBoardLogger.RUN_FILE)).contains("learning_rate"));
        String html = Files.readString(logs.resolve(Report.FILE));
        checkSelfContained(html);
        assertTrue(html.contains("newton-cg runs programs of its own"), "the graph says it shows the SGD step instead");
    }

    /** Without --tensorboard, --report puts the event files and the page into the run directory with the model. */
    @Test
    void reportWithoutTensorBoardGoesIntoTheRunDirectory() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 300, 100);
        Path run = dir.resolve("run");
        Cli r = Cli.train(data, "--epochs", "1", "--batch", "50", "--out-dir", run.toString(), "--report");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("report: " + run.resolve(Report.FILE)), r::toString);
        for (String name : List.of("model.safetensors", TensorBoardLogger.RUN_FILE, Report.FILE)) {
            assertTrue(Files.exists(run.resolve(name)), name + " in " + run + ": " + r);
        }
        try (var files = Files.list(run)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("events.out.tfevents.")), r::toString);
        }
        Path elsewhere = dir.resolve("page.html");
        r = Cli.run("report", "--run", run.toString(), "--out", elsewhere.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("report: " + elsewhere, r.out().trim());
        checkSelfContained(Files.readString(elsewhere));
    }

    @Test
    void aDirectoryWithoutARunIsAClearError() throws IOException {
        Files.createDirectories(dir.resolve("empty"));
        Cli r = Cli.run("report", "--run", dir.resolve("empty").toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("holds no TensorBoard event files"), r::toString);
    }

    /** One epoch into one run directory for everything: the checkpoint, the event files, later the analyses' results. */
    private Path trainedRun(Path data, int batch) {
        Path logs = dir.resolve("run");
        Cli r = Cli.train(data, "--epochs", "1", "--batch", String.valueOf(batch), "--out-dir", logs.toString(), "--tensorboard",
                logs.toString());
        assertEquals(0, r.exitCode(), r::toString);
        return logs;
    }

    /** No script, stylesheet, image or font from anywhere: only the SVG namespace names a URL, images are data URIs. */
    static void checkSelfContained(String html) {
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("<script"), "no script");
        assertFalse(html.contains("<link") || html.contains("@import"), "nothing external");
        Matcher images = Pattern.compile("<img[^>]*>").matcher(html);
        while (images.find()) assertTrue(images.group().contains(" src=\"data:image/png;base64,"), "an inline image: " + images.group());
        Matcher urls = Pattern.compile("https?://[^\"' )]+").matcher(html);
        while (urls.find()) assertEquals("http://www.w3.org/2000/svg", urls.group(), "only the SVG namespace");
        Matcher refs = Pattern.compile("url\\(([^)]*)\\)").matcher(html);
        while (refs.find()) assertTrue(refs.group(1).startsWith("#"), "url() only to the page's own markers: " + refs.group());
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + 1)) n++;
        return n;
    }
}
