package org.panagrad.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format of Hugging Face: an 8-byte little-endian length N, N bytes of
 * UTF-8 JSON header (see {@link SafeTensorsHeader}), then the raw little-endian tensor data. Panagrad writes
 * F32 (and I64 for integer counters) and reads F32, F64, F16, BF16 and I64, converting to float.
 *
 * <p>The reader checks the whole header against the file before it allocates anything for the tensors, so a
 * damaged file fails with the path, the byte offset and what was expected there, and a header that claims
 * more data than the file holds is refused before any memory is taken for it. As the reference implementation
 * does, it requires the tensors to tile the data section exactly: in any order in the header, but without
 * gaps, overlaps or bytes after the last one.
 */
public final class SafeTensors {
    private static final int PREFIX_BYTES = SafeTensorsHeader.START;
    /** The limit of the reference implementation: a longer header is taken as a sign of a damaged file. */
    private static final long MAX_HEADER_BYTES = 100_000_000;
    private static final int CHUNK_BYTES = 1 << 20; // a multiple of every element size

    private SafeTensors() {}

    /** Writes the tensors without metadata; see {@link #write(Path, List, Map)}. */
    public static void write(Path path, List<TensorData> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /**
     * Atomically replaces {@code path} with the tensors as F32, stored in list order, and the metadata (if not
     * empty). Names must be unique and not {@code __metadata__}; this is checked before the file is touched.
     */
    public static void write(Path path, List<TensorData> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = SafeTensorsHeader.encode(tensors, metadata);
        AtomicFiles.write(path, out -> {
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            chunk.putLong(header.length);
            out.write(chunk.array(), 0, chunk.position());
            out.write(header);
            for (TensorData tensor : tensors) {
                if (writable(tensor) == SafeTensorsDtype.I64) writeLongs(out, tensor.data(), chunk);
                else writeFloats(out, tensor.data(), chunk);
            }
        });
    }

    /** The element type a tensor is written as: F32, or I64 for whole numbers that a float holds exactly. */
    static SafeTensorsDtype writable(TensorData tensor) {
        switch (tensor.dtype()) {
            case "F32":
                return SafeTensorsDtype.F32;
            case "I64":
                for (float v : tensor.data()) {
                    if (v != Math.rint(v)) {
                        throw new IllegalArgumentException("tensor '" + tensor.name() + "' is I64 but holds " + v);
                    }
                }
                return SafeTensorsDtype.I64;
            default:
                throw new IllegalArgumentException("tensor '" + tensor.name() + "': Panagrad writes F32 and I64, not "
                        + tensor.dtype());
        }
    }

    private static void writeLongs(OutputStream out, float[] values, ByteBuffer chunk) throws IOException {
        int perChunk = chunk.capacity() / Long.BYTES;
        for (int start = 0; start < values.length; start += perChunk) {
            int count = Math.min(perChunk, values.length - start);
            chunk.clear();
            for (int i = 0; i < count; i++) chunk.putLong((long) values[start + i]);
            out.write(chunk.array(), 0, count * Long.BYTES);
        }
    }

    private static void writeFloats(OutputStream out, float[] values, ByteBuffer chunk) throws IOException {
        int perChunk = chunk.capacity() / Float.BYTES;
        for (int start = 0; start < values.length; start += perChunk) {
            int count = Math.min(perChunk, values.length - start);
            chunk.clear();
            chunk.asFloatBuffer().put(values, start, count);
            out.write(chunk.array(), 0, count * Float.BYTES);
        }
    }

    /** Reads every tensor (converted to float) and the metadata. */
    public static SafeTensorsFile read(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            Checked file = readHeader(channel, path);
            List<TensorData> tensors = new ArrayList<>(file.header().entries().size());
            for (SafeTensorsHeader.Entry entry : file.header().entries()) {
                float[] values = readTensor(channel, path, file.dataStart() + entry.begin(), entry);
                // Every float type is read into floats and would be written back as F32; integers stay I64.
                String dtype = entry.dtype() == SafeTensorsDtype.I64 ? "I64" : "F32";
                tensors.add(new TensorData(entry.name(), entry.shape(), values, dtype));
            }
            return new SafeTensorsFile(tensors, file.header().metadata());
        }
    }

