package org.panagrad.demo;

import org.panagrad.nn.Activation;
import org.panagrad.nn.Mlp;
import org.panagrad.nn.zoo.Zoo;
import org.panagrad.nn.zoo.ZooOptions;
import picocli.CommandLine.Option;

/** {@code --model}, {@code --layers} and {@code --activation}, for the commands that build a model. */
final class ModelOptions {
    static final String DEFAULT_LAYERS = "784-500-10";

    @Option(names = "--model", paramLabel = "NAME", description = "A model of the zoo: ${COMPLETION-CANDIDATES} (default: mlp;"
            + " a resumed run's is the one its checkpoint records).", completionCandidates = ZooNames.class)
    String model;

    /** The zoo's names, for the help text. */
    static final class ZooNames extends java.util.ArrayList<String> {
        private static final long serialVersionUID = 1L;

        ZooNames() {
            super(Zoo.names());
        }
    }

    /** A fresh model as the options describe it. */
    Model create() {
        return new Model(model != null ? model : "mlp", new ZooOptions(widths(), activation()));
    }

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
