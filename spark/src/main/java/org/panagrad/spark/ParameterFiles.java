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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flat parameter vectors saved as safetensors: one tensor per parameter and per buffer (batch norm's running
 * statistics), named and shaped as the engine's model holds it, with the model spec and its fingerprint in the
 * metadata, so that `hessian --checkpoint` analyses exactly what `train --save` trained, and with the optimizer's
 * state and the run's position ({@link TrainingState}), so that `train --resume` continues it exactly (written
 * atomically by the engine's writer).
 */
public final class ParameterFiles {
    private static final String SPEC = "panagrad_spark_model", FINGERPRINT = "panagrad_spark_fingerprint";

    private ParameterFiles() {}

    public static void save(Path path, ModelSpec spec, float[] theta, float[] buffers) throws IOException {
        save(path, spec, theta, buffers, null);
    }

    /**
     * The parameters, the buffers and, unless null, the {@link TrainingState} (optimizer state and the run's
     * position) that `train --resume` continues from, in one file written atomically, so that the three always
     * belong together.
     */
    public static void save(Path path, ModelSpec spec, float[] theta, float[] buffers, TrainingState state) throws IOException {
        Classifier model = ModelZoo.build(spec, new Graph());
        List<TensorData> tensors = new ArrayList<>();
        add(tensors, model.parameters(), theta, spec + " has %d parameters, got a vector of %d");
        add(tensors, model.buffers(), buffers, spec + " has %d buffer floats, got %d");
        Map<String, String> metadata = new LinkedHashMap<>(); // in a fixed order (Map.of's varies between JVMs): the same run, the same bytes
        metadata.put(SPEC, spec.toString());
        metadata.put(FINGERPRINT, Fingerprint.of(spec));
        if (state != null) state.writeInto(tensors, metadata);
        SafeTensors.write(path, tensors, metadata);
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

    /**
     * What one file holds, read once: the parameters, the buffers (running statistics) and the training state
     * (null for a file saved without one).
     */
    public record Checkpoint(Path path, float[] parameters, float[] buffers, TrainingState state) {
        /** The training state, failing naming the file when it holds none. */
        public TrainingState requireState() {
            if (state == null) {
                throw new IllegalArgumentException(path + " holds parameters but no optimizer state (written by `train --save` "
                        + "before it saved one): it can be analysed with `hessian --checkpoint`, not resumed");
            }
            return state;
        }
    }

    /** Everything a file {@link #save} wrote for this spec holds, from one read; a file of another model fails naming both. */
    public static Checkpoint loadCheckpoint(Path path, ModelSpec spec) throws IOException {
        SafeTensorsFile file = SafeTensors.read(path);
        String saved = file.metadata().get(FINGERPRINT);
        if (!Fingerprint.of(spec).equals(saved)) {
            throw new IllegalArgumentException(path + " holds the parameters of " + file.metadata().getOrDefault(SPEC, "another model")
                    + " (fingerprint " + saved + "), not of " + spec + " (fingerprint " + Fingerprint.of(spec) + ")");
        }
        Classifier model = ModelZoo.build(spec, new Graph());
        return new Checkpoint(path, flat(file, model.parameters()), flat(file, model.buffers()),
                TrainingState.readFrom(path.toString(), file.tensors(), file.metadata()));
    }

    /** The parameters of a file {@link #save} wrote for this spec. */
    public static float[] load(Path path, ModelSpec spec) throws IOException {
        return loadCheckpoint(path, spec).parameters();
    }

    /** The buffers (running statistics) of a file {@link #save} wrote for this spec. */
    public static float[] loadBuffers(Path path, ModelSpec spec) throws IOException {
        return loadCheckpoint(path, spec).buffers();
    }

    /** The training state of a file {@link #save} wrote for this spec; fails naming the file if it holds none. */
    public static TrainingState loadState(Path path, ModelSpec spec) throws IOException {
        return loadCheckpoint(path, spec).requireState();
    }

    private static float[] flat(SafeTensorsFile file, List<Node> params) {
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
