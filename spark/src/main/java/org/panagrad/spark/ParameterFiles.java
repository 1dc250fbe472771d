package org.panagrad.spark;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.SafeTensorsFile;
import org.panagrad.io.TensorData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Flat parameter vectors saved as safetensors: one tensor per parameter, named and shaped as the engine's
 * model holds it, with the model spec and its fingerprint in the metadata, so that `hessian --checkpoint`
 * analyses exactly what `train --save` trained (written atomically by the engine's writer).
 */
public final class ParameterFiles {
    private static final String SPEC = "panagrad_spark_model", FINGERPRINT = "panagrad_spark_fingerprint";

    private ParameterFiles() {}

    public static void save(Path path, ModelSpec spec, float[] theta) throws IOException {
        List<TensorData> tensors = new ArrayList<>();
        int off = 0;
        for (Node p : parameters(spec)) {
            int n = p.shape().numel();
            tensors.add(new TensorData(p.name(), p.shape().dims(), Arrays.copyOfRange(theta, off, off + n)));
            off += n;
        }
        if (off != theta.length) {
            throw new IllegalArgumentException(spec + " has " + off + " parameters, got a vector of " + theta.length);
        }
        SafeTensors.write(path, tensors, Map.of(SPEC, spec.toString(), FINGERPRINT, Fingerprint.of(spec)));
    }

    /** Reads a file {@link #save} wrote for this spec; a file of another model fails naming both. */
    public static float[] load(Path path, ModelSpec spec) throws IOException {
        SafeTensorsFile file = SafeTensors.read(path);
        String saved = file.metadata().get(FINGERPRINT);
        if (!Fingerprint.of(spec).equals(saved)) {
            throw new IllegalArgumentException(path + " holds the parameters of " + file.metadata().getOrDefault(SPEC, "another model")
                    + " (fingerprint " + saved + "), not of " + spec + " (fingerprint " + Fingerprint.of(spec) + ")");
        }
        List<Node> params = parameters(spec);
        int total = 0;
        for (Node p : params) total += p.shape().numel();
        float[] theta = new float[total];
        int off = 0;
        for (Node p : params) {
            float[] data = file.tensor(p.name()).data();
            System.arraycopy(data, 0, theta, off, data.length);
            off += data.length;
        }
        return theta;
    }

    private static List<Node> parameters(ModelSpec spec) {
        return ModelZoo.build(spec, new Graph()).parameters();
    }
}
