package org.panagrad.io;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one Protocol Buffers message in memory, field by field, in the wire format of the protobuf
 * encoding specification: a tag (field number and wire type) before each value, varints for integers,
 * little-endian fixed32/fixed64 for floats and doubles, and a length before strings, bytes, packed arrays
 * and nested messages. What ONNX models and TensorBoard events need, without generated classes.
 */
public final class ProtoWriter {
    private static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private byte[] bytes = new byte[64];
    private int size;

    /** An int32, int64, uint64, bool or enum field. Negative values take ten bytes, as the format sign-extends them. */
    public ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    public ProtoWriter bool(int field, boolean value) {
        return varint(field, value ? 1 : 0);
    }

    public ProtoWriter float32(int field, float value) {
        tag(field, FIXED32);
        rawFixed32(Float.floatToRawIntBits(value));
        return this;
    }

    public ProtoWriter float64(int field, double value) {
        tag(field, FIXED64);
        rawFixed64(Double.doubleToRawLongBits(value));
        return this;
    }

    public ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    public ProtoWriter bytes(int field, byte[] value) {
        return lengthDelimited(field, value, 0, value.length);
    }

    /** A nested message. */
    public ProtoWriter message(int field, ProtoWriter message) {
        return lengthDelimited(field, message.bytes, 0, message.size);
    }

    /** A packed repeated double field. */
    public ProtoWriter packedDoubles(int field, double[] values) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(8L * values.length);
        for (double v : values) rawFixed64(Double.doubleToRawLongBits(v));
        return this;
    }

    /** A packed repeated int32/int64 field. */
    public ProtoWriter packedVarints(int field, long[] values) {
        ProtoWriter body = new ProtoWriter();
        for (long v : values) body.rawVarint(v);
        return lengthDelimited(field, body.bytes, 0, body.size);
    }

    /** The message so far. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    public int size() {
        return size;
    }

    private ProtoWriter lengthDelimited(int field, byte[] value, int offset, int length) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(length);
        ensure(length);
        System.arraycopy(value, offset, bytes, size, length);
        size += length;
        return this;
    }

    private void tag(int field, int wireType) {
        if (field < 1) throw new IllegalArgumentException("protobuf field numbers start at 1, got " + field);
        rawVarint(((long) field << 3) | wireType);
    }

    private void rawVarint(long value) {
        ensure(10);
        while ((value & ~0x7FL) != 0) {
            bytes[size++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        bytes[size++] = (byte) value;
    }

    private void rawFixed32(int bits) {
        ensure(4);
        for (int i = 0; i < 4; i++) bytes[size++] = (byte) (bits >>> (8 * i));
    }

    private void rawFixed64(long bits) {
        ensure(8);
        for (int i = 0; i < 8; i++) bytes[size++] = (byte) (bits >>> (8 * i));
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            long wanted = Math.max((long) bytes.length * 2, (long) size + more);
            if (wanted > Integer.MAX_VALUE - 8) throw new IllegalStateException("a protobuf message beyond 2 GB");
            bytes = Arrays.copyOf(bytes, (int) wanted);
        }
    }
}
