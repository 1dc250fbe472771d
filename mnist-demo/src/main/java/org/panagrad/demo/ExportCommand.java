package org.panagrad.demo;

import org.panagrad.nn.Activation;
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
                        + " parameters as initializers named as in the checkpoint (0.weight, 0.bias, ...)."})
final class ExportCommand implements Callable<Integer> {
    enum Format { onnx }

    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The model, in safetensors.")
    Path checkpoint;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "mlp",
            description = "The architecture the checkpoint holds: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = ModelNames.class)
    String model;

    @Option(names = "--format", paramLabel = "NAME", defaultValue = "onnx", description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--out", paramLabel = "FILE",
            description = {"Where to write the model.", "Default: beside the checkpoint, under its name with the ONNX extension."})
    Path out;

    @Option(names = "--activation", paramLabel = "NAME",
            description = "relu, tanh or sigmoid, for a checkpoint whose metadata does not say (as PyTorch's).")
    String activation;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The architectures export knows; the model zoo's join as they land. */
    static final class ModelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.List.of("mlp").iterator();
        }
    }

    @Override
    public Integer call() throws IOException {
        if (!model.toLowerCase(Locale.ROOT).equals("mlp")) {
            throw new IllegalArgumentException("--model " + model + " is not known; expected one of " + String.join(", ", new ModelNames()));
        }
        Activation given = activation != null ? Activation.parse(activation) : null;
        Path target = out != null ? out : GraphCommand.withExtension(checkpoint, ".onnx");
        OutputFiles.checkWritable("--out", target);
        OutputFiles.deleteStaleTemporaries(target);
        Checkpoint loaded = Checkpoint.load(checkpoint, given);
        loaded.checkActivationOption(checkpoint, given);
        loaded.requireFinite(checkpoint);
        Model m = loaded.toModel();
        onnx(m).metadata("source", checkpoint.getFileName().toString()).write(target);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: ONNX opset %d, %s, input 'input' [batch, %d] -> 'logits'"
                + " [batch, %d], %,d parameters%n", target, OnnxExport.OPSET, Checkpoint.torchModule(loaded.widths(),
                loaded.activation()), m.inputWidth(), loaded.widths()[loaded.widths().length - 1], m.mlp.parameterCount());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The model's forward pass, images to logits, its parameters as its state dict (Linear weights [out, in]). */
    static OnnxExport onnx(Model m) {
        return OnnxExport.module(m.graph, m.store, m.mlp, m.inputWidth())
                .graphName("mnist-demo " + Model.widthsText(m.mlp.widths()))
                .metadata("torch_module", Checkpoint.torchModule(m.mlp.widths(), m.mlp.activation()));
    }
}
