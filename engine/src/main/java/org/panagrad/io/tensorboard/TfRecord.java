package org.panagrad.io.tensorboard;

import java.util.zip.CRC32C;

/**
 * TFRecord framing, as TensorFlow writes event files: each record is its length (uint64, little-endian), the
 * masked CRC-32C of those eight bytes, the data, and the masked CRC-32C of the data. Masking rotates the CRC
 * right by 15 bits and adds a constant, so that a CRC of data holding CRCs does not look like one.
 */
final class TfRecord {
    static final int HEADER = 12, FOOTER = 4;
    private static final int MASK_DELTA = 0xa282ead8;

    private TfRecord() {}

    static int maskedCrc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    /** The framed record around {@code data}. */
    static byte[] frame(byte[] data) {
        byte[] record = new byte[HEADER + data.length + FOOTER];
        putLong(record, 0, data.length);
        putInt(record, 8, maskedCrc(record, 0, 8));
        System.arraycopy(data, 0, record, HEADER, data.length);
        putInt(record, HEADER + data.length, maskedCrc(data, 0, data.length));
        return record;
    }

    static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) v |= (b[at + i] & 0xFFL) << (8 * i);
        return v;
    }

    static int getInt(byte[] b, int at) {
        int v = 0;
        for (int i = 0; i < 4; i++) v |= (b[at + i] & 0xFF) << (8 * i);
        return v;
    }
}
