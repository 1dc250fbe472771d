package org.panagrad.demo;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.demo.report.GraphPicture;
import org.panagrad.demo.report.GraphSvg;
import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "graph", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draws the compiled training step (forward, backward, update) as Graphviz DOT and as SVG.",
                "The SVG is laid out by Graphviz's dot when it is installed, else by Panagrad. Forward edges are blue,"
                        + " backward red, updates green (the tangent passes of --hvp purple and orange); each box shows"
                        + " its op and shapes, outputs have a thick border, and a legend says which is which."})
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
        Model model = modelOptions.create();
        optimizer.compiled(optimizer.defaultLearningRate); // a closure optimizer is refused before any work
        if (output == null) output = run.file("graph", "train-step.dot");
        return run.within(() -> {
            OutputFiles.checkWritable("--output", output);
            if (!noSvg) OutputFiles.checkWritable("--output", output, withExtension(output, ".svg"));
            if (hvp) OutputFiles.checkWritable("--output", output, sibling(output, "-hvp"));
            OutputFiles.deleteStaleTemporaries(output, withExtension(output, ".svg"), sibling(output, "-hvp"),
                    withExtension(sibling(output, "-hvp"), ".svg"));
            return draw(model);
        });
    }

    private Integer draw(Model model) throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        List<Path> written = new ArrayList<>();
        Model.Batch b = model.trainingBatch("train", batch);
        TrainingStep step = TrainingStep.compile(model.store, b.loss(), model.parameters(),
                optimizer.compiled(optimizer.defaultLearningRate), false, b.stateUpdates());
        String title = "training step: " + model.torchModule()
                + ", batch " + batch + ", " + optimizer;
        written.addAll(write(output, ProgramPicture.of(title, step.program(), b.loss(), Set.of())));
        if (hvp) {
            Model.Batch hb = model.batch("hvp", batch);
            CurvatureProduct product = CurvatureProduct.compile(model.store, hb.loss(), model.parameters(),
                    CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
            Set<Node> tangents = new HashSet<>();
            for (Node n : product.program().instructionNodes()) {
                for (Node in : n.inputs()) {
                    if (in.op().storage() == Storage.INPUT && in != hb.images() && in != hb.labels()) tangents.add(in);
                }
            }
            written.addAll(write(sibling(output, "-hvp"), ProgramPicture.of("Hessian-vector product (reverse over reverse): "
                    + model.torchModule() + ", batch " + batch,
                    product.program(), hb.loss(), tangents)));
        }
        for (Path p : written) out.println("wrote " + p);
        if (!noSvg && !Graphviz.available()) out.println("Graphviz's dot is not installed: the SVG was laid out by Panagrad");
        out.flush();
        return 0;
    }

    /** The DOT file, and the SVG: drawn by Graphviz when it is installed, else by our own layout. */
    private List<Path> write(Path dotFile, GraphPicture picture) throws IOException, InterruptedException {
        byte[] bytes = GraphDot.render(picture).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dotFile, o -> o.write(bytes));
        List<Path> files = new ArrayList<>(List.of(dotFile));
        if (!noSvg) {
            Path svg = withExtension(dotFile, ".svg");
            if (Graphviz.available()) {
                Graphviz.renderSvg(bytes, svg);
            } else {
                byte[] drawn = GraphSvg.render(picture, "panagrad-graph").getBytes(StandardCharsets.UTF_8);
                AtomicFiles.write(svg, o -> o.write(drawn));
            }
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
