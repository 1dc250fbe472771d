package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.zoo.Zoo;
import org.panagrad.onnx.OnnxExport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Exports a checkpoint's inference graph (images in, logits out) as an ONNX model.",
                "ONNX Runtime runs it and Netron opens it: opset " + OnnxExport.OPSET + ", a symbolic batch axis, the"
                        + " parameters as initializers named as in the checkpoint (0.weight, 0.bias, ...); any zoo model:"
                        + " batch norm with its running statistics, layer norm, GELU and attention as standard ops."})
final class ExportCommand implements Callable<Integer> {
    enum Format { onnx }

    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The model, in safetensors.")
    Path checkpoint;

    @Option(names = "--model", paramLabel = "NAME", description = "The zoo model the checkpoint holds: ${COMPLETION-CANDIDATES}"
            + " (default: what its metadata records, else mlp).", completionCandidates = ModelOptions.ZooNames.class)
    String model;

    @Option(names = "--format", paramLabel = "NAME", defaultValue = "onnx", description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    @CommandLine.Mixin
    RunDirectory run;

    @Option(names = "--out", paramLabel = "FILE",
            description = {"Where to write the model.", "Default: <checkpoint name>.onnx in the run directory."})
    Path out;

    @Option(names = "--activation", paramLabel = "NAME",
            description = "relu, tanh or sigmoid, for a checkpoint whose metadata does not say (as PyTorch's).")
    String activation;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (model != null && !Zoo.names().contains(model.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("--model " + model + " is not known; expected one of " + String.join(", ", Zoo.names()));
        }
        Activation given = activation != null ? Activation.parse(activation) : null;
        // Where the model goes is checked before any work, as every command checks its outputs.
        Path target = out != null ? out : run.file("export", GraphCommand.withExtension(checkpoint.getFileName(), ".onnx").toString());
        Model m = run.within(() -> {
            OutputFiles.checkWritable("--out", target);
            OutputFiles.deleteStaleTemporaries(target);
            Checkpoint loaded = Checkpoint.load(checkpoint, given, model != null ? model.toLowerCase(Locale.ROOT) : null);
            loaded.checkActivationOption(checkpoint, given);
            loaded.requireFinite(checkpoint);
            Model written = loaded.toModel();
            onnx(written).metadata("source", checkpoint.getFileName().toString()).write(target);
            return written;
        });
        StringBuilder input = new StringBuilder("[batch");
        for (int d : m.zoo.exampleShape()) input.append(", ").append(d);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: ONNX opset %d, %s, input 'input' %s] -> 'logits'"
                + " [batch, %d], %,d parameters%n", target, OnnxExport.OPSET, m.torchModule(), input, Mnist.CLASSES,
                m.parameterCount());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The model's evaluation forward pass, images to logits, its parameters as its state dict (Linear weights [out, in]). */
    static OnnxExport onnx(Model m) {
        return OnnxExport.module(m.graph, m.store, m.module, m.zoo.exampleShape())
                .graphName("mnist-demo " + (m.mlp != null ? Model.widthsText(m.mlp.widths()) : m.name()))
                .metadata("torch_module", m.torchModule());
    }
}
