package org.panagrad.onnx;

import org.panagrad.graph.Node;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's forward pass at one batch size, as an export sees it: its input and output nodes, in order, under
 * the names the exported graph gives them ("input", "logits").
 */
public record Signature(Map<String, Node> inputs, Map<String, Node> outputs) {
    public Signature {
        if (inputs.isEmpty() || outputs.isEmpty()) throw new IllegalArgumentException("a model needs inputs and outputs");
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** One input and one output. */
    public static Signature of(String inputName, Node input, String outputName, Node output) {
        return new Signature(Map.of(inputName, input), Map.of(outputName, output));
    }

    /** Builds a model's forward pass for a batch size, in the graph that holds its parameters. */
    @FunctionalInterface
    public interface Builder {
        Signature build(int batch);
    }
}
