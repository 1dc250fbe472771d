package org.panagrad.demo;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.io.AtomicFiles;
import org.panagrad.optim.TrainingStep;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "graph", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draws the compiled training step (forward, backward, update) as Graphviz DOT.",
                "Also as SVG when Graphviz's dot is installed. Forward edges are blue, backward edges red, updates"
                        + " green; each box shows its op and shapes."})
final class GraphCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "128",
            description = "Batch size the step is compiled for (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "momentum", converter = OptimizerChoice.Converter.class,
            completionCandidates = OptimizerChoice.CompiledCandidates.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    OptimizerChoice optimizer;

    @CommandLine.Mixin
    RunDirectory run;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = {"The DOT file; the SVG goes beside it.", "Default: train-step.dot in the run directory."})
    Path output;

    @Option(names = "--hvp", description = {"Also draw the Hessian-vector-product program (reverse over reverse).",
            "It goes into <output>-hvp.dot."})
    boolean hvp;

    @Option(names = "--no-svg", description = "Do not run dot, even when it is installed.")
    boolean noSvg;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        OptionRanges.atLeast("--batch", batch, 1);
        Model model = new Model(modelOptions.widths(), modelOptions.activation());
        optimizer.compiled(optimizer.defaultLearningRate); // a closure optimizer is refused before any work
        if (output == null) output = run.file("graph", "train-step.dot");
        run.make();
        try {
            OutputFiles.checkWritable("--output", output);
            if (!noSvg) OutputFiles.checkWritable("--output", output, withExtension(output, ".svg"));
            if (hvp) OutputFiles.checkWritable("--output", output, sibling(output, "-hvp"));
            OutputFiles.deleteStaleTemporaries(output, withExtension(output, ".svg"), sibling(output, "-hvp"),
                    withExtension(sibling(output, "-hvp"), ".svg"));
            return draw(model);
        } catch (RuntimeException | IOException | InterruptedException e) {
            run.removeIfEmpty();
            throw e;
        }
    }

    private Integer draw(Model model) throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        List<Path> written = new ArrayList<>();
        Model.Batch b = model.batch("train", batch);
        TrainingStep step = TrainingStep.compile(model.store, b.loss(), model.parameters(),
                optimizer.compiled(optimizer.defaultLearningRate), false);
        String title = "training step: " + Checkpoint.torchModule(model.mlp.widths(), model.mlp.activation())
                + ", batch " + batch + ", " + optimizer;
        written.addAll(write(output, GraphDot.render(title, step.program(), b.loss())));
        if (hvp) {
            Model.Batch hb = model.batch("hvp", batch);
            CurvatureProduct product = CurvatureProduct.compile(model.store, hb.loss(), model.parameters(),
                    CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
            written.addAll(write(sibling(output, "-hvp"), GraphDot.render("Hessian-vector product (reverse over reverse): "
                    + Checkpoint.torchModule(model.mlp.widths(), model.mlp.activation()) + ", batch " + batch,
                    product.program(), hb.loss())));
        }
        for (Path p : written) out.println("wrote " + p);
        if (!noSvg && !Graphviz.available()) out.println("Graphviz's dot is not installed: no SVG (install graphviz to get one)");
        out.flush();
        return 0;
    }

    private List<Path> write(Path dotFile, String dot) throws IOException, InterruptedException {
        byte[] bytes = dot.getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dotFile, o -> o.write(bytes));
        List<Path> files = new ArrayList<>(List.of(dotFile));
        if (!noSvg && Graphviz.available()) {
            Path svg = withExtension(dotFile, ".svg");
            Graphviz.renderSvg(bytes, svg);
            files.add(svg);
        }
        return files;
    }

    static Path withExtension(Path file, String extension) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return file.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + extension);
    }

    static Path sibling(Path file, String suffix) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return file.resolveSibling(dot > 0 ? name.substring(0, dot) + suffix + name.substring(dot) : name + suffix);
    }

    /** Runs Graphviz's {@code dot} when it is on the PATH. */
    static final class Graphviz {
        private Graphviz() {}

        static boolean available() {
            try {
                Process p = new ProcessBuilder("dot", "-V").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        /** Renders DOT to an SVG file, atomically: a failing dot leaves no file behind. */
        static void renderSvg(byte[] dot, Path svg) throws IOException, InterruptedException {
            Process p = new ProcessBuilder("dot", "-Tsvg").start();
            ByteArrayOutputStream errors = new ByteArrayOutputStream();
            Thread drainErrors = new Thread(() -> {
                try (InputStream e = p.getErrorStream()) {
                    e.transferTo(errors);
                } catch (IOException ignored) {
                    // the exit code reports the failure
                }
            });
            drainErrors.start();
            Thread feed = new Thread(() -> {
                try (var in = p.getOutputStream()) {
                    in.write(dot);
                } catch (IOException ignored) {
                    // dot died early; its exit code and stderr say why
                }
            });
            feed.start();
            byte[] image;
            try (InputStream in = p.getInputStream()) {
                image = in.readAllBytes();
            }
            int code = p.waitFor();
            feed.join();
            drainErrors.join();
            if (code != 0) {
                throw new IOException("dot -Tsvg failed (exit " + code + "): " + errors.toString(StandardCharsets.UTF_8).trim());
            }
            AtomicFiles.write(svg, o -> o.write(image));
        }
    }
}
