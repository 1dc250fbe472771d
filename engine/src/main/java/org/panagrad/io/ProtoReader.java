package org.panagrad.io;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a Protocol Buffers message field by field, in the wire format {@link ProtoWriter} writes: call
 * {@link #next()} until it returns false, look at {@link #field()}, and read the value with the method for
 * its type, or {@link #skip()} it. A malformed message fails with {@link DataFormatException} naming the
 * source and the byte offset.
 */
public final class ProtoReader {
    private final Path source;
    private final byte[] bytes;
    private final long base;
    private final int end;
    private int position;
    private int field;
    private int wireType;

    /** Reads {@code bytes[offset, offset + length)}; {@code source} and {@code base} name it in errors. */
    public ProtoReader(Path source, long base, byte[] bytes, int offset, int length) {
        this.source = source;
        this.base = base;
        this.bytes = bytes;
        this.position = offset;
        this.end = offset + length;
    }

    public ProtoReader(Path source, byte[] bytes) {
        this(source, 0, bytes, 0, bytes.length);
    }

    /** Moves to the next field; false at the end of the message. */
    public boolean next() throws DataFormatException {
        if (position >= end) return false;
        long tag = rawVarint();
        field = (int) (tag >>> 3);
        wireType = (int) (tag & 7);
        if (field < 1) throw error("field number " + field);
        return true;
    }

    public int field() {
        return field;
    }

    public long varint() throws DataFormatException {
        expect(0);
        return rawVarint();
    }

    public float float32() throws DataFormatException {
        expect(5);
        return Float.intBitsToFloat((int) rawFixed(4));
    }

    public double float64() throws DataFormatException {
        expect(1);
        return Double.longBitsToDouble(rawFixed(8));
    }

    public String string() throws DataFormatException {
        byte[] b = bytes();
        return new String(b, StandardCharsets.UTF_8);
    }

    public byte[] bytes() throws DataFormatException {
        int length = length();
        byte[] b = Arrays.copyOfRange(bytes, position, position + length);
        position += length;
        return b;
    }

    /** A nested message, read without copying. */
    public ProtoReader message() throws DataFormatException {
        int length = length();
        ProtoReader nested = new ProtoReader(source, base, bytes, position, length);
        position += length;
        return nested;
    }

    /** A repeated double field, packed or (one value) not. */
    public double[] doubles() throws DataFormatException {
        if (wireType == 1) return new double[] {float64()};
        int length = length();
        if (length % 8 != 0) throw error("a packed double field of " + length + " bytes");
        double[] v = new double[length / 8];
        for (int i = 0; i < v.length; i++) v[i] = Double.longBitsToDouble(rawFixed(8));
        return v;
    }

    /** Skips the current field's value. */
    public void skip() throws DataFormatException {
        switch (wireType) {
            case 0 -> rawVarint();
            case 1 -> rawFixed(8);
            case 2 -> position += length();
            case 5 -> rawFixed(4);
            default -> throw error("wire type " + wireType + " of field " + field);
        }
        if (position > end) throw error("a field running past the end of its message");
    }

    private int length() throws DataFormatException {
        expect(2);
        long length = rawVarint();
        if (length < 0 || length > end - position) {
            throw error("a length of " + length + " with " + (end - position) + " bytes left");
        }
        return (int) length;
    }

    private void expect(int type) throws DataFormatException {
        if (wireType != type) throw error("wire type " + wireType + " for field " + field + ", expected " + type);
    }

    private long rawVarint() throws DataFormatException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) throw error("a varint running past the end");
            byte b = bytes[position++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) return value;
        }
        throw error("a varint longer than ten bytes");
    }

    private long rawFixed(int n) throws DataFormatException {
        if (end - position < n) throw error("a fixed" + 8 * n + " value running past the end");
        long v = 0;
        for (int i = 0; i < n; i++) v |= (bytes[position++] & 0xFFL) << (8 * i);
        return v;
    }

    /** For a message whose fields are well-formed but do not fit together: an error at the reader's position. */
    public DataFormatException invalid(String what) {
        return new DataFormatException(source, base + position, what);
    }

    private DataFormatException error(String what) {
        return new DataFormatException(source, base + position, "malformed protobuf: " + what);
    }
}
