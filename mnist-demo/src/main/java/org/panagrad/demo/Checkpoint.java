package org.panagrad.demo;

import org.panagrad.graph.Node;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.SafeTensorsFile;
import org.panagrad.io.TensorData;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Linear;
import org.panagrad.nn.StateDict;
import org.panagrad.nn.zoo.ZooOptions;
import org.panagrad.optim.Optimizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model checkpoints in safetensors, the state dict of the zoo model (named in the metadata, {@code model}) in
 * PyTorch's names, layouts and dtypes ({@link StateDict}): for an MLP, as PyTorch's {@code nn.Sequential(Linear, act,
 * Linear, ...)} state dict: {@code 0.weight} [out, in], {@code 0.bias} [out], {@code 2.weight}, ..., F32
 * little-endian, so {@code model.load_state_dict(safetensors.torch.load_file(path))} needs no conversion.
 * (Our {@link Linear} keeps its weight as [in, out]; saving and loading transpose it.)
 * The widths and the activation are also in the metadata; a file PyTorch wrote has only the tensors, and
 * the widths then come from their shapes and the activation from the caller.
 *
 * <p>The optimizer's state (momentum buffers, Adam moments, a closure optimizer's snapshot) would break
 * {@code load_state_dict}'s strict key check, so it goes to a sidecar file next to the model, tagged with the
 * optimizer's name and the step, which the model file names in its metadata ({@link #OPTIMIZER_STATE}):
 * {@link CheckpointFiles} writes the sidecar first and the model last, so the two never disagree.
 */
