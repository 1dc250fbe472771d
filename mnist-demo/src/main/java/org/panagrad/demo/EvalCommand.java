package org.panagrad.demo;

import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Prints the test loss and accuracy of a checkpoint (ours or one PyTorch wrote).")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The model, in safetensors.")
    Path checkpoint;

    @CommandLine.Mixin
    DataOption data;

    @Option(names = "--model", paramLabel = "NAME", description = "The zoo model the checkpoint holds: ${COMPLETION-CANDIDATES}"
            + " (default: what its metadata records, else mlp).", completionCandidates = ModelOptions.ZooNames.class)
    String modelName;

    @Option(names = "--activation", paramLabel = "NAME",
            description = "relu, tanh or sigmoid, for a file whose metadata does not name one (as PyTorch's).")
    String activation;

    @Option(names = "--allow-other-data", description = "Evaluate even on other data than the checkpoint was trained on"
            + " (say Fashion-MNIST for an MNIST model), which is refused otherwise.")
    boolean allowOtherData;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for the kernels (default and most: the"
            + " processors available).")
    Integer threads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Threads.configure(threads, spec.commandLine().getErr());
        Activation given = activation != null ? Activation.parse(activation) : null;
        Checkpoint loaded = Checkpoint.load(checkpoint, given, modelName);
        loaded.checkActivationOption(checkpoint, given);
        loaded.requireFinite(checkpoint);
        Model model = loaded.toModel();
        Mnist mnist = data.load();
        if (!allowOtherData) {
            DataIdentity.of(mnist).check(loaded.metadata(), checkpoint, Path.of(data.describe()), false, "--allow-other-data");
        }
        if (mnist.test().pixelsPerImage() != model.inputWidth()) {
            throw new IllegalArgumentException(checkpoint + " takes " + model.inputWidth() + " inputs, but the test images have "
                    + mnist.test().pixelsPerImage() + " pixels");
        }
        long t0 = System.nanoTime();
        Evaluator.Result r = new Evaluator(model, mnist.test()).run();
        spec.commandLine().getOut().printf(Locale.ROOT, "%s: %s%ntest loss %.4f  test accuracy %.2f%% (%d images, %.2f s)%n",
                checkpoint, loaded.torchModule(), r.loss(), 100 * r.accuracy(),
                r.count(), (System.nanoTime() - t0) / 1e9);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
