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
 * Flat parameter vectors saved as safetensors: one tensor per parameter and per buffer (batch norm's running
 * statistics), named and shaped as the engine's model holds it, with the model spec and its fingerprint in the
 * metadata, so that `hessian --checkpoint` analyses exactly what `train --save` trained (written atomically by the
 * engine's writer).
 */
public final class ParameterFiles {
    private static final String SPEC = "panagrad_spark_model", FINGERPRINT = "panagrad_spark_fingerprint";

    private ParameterFiles() {}

    public static void save(Path path, ModelSpec spec, float[] theta, float[] buffers) throws IOException {
        Classifier model = ModelZoo.build(spec, new Graph());
        List<TensorData> tensors = new ArrayList<>();
        add(tensors, model.parameters(), theta, spec + " has %d parameters, got a vector of %d");
        add(tensors, model.buffers(), buffers, spec + " has %d buffer floats, got %d");
        SafeTensors.write(path, tensors, Map.of(SPEC, spec.toString(), FINGERPRINT, Fingerprint.of(spec)));
    }

    private static void add(List<TensorData> tensors, List<Node> nodes, float[] flat, String mismatch) {
        int off = 0;
        for (Node p : nodes) {
            int n = p.shape().numel();
            if (off + n <= flat.length) tensors.add(new TensorData(p.name(), p.shape().dims(), Arrays.copyOfRange(flat, off, off + n)));
            off += n;
        }
        if (off != flat.length) throw new IllegalArgumentException(String.format(mismatch, off, flat.length));
    }

    /** The parameters of a file {@link #save} wrote for this spec; a file of another model fails naming both. */
    public static float[] load(Path path, ModelSpec spec) throws IOException {
        return read(path, spec, ModelZoo.build(spec, new Graph()).parameters());
    }

    /** The buffers (running statistics) of a file {@link #save} wrote for this spec. */
    public static float[] loadBuffers(Path path, ModelSpec spec) throws IOException {
        return read(path, spec, ModelZoo.build(spec, new Graph()).buffers());
    }

    private static float[] read(Path path, ModelSpec spec, List<Node> params) throws IOException {
        SafeTensorsFile file = SafeTensors.read(path);
        String saved = file.metadata().get(FINGERPRINT);
        if (!Fingerprint.of(spec).equals(saved)) {
            throw new IllegalArgumentException(path + " holds the parameters of " + file.metadata().getOrDefault(SPEC, "another model")
                    + " (fingerprint " + saved + "), not of " + spec + " (fingerprint " + Fingerprint.of(spec) + ")");
        }
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
}