record Checkpoint(int[] widths, Activation activation, List<TensorData> tensors, Map<String, String> metadata,
                  String model) {
    /** The zoo name of the model ("mlp" when absent, as in files written before the zoo). */
    static final String MODEL = "model";
    static final String WIDTHS = "widths";
    static final String ACTIVATION = "activation";
    static final String EPOCH = "epoch";
    static final String BATCH = "batch_in_epoch";
    static final String STEP = "step";
    /** In the optimizer sidecar: the --optimizer that wrote it. */
    static final String OPTIMIZER = "optimizer";
    /** In the model file: the optimizer, learning rate, schedule and weight decay, as the run's opening line reads. */
    static final String SCHEDULE = "lr_schedule";
    /** In the optimizer sidecar: how the state of a weight is laid out (the model file is always PyTorch's). */
    static final String LAYOUT = "weight_layout";
    static final String WEIGHTS_IN_OUT = "in_out";
    /** In the model file: the name of the file beside it that holds the optimizer's state for this model. */
    static final String OPTIMIZER_STATE = "optimizer_state";
    static final String SEED = "seed";
    static final String BATCH_SIZE = "batch_size";
    static final String SAMPLES = "samples";
    static final String SKIPPED = "skipped_steps";

    /** Writes the model's parameters (atomically) with the training position in the metadata. */
    static void save(Path file, Model model, Map<String, String> extraMetadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(MODEL, model.name());
        if (model.mlp != null) {
            meta.put(WIDTHS, Model.widthsText(model.mlp.widths()));
            meta.put(ACTIVATION, model.mlp.activation().name().toLowerCase(java.util.Locale.ROOT));
        }
        meta.put("torch_module", model.torchModule());
        meta.putAll(extraMetadata);
        StateDict.save(file, model.module, model.store, meta);
    }

    /** Writes a first-order optimizer's state variables to {@code sidecar}. */
    static void saveOptimizer(Path sidecar, Model model, String name, Optimizer optimizer) throws IOException {
        List<TensorData> tensors = new ArrayList<>();
        for (Node v : optimizer.stateVariables()) tensors.add(tensor(model, v));
        saveOptimizer(sidecar, name, optimizer.stepCount(), tensors, Map.of());
    }

    /**
     * Restores a first-order optimizer's state variables from {@code sidecar} if it holds them at the checkpoint's
     * step; returns whether it did (otherwise the moments start from zero).
     */
    static boolean loadOptimizer(Path sidecar, long step, Model model, String name, Optimizer optimizer) throws IOException {
        SafeTensorsFile file = readOptimizer(sidecar, name, step);
        if (file == null) return false;
        List<TensorData> present = file.tensors();
        for (Node v : optimizer.stateVariables()) {
            TensorData t = present.stream().filter(d -> d.name().equals(v.name())).findFirst().orElse(null);
            if (t == null || !Arrays.equals(t.shape(), v.shape().dims())) return false; // an older sidecar, or another model's
        }
        for (Node v : optimizer.stateVariables()) model.store.set(v, file.tensor(v.name()).data());
        return true;
    }

    /**
     * Writes an optimizer's state (atomically) to {@code sidecar}, tagged with the optimizer's name and the step it
     * was taken at; {@code scalars} go into the metadata beside the two tags.
     */
    static void saveOptimizer(Path sidecar, String name, long step, List<TensorData> tensors, Map<String, String> scalars)
            throws IOException {
        if (scalars.containsKey(OPTIMIZER) || scalars.containsKey(STEP) || scalars.containsKey(LAYOUT)) {
            throw new IllegalArgumentException("optimizer scalars " + scalars.keySet() + " would overwrite the tags '"
                    + OPTIMIZER + "', '" + STEP + "' and '" + LAYOUT + "'");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(OPTIMIZER, name);
        meta.put(STEP, Long.toString(step));
        meta.put(LAYOUT, WEIGHTS_IN_OUT);
        meta.putAll(scalars);
        SafeTensors.write(sidecar, tensors, meta);
    }

    /**
     * The optimizer state in {@code sidecar} at {@code step}, its metadata without the tags; null when there is none
     * for that step (no sidecar, as beside a file PyTorch wrote, or an old one). A sidecar of another optimizer is an
     * error: its state cannot continue this one.
     */
    static SafeTensorsFile readOptimizer(Path sidecar, String name, long step) throws IOException {
        if (sidecar == null || !Files.exists(sidecar)) return null;
        SafeTensorsFile file = SafeTensors.read(sidecar);
        String writer = file.metadata().get(OPTIMIZER);
        if (writer != null && !writer.equals(name)) {
            throw new CheckpointException(sidecar, "holds the state of --optimizer " + writer + ", but this run uses"
                    + " --optimizer " + name + "; resume with --optimizer " + writer);
        }
        if (!Long.toString(step).equals(file.metadata().get(STEP))) return null;
        // Written before weights were [in, out]: its state is laid out like the transposed weights.
        if (!WEIGHTS_IN_OUT.equals(file.metadata().get(LAYOUT))) return null;
        Map<String, String> scalars = new LinkedHashMap<>(file.metadata());
        scalars.remove(OPTIMIZER);
        scalars.remove(STEP);
        scalars.remove(LAYOUT);
        return new SafeTensorsFile(file.tensors(), scalars);
    }

    /** Where the optimizer state of the model in {@code modelFile} is, read from its metadata. */
    static Path optimizerState(Path modelFile) throws IOException {
        return optimizerState(modelFile, SafeTensors.readMetadata(modelFile));
    }

    /**
     * Where the optimizer state of the model in {@code modelFile} is: the file its metadata names, or for a
     * checkpoint written before the model named it, the one fixed name beside it then used.
     */
    static Path optimizerState(Path modelFile, Map<String, String> metadata) {
        String named = metadata.get(OPTIMIZER_STATE);
        if (named != null) {
            Path p = Path.of(named);
            if (p.getNameCount() != 1 || p.isAbsolute()) {
                throw new CheckpointException(modelFile, "metadata '" + OPTIMIZER_STATE + "' is '" + named
                        + "'; expected a file name beside it");
            }
            return modelFile.resolveSibling(named);
        }
        return modelFile.resolveSibling(CheckpointFiles.stem(modelFile) + ".optimizer.safetensors");
    }

    private static TensorData tensor(Model model, Node v) {
        return new TensorData(v.name(), v.shape().dims(), model.store.get(v).clone());
    }

    /**
     * Reads a checkpoint. The activation comes from {@code activationOverride} when given, else from the
     * metadata; the widths from the tensor shapes, which must chain: each layer's input width is the
     * previous layer's output width.
     */
    static Checkpoint load(Path file, Activation activationOverride) throws IOException {
        return load(file, activationOverride, null);
    }

    /**
     * Reads a checkpoint of the zoo model {@code modelOverride}, or of the one its metadata names (an MLP when it
     * names none, as a file PyTorch wrote). A zoo model's file must hold exactly its state dict: otherwise this
     * fails naming the first tensor that differs and both shapes.
     */
    static Checkpoint load(Path file, Activation activationOverride, String modelOverride) throws IOException {
        SafeTensorsFile content = SafeTensors.read(file);
        String name = modelOverride != null ? modelOverride : content.metadata().getOrDefault(MODEL, "mlp");
        if (!name.equals("mlp")) {
            Model shape = new Model(name, ZooOptions.DEFAULT);
            String mismatch = StateDict.firstMismatch(content.tensors(), shape.module, name);
            if (mismatch != null) throw new CheckpointException(file, "does not fit --model " + name + ": " + mismatch);
            return new Checkpoint(null, null, content.tensors(), content.metadata(), name);
        }
        Map<String, TensorData> byName = new LinkedHashMap<>();
        for (TensorData t : content.tensors()) byName.put(t.name(), t);
        List<Integer> widths = new ArrayList<>();
        List<TensorData> ordered = new ArrayList<>();
        for (int layer = 0; byName.containsKey(layer * 2 + ".weight"); layer++) {
            TensorData w = byName.remove(layer * 2 + ".weight");
            TensorData b = byName.remove(layer * 2 + ".bias");
            if (w.shape().length != 2) {
                throw new CheckpointException(file, "tensor '" + w.name() + "' has shape " + Arrays.toString(w.shape())
                        + "; expected a Linear weight of shape [out, in]");
            }
            int out = w.shape()[0], in = w.shape()[1];
            if (layer == 0) {
                widths.add(in);
            } else if (in != widths.get(widths.size() - 1)) {
                throw new CheckpointException(file, "tensor '" + w.name() + "' has shape " + Arrays.toString(w.shape())
                        + ", but the previous layer has " + widths.get(widths.size() - 1) + " outputs; expected ["
                        + out + ", " + widths.get(widths.size() - 1) + "]");
            }
            if (b == null) {
                throw new CheckpointException(file, "tensor '" + (layer * 2) + ".bias' is missing; expected shape [" + out + "]");
            }
            if (b.shape().length != 1 || b.shape()[0] != out) {
                throw new CheckpointException(file, "tensor '" + b.name() + "' has shape " + Arrays.toString(b.shape())
                        + "; expected [" + out + "]");
            }
            widths.add(out);
            ordered.add(w);
            ordered.add(b);
        }
        if (ordered.isEmpty() || !byName.isEmpty()) {
            throw new CheckpointException(file, "expected the tensors of nn.Sequential(Linear, activation, Linear, ...):"
                    + " 0.weight, 0.bias, 2.weight, 2.bias, ...; "
                    + (ordered.isEmpty() ? "found " + content.tensors().stream().map(TensorData::name).toList()
                    : "found unexpected " + byName.keySet()));
        }
        int[] w = widths.stream().mapToInt(Integer::intValue).toArray();
        Activation activation = activationOverride != null ? activationOverride : recordedActivation(file, content.metadata());
        if (activation == null) {
            throw new CheckpointException(file, "the metadata does not name the activation (a file written by PyTorch"
                    + " holds only tensors); pass --activation relu, tanh or sigmoid");
        }
        return new Checkpoint(w, activation, ordered, content.metadata(), "mlp");
    }

    /** A model with this checkpoint's weights. */
    Model toModel() {
        Model model = widths != null ? new Model(widths, activation) : new Model(this.model, ZooOptions.DEFAULT);
        StateDict.assign(tensors, model.module, model.store);
        return model;
    }

    /** Copies the weights into a model of the same widths. */
    void copyInto(Model model, Path file) {
        if (!this.model.equals(model.name())) {
            throw new CheckpointException(file, "holds a " + this.model + " model, but --model is " + model.name());
        }
        if (model.mlp != null && !Arrays.equals(widths, model.mlp.widths())) {
            throw new CheckpointException(file, "holds a " + Model.widthsText(widths) + " model, but --layers is "
                    + Model.widthsText(model.mlp.widths()));
        }
        StateDict.assign(tensors, model.module, model.store);
    }

    /** PyTorch's repr of the checkpoint's model. */
    String torchModule() {
        return widths != null ? torchModule(widths, activation) : new Model(model, ZooOptions.DEFAULT).torchModule();
    }

    /** The activation the file's metadata names, or null (a file PyTorch wrote). */
    Activation recordedActivation(Path file) {
        return recordedActivation(file, metadata);
    }

    private static Activation recordedActivation(Path file, Map<String, String> metadata) {
        String stored = metadata.get(ACTIVATION);
        if (stored == null) return null;
        try {
            return Activation.parse(stored);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, "metadata '" + ACTIVATION + "' is '" + stored
                    + "'; expected relu, tanh or sigmoid (or pass --activation)");
        }
    }

    /**
     * For eval and hessian, which read a model as it is: {@code --activation} is only for a file that does not
     * record one, and may not contradict one that does.
     */
    void checkActivationOption(Path file, Activation given) {
        Activation recorded = recordedActivation(file);
        if (given != null && recorded != null && given != recorded) {
            throw new IllegalArgumentException("--activation " + given.name().toLowerCase(java.util.Locale.ROOT)
                    + " contradicts " + file + ", which records " + recorded.name().toLowerCase(java.util.Locale.ROOT)
                    + "; leave --activation out (it is for files whose metadata does not name one, as PyTorch's)");
        }
    }

    /** Refuses weights holding NaN or infinity: a model that diverged evaluates to nonsense. */
    void requireFinite(Path file) {
        for (TensorData t : tensors) {
            float[] v = t.data();
            int bad = 0, first = -1;
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    if (bad++ == 0) first = i;
                }
            }
            if (bad > 0) {
                throw new CheckpointException(file, "tensor '" + t.name() + "' holds " + v[first] + " at index " + first
                        + (bad > 1 ? " (and " + (bad - 1) + " more non-finite values)" : "") + ": the model diverged"
                        + " while training; use an earlier checkpoint");
            }
        }
    }

    /** A number the metadata records, or null when it does not (or not as a number). */
    Long recordedLong(String key) {
        String v = metadata.get(key);
        if (v == null) return null;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    long metadataLong(String key, long fallback) {
        Long v = recordedLong(key);
        return v != null ? v : fallback;
    }

    /** "Sequential(Linear(784, 500), ReLU(), Linear(500, 10))", for people reading the metadata. */
    static String torchModule(int[] widths, Activation activation) {
        StringBuilder s = new StringBuilder("Sequential(");
        for (int i = 0; i + 1 < widths.length; i++) {
            if (i > 0) s.append(", ").append(activation.torchName()).append("(), ");
            s.append("Linear(").append(widths[i]).append(", ").append(widths[i + 1]).append(")");
        }
        return s.append(")").toString();
    }
}
