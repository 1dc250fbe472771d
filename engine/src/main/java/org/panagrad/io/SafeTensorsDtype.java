package org.panagrad.io;

import java.nio.ByteBuffer;

/**
 * The safetensors element types Panagrad can read, each converted to float. F32 is written for every float
 * tensor, I64 for counters (batch norm's num_batches_tracked, an int64 in PyTorch).
 */
enum SafeTensorsDtype {
    F64(8) {
        @Override
        void decode(ByteBuffer source, float[] target, int offset, int count) {
            for (int i = 0; i < count; i++) {
                target[offset + i] = (float) source.getDouble();
            }
        }
    },
    F32(4) {
        @Override
        void decode(ByteBuffer source, float[] target, int offset, int count) {
            source.asFloatBuffer().get(target, offset, count);
            source.position(source.position() + count * 4);
        }
    },
    BF16(2) {
        @Override
        void decode(ByteBuffer source, float[] target, int offset, int count) {
            for (int i = 0; i < count; i++) {
                // bfloat16 is the upper half of a float32.
                target[offset + i] = Float.intBitsToFloat((source.getShort() & 0xFFFF) << 16);
            }
        }
    },
    I64(8) {
        @Override
        void decode(ByteBuffer source, float[] target, int offset, int count) {
            for (int i = 0; i < count; i++) {
                target[offset + i] = (float) source.getLong();
            }
        }
    },
    F16(2) {
        @Override
        void decode(ByteBuffer source, float[] target, int offset, int count) {
            for (int i = 0; i < count; i++) {
                target[offset + i] = halfToFloat(source.getShort());
            }
        }
    };

    final int bytes;

    SafeTensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /**
     * Converts {@code count} little-endian elements from {@code source} (starting at its position, which
     * advances) into {@code target[offset..]}.
     */
    abstract void decode(ByteBuffer source, float[] target, int offset, int count);

    /** The dtype spelled {@code name} in a header, or null if Panagrad cannot read it. */
    static SafeTensorsDtype named(String name) {
        for (SafeTensorsDtype dtype : values()) {
            if (dtype.name().equals(name)) {
                return dtype;
            }
        }
        return null;
    }

    /** IEEE 754 binary16 to float, exactly (every half value is a float). Float.float16ToFloat needs JDK 20. */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) { // infinity or NaN; the NaN payload moves to the top of the float mantissa
            return Float.intBitsToFloat(sign | 0x7F800000 | mantissa << 13);
        }
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | (exponent + 127 - 15) << 23 | mantissa << 13);
    }
}
