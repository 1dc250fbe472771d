package org.panagrad.nn;

import org.panagrad.io.SafeTensors;
import org.panagrad.io.SafeTensorsFile;
import org.panagrad.io.TensorData;
import org.panagrad.runtime.ParameterStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A module's state dict as PyTorch's {@code model.state_dict()}: every {@link StateEntry} under its name, in
 * PyTorch's layout and dtype, so that a safetensors file written here loads with {@code load_state_dict(strict=True)}
 * and one PyTorch wrote loads here. Loading is strict too: a file whose tensors do not fit the module fails
 * before anything is changed, naming the first tensor that differs and both shapes.
 */
public final class StateDict {
    private StateDict() {}

    /** The module's state in PyTorch's names, layouts and dtypes, in state-dict order. */
    public static List<TensorData> tensors(Module module, ParameterStore store) {
        List<TensorData> out = new ArrayList<>();
        for (StateEntry e : module.state()) {
            out.add(new TensorData(e.name(), e.torchShape(), e.toTorch().apply(store.get(e.node()).clone()), e.dtype()));
        }
        return out;
    }

    /** Writes the module's state (atomically) with the metadata. */
    public static void save(Path file, Module module, ParameterStore store, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt"); // what safetensors.torch.save_file writes
        meta.putAll(metadata);
        SafeTensors.write(file, tensors(module, store), meta);
    }

    /** Reads a file into the module's state after checking every name and shape; returns the file's metadata. */
    public static Map<String, String> load(Path file, Module module, ParameterStore store, String modelName) throws IOException {
        SafeTensorsFile content = SafeTensors.read(file);
        String mismatch = firstMismatch(content.tensors(), module, modelName);
        if (mismatch != null) throw new IllegalArgumentException(file + " does not fit " + modelName + ": " + mismatch);
        assign(content.tensors(), module, store);
        return content.metadata();
    }

    /**
     * Why the tensors do not fit the module's state dict as load_state_dict(strict=True) would see it, for the
     * first tensor in state-dict order that differs (then the first unexpected one); null when they fit.
     */
    public static String firstMismatch(List<TensorData> tensors, Module module, String modelName) {
        Map<String, TensorData> byName = new LinkedHashMap<>();
        for (TensorData t : tensors) byName.put(t.name(), t);
        for (StateEntry e : module.state()) {
            TensorData t = byName.remove(e.name());
            if (t == null) {
                return "tensor '" + e.name() + "' " + Arrays.toString(e.torchShape()) + " of " + modelName + " is missing from the file";
            }
            if (!Arrays.equals(t.shape(), e.torchShape())) {
                return "tensor '" + e.name() + "' is " + Arrays.toString(t.shape()) + " in the file but "
                        + Arrays.toString(e.torchShape()) + " in " + modelName;
            }
        }
        if (!byName.isEmpty()) {
            TensorData t = byName.values().iterator().next();
            return "the file has tensor '" + t.name() + "' " + Arrays.toString(t.shape()) + ", which " + modelName + " does not";
        }
        return null;
    }

    /** Copies tensors that fit (see {@link #firstMismatch}) into the store, converting from PyTorch's layouts. */
    public static void assign(List<TensorData> tensors, Module module, ParameterStore store) {
        Map<String, TensorData> byName = new LinkedHashMap<>();
        for (TensorData t : tensors) byName.put(t.name(), t);
        for (StateEntry e : module.state()) store.set(e.node(), e.fromTorch().apply(byName.get(e.name()).data()));
    }
}