    /**
     * Reads only the header's metadata (what a file says about itself: a checkpoint's training position, the
     * file holding its optimizer state), checked as {@link #read} checks it, without reading any tensor.
     */
    public static Map<String, String> readMetadata(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return readHeader(channel, path).header().metadata();
        }
    }

    /** A header checked against the file, and where the data section starts. */
    private record Checked(SafeTensorsHeader header, long dataStart) {}

    /**
     * The length prefix and the header, checked against the file's size before the header is read, and the
     * tensors' layout checked against the data section, before anything is allocated for them.
     */
    private static Checked readHeader(FileChannel channel, Path path) throws IOException {
        long size = channel.size();
        if (size < PREFIX_BYTES) {
            throw new DataFormatException(path, size, "the file ended after " + size + " bytes; expected at least "
                    + PREFIX_BYTES + " (the little-endian u64 length of the JSON header)");
        }
        long headerLength = readAt(channel, path, 0, PREFIX_BYTES).getLong();
        long available = size - PREFIX_BYTES;
        if (headerLength < 0 || headerLength > available) {
            throw new DataFormatException(path, 0, "the header length is " + Long.toUnsignedString(headerLength)
                    + " bytes, but only " + available + " bytes follow the length prefix (file size " + size + ")");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new DataFormatException(path, 0, "the header length is " + headerLength
                    + " bytes, more than the limit of " + MAX_HEADER_BYTES);
        }
        String text = decodeUtf8(path, readAt(channel, path, PREFIX_BYTES, (int) headerLength));
        SafeTensorsHeader header = SafeTensorsHeader.parse(path, text);
        long dataStart = PREFIX_BYTES + headerLength;
        checkLayout(path, header.entries(), dataStart, size);
        return new Checked(header, dataStart);
    }

    /**
     * Every tensor inside the file, and the data section tiled exactly by the tensors sorted by offset: checked
     * before anything is allocated for them.
     */
    private static void checkLayout(Path path, List<SafeTensorsHeader.Entry> entries, long dataStart, long size)
            throws DataFormatException {
        long dataBytes = size - dataStart;
        for (SafeTensorsHeader.Entry entry : entries) {
            if (entry.end() > dataBytes) {
                throw new DataFormatException(path, size, "tensor '" + entry.name() + "' has data_offsets ["
                        + entry.begin() + ", " + entry.end() + "], which needs the file to reach offset "
                        + (dataStart + entry.end()) + " (data starts at " + dataStart + "), but the file ended at"
                        + " offset " + size);
            }
        }
        List<SafeTensorsHeader.Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(SafeTensorsHeader.Entry::begin).thenComparingLong(SafeTensorsHeader.Entry::end));
        long expected = 0;
        String previous = null;
        for (SafeTensorsHeader.Entry entry : sorted) {
            if (entry.begin() != expected) {
                String after = previous == null ? "the start of the data" : "the end of tensor '" + previous + "'";
                throw new DataFormatException(path, dataStart + Math.min(entry.begin(), expected), "tensor '"
                        + entry.name() + "' has data_offsets [" + entry.begin() + ", " + entry.end() + "], but "
                        + after + " is at " + expected + (entry.begin() < expected ? ": the two overlap"
                        : ": " + (entry.begin() - expected) + " bytes between them belong to no tensor")
                        + " (the tensors must tile the data section)");
            }
            expected = entry.end();
            previous = entry.name();
        }
        if (expected != dataBytes) {
            throw new DataFormatException(path, dataStart + expected, (dataBytes - expected) + " bytes follow the last"
                    + " tensor's data, which belong to no tensor (the tensors must tile the data section)");
        }
    }

    private static float[] readTensor(FileChannel channel, Path path, long start, SafeTensorsHeader.Entry entry)
            throws IOException {
        float[] values = new float[entry.elements()];
        int perChunk = CHUNK_BYTES / entry.dtype().bytes;
        for (int done = 0; done < values.length; done += perChunk) {
            int count = Math.min(perChunk, values.length - done);
            ByteBuffer bytes = readAt(channel, path, start + (long) done * entry.dtype().bytes,
                    count * entry.dtype().bytes);
            entry.dtype().decode(bytes, values, done, count);
        }
        return values;
    }

    /** Reads exactly {@code length} bytes at {@code position}, little-endian, ready to get from. */
    private static ByteBuffer readAt(FileChannel channel, Path path, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            // Only a file that shrinks while we read it ends early: sizes were checked before.
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new DataFormatException(path, position + buffer.position(), "expected " + length
                        + " bytes starting at offset " + position + ", but the file ended (was it truncated while"
                        + " being read?)");
            }
        }
        return buffer.flip();
    }

    private static String decodeUtf8(Path path, ByteBuffer bytes) throws DataFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = CharBuffer.allocate(bytes.remaining());
        CoderResult result = decoder.decode(bytes, chars, true);
        if (result.isError()) {
            throw new DataFormatException(path, PREFIX_BYTES + bytes.position(), "the header is not valid UTF-8");
        }
        decoder.flush(chars);
        return chars.flip().toString();
    }
}
