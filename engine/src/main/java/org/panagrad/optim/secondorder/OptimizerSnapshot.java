package org.panagrad.optim.secondorder;

import org.panagrad.io.TensorData;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link ClosureOptimizer} carries from one step to the next, in the shape of a safetensors file: float
 * tensors, and scalars as strings (the file's metadata). Scalars that must survive bit for bit (the damping,
 * L-BFGS's 1/s'y) are written with {@link Double#toString}, which round-trips every double exactly.
 *
 * <p>The reading methods check what an optimizer restores and name the optimizer, the entry, what was expected
 * and what was found, so that a state of another optimizer or another model fails before anything is changed.
 *
 * @param optimizer the kind of optimizer that wrote it ({@link ClosureOptimizer#name()})
 */
public record OptimizerSnapshot(String optimizer, List<TensorData> tensors, Map<String, String> scalars) {
    public OptimizerSnapshot {
        tensors = List.copyOf(tensors);
        scalars = Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
        Set<String> seen = new HashSet<>();
        for (TensorData t : tensors) {
            if (!seen.add(t.name())) throw new IllegalArgumentException(optimizer + " state: two tensors named '" + t.name() + "'");
        }
    }

    /** Throws unless this state was written by an optimizer of kind {@code expected}. */
    public void requireOptimizer(String expected) {
        if (!optimizer.equals(expected)) {
            throw new IllegalArgumentException("cannot restore " + expected + " from the state of " + optimizer);
        }
    }

    /** Throws unless the tensors are exactly those named (a leftover would mean state this optimizer ignores). */
    public void requireTensorNames(String... expected) {
        List<String> found = tensors.stream().map(TensorData::name).sorted().toList();
        List<String> wanted = Arrays.stream(expected).sorted().toList();
        if (!found.equals(wanted)) {
            throw new IllegalArgumentException(optimizer + " state: expected the tensors " + wanted + ", found " + found);
        }
    }

    /** The data of tensor {@code name}, which must have exactly {@code shape} (held, not copied). */
    public float[] tensor(String name, int... shape) {
        for (TensorData t : tensors) {
            if (!t.name().equals(name)) continue;
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException(optimizer + " state: tensor '" + name + "' has shape "
                        + Arrays.toString(t.shape()) + "; expected " + Arrays.toString(shape));
            }
            return t.data();
        }
        throw new IllegalArgumentException(optimizer + " state: no tensor '" + name + "' (expected shape "
                + Arrays.toString(shape) + "); found " + tensors.stream().map(TensorData::name).toList());
    }

    /** The shape of tensor {@code name}, for tensors whose leading dimension varies (L-BFGS's history). */
    public int[] shapeOf(String name) {
        for (TensorData t : tensors) if (t.name().equals(name)) return t.shape().clone();
        throw new IllegalArgumentException(optimizer + " state: no tensor '" + name + "'; found "
                + tensors.stream().map(TensorData::name).toList());
    }

    /** A non-negative integer scalar: a step count, a number of stored pairs. */
    public long countScalar(String name) {
        String text = scalar(name);
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            value = -1;
        }
        if (value < 0) {
            throw new IllegalArgumentException(optimizer + " state: scalar '" + name + "' holds '" + text
                    + "'; expected a count (an integer >= 0)");
        }
        return value;
    }

    public double doubleScalar(String name) {
        return parseDouble(name, scalar(name));
    }

    /** A comma-separated list of doubles, of exactly {@code count} entries. */
    public double[] doubleList(String name, int count) {
        String text = scalar(name);
        String[] parts = text.isEmpty() ? new String[0] : text.split(",");
        if (parts.length != count) {
            throw new IllegalArgumentException(optimizer + " state: scalar '" + name + "' holds " + parts.length
                    + " values; expected " + count);
        }
        double[] values = new double[count];
        for (int i = 0; i < count; i++) values[i] = parseDouble(name, parts[i]);
        return values;
    }

    /** The text {@link #doubleList} reads: the values, comma-separated, each exact. */
    static String doubleListText(double[] values) {
        List<String> parts = new ArrayList<>(values.length);
        for (double v : values) parts.add(Double.toString(v));
        return String.join(",", parts);
    }

    private String scalar(String name) {
        String text = scalars.get(name);
        if (text == null) {
            throw new IllegalArgumentException(optimizer + " state: no scalar '" + name + "'; found " + scalars.keySet());
        }
        return text;
    }

    private double parseDouble(String name, String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(optimizer + " state: scalar '" + name + "' holds '" + text + "'; expected a number");
        }
    }
}
