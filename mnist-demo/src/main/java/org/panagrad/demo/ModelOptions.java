package org.panagrad.demo;

import org.panagrad.nn.Activation;
import org.panagrad.nn.Mlp;
import picocli.CommandLine.Option;

/** {@code --layers} and {@code --activation}, for the commands that build a model. */
final class ModelOptions {
    static final String DEFAULT_LAYERS = "784-500-10";

    @Option(names = "--layers", paramLabel = "W-W-...", description = "Layer widths, input first (default: " + DEFAULT_LAYERS + ").")
    String layers;

    @Option(names = "--activation", paramLabel = "NAME", description = "relu, tanh or sigmoid (default: relu).")
    String activation;

    int[] widths() {
        return Mlp.parseWidths(layers != null ? layers : DEFAULT_LAYERS);
    }

    Activation activation() {
        return activation != null ? Activation.parse(activation) : Activation.RELU;
    }

    /** The activation asked for, or null to take a checkpoint's. */
    Activation activationOrNull() {
        return activation != null ? Activation.parse(activation) : null;
    }
}
