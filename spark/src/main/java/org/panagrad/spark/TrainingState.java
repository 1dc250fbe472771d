package org.panagrad.spark;

import org.panagrad.io.TensorData;
import org.panagrad.optim.secondorder.OptimizerSnapshot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a training checkpoint holds besides the parameters and running statistics, so that a resumed run continues
 * exactly where the saved one stopped: the optimizer's state (SGD's momentum, Adam's moments and step count,
 * L-BFGS's (s, y) history, Newton-CG's damping) and the run's position and settings ({@code run}: epochs or
 * iterations done, and whatever fixes the trajectory, such as the batch, the seed and the partitions). In the file
 * the optimizer's tensors are named {@code optimizer.NAME}, its scalars and the run's entries sit in the metadata
 * under {@link #OPTIMIZER}, {@code OPTIMIZER.NAME} and {@code RUN.NAME}.
 */
public record TrainingState(OptimizerSnapshot optimizer, Map<String, String> run, String source) {
    static final String OPTIMIZER = "panagrad_spark_optimizer", RUN = "panagrad_spark_run", TENSOR = "optimizer.";

    public TrainingState {
        run = java.util.Collections.unmodifiableMap(new TreeMap<>(run));
    }

    /** A state to save; {@link ParameterFiles} reads one back with the file's path as its {@code source}. */
    public TrainingState(OptimizerSnapshot optimizer, Map<String, String> run) {
        this(optimizer, run, null);
    }

    /** The run's entry {@code key}, failing with the file, the key and what the file holds when it is missing. */
    public String get(String key) {
        String v = run.get(key);
        if (v == null) throw new IllegalArgumentException(where() + ": the run has no '" + key + "'; it holds " + run);
        return v;
    }

    /** The run's entry {@code key} as a count (epochs or iterations done), failing with the file and key unless it is one. */
    public int count(String key) {
        String v = get(key);
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(where() + ": the run's '" + key + "' is '" + v + "', not a count (a whole number >= 0)");
    }

    /**
     * Throws unless every entry of {@code settings} equals the saved one: a run resumed with another batch, seed,
     * partitioning, history or data set would not continue the saved trajectory. The message names the file and
     * each difference.
     */
    public void requireSame(Map<String, String> settings) {
        List<String> differ = new ArrayList<>();
        settings.forEach((k, v) -> {
            String saved = run.get(k);
            if (saved == null) differ.add(k + " not in the file (saved by an older version) vs " + v + " (now)");
            else if (!v.equals(saved)) differ.add(k + " " + saved + " (saved) vs " + v + " (now)");
        });
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException("cannot resume " + where() + ": it was trained with other settings: " + String.join(", ", differ));
        }
    }

    private String where() {
        return source == null ? "the checkpoint" : source;
    }

    void writeInto(List<TensorData> tensors, Map<String, String> metadata) {
        for (TensorData t : optimizer.tensors()) tensors.add(new TensorData(TENSOR + t.name(), t.shape(), t.data()));
        metadata.put(OPTIMIZER, optimizer.optimizer());
        optimizer.scalars().forEach((k, v) -> metadata.put(OPTIMIZER + "." + k, v));
        run.forEach((k, v) -> metadata.put(RUN + "." + k, v));
    }

    /** The state in the tensors and metadata of file {@code source}, or null when it holds none (parameters only). */
    static TrainingState readFrom(String source, List<TensorData> tensors, Map<String, String> metadata) {
        String name = metadata.get(OPTIMIZER);
        if (name == null) return null;
        List<TensorData> state = new ArrayList<>();
        for (TensorData t : tensors) {
            if (t.name().startsWith(TENSOR)) state.add(new TensorData(t.name().substring(TENSOR.length()), t.shape(), t.data()));
        }
        Map<String, String> scalars = new LinkedHashMap<>(), run = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (k.startsWith(OPTIMIZER + ".")) scalars.put(k.substring(OPTIMIZER.length() + 1), v);
            if (k.startsWith(RUN + ".")) run.put(k.substring(RUN.length() + 1), v);
        });
        return new TrainingState(new OptimizerSnapshot(name, state, scalars), run, source);
    }
}
