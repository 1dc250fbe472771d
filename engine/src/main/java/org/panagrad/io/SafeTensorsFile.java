package org.panagrad.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * What a safetensors file holds: its tensors in the order the header lists them, and the free-form string
 * metadata of its {@code __metadata__} entry (empty if absent).
 */
public record SafeTensorsFile(List<TensorData> tensors, Map<String, String> metadata) {
    public SafeTensorsFile {
        tensors = List.copyOf(tensors);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata)); // keeps the file's order
    }

    /** The tensor called {@code name}. */
    public TensorData tensor(String name) {
        for (TensorData tensor : tensors) {
            if (tensor.name().equals(name)) {
                return tensor;
            }
        }
        throw new NoSuchElementException("no tensor '" + name + "'; the file holds "
                + tensors.stream().map(TensorData::name).toList());
    }
}
