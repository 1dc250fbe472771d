package org.panagrad.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor as stored in a file: row-major data with its shape, held as floats whatever the file's element
 * type ({@code dtype}, safetensors' spelling: "F32", or "I64" for a counter such as batch norm's
 * num_batches_tracked, whose values are whole numbers). The arrays are held, not copied, because parameter
 * tensors can be large; equality compares their contents.
 */
public record TensorData(String name, int[] shape, float[] data, String dtype) {
    /** A float32 tensor. */
    public TensorData(String name, int[] shape, float[] data) {
        this(name, shape, data, "F32");
    }

    public TensorData {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        long elements = 1;
        for (int dimension : shape) {
            if (dimension < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension in shape "
                        + Arrays.toString(shape));
            }
            // Capping at 2^31 (more than any array holds) keeps the product of int factors from overflowing.
            elements = Math.min(elements * dimension, 1L << 31);
        }
        if (elements != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + " but holds " + data.length + " values");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorData that && name.equals(that.name) && Arrays.equals(shape, that.shape)
                && Arrays.equals(data, that.data) && dtype.equals(that.dtype);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), Arrays.hashCode(data), dtype);
    }

    @Override
    public String toString() {
        return "TensorData[" + name + " " + Arrays.toString(shape) + (dtype.equals("F32") ? "" : " " + dtype) + "]";
    }
}
