package org.panagrad.io;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Mutation fuzzing of the safetensors reader, two ways. Header mutations at the level of its fields (huge,
 * negative or fractional dimensions, offsets that overlap, leave gaps or run past the file, wrong dtypes,
 * duplicate or reserved names, missing fields, header lengths beyond the file): the test knows from the
 * format's rules, written out below, whether the result is valid, and a valid file must load with exactly the
 * values at its offsets. Byte mutations of a valid file (bit flips, truncations, insertions, invalid UTF-8 in
 * the header): a flip in the data must load with the flipped value; anything else loads or fails with a
 * {@link DataFormatException} naming the file and the offset. Never anything else, never a hang, never an
 * allocation that the file does not justify ({@link ReaderFuzzing}).
 */
class SafeTensorsFuzzTest {
    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64"};
    private static final AtomicInteger VALID = new AtomicInteger(), INVALID = new AtomicInteger();
    private static ReaderFuzzing fuzzing;
    private static Path dir;

    @BeforeContainer
    static void start() throws IOException {
        fuzzing = new ReaderFuzzing();
        dir = ReaderFuzzing.scratchDirectory("safetensors-fuzz");
    }

    @AfterContainer
    static void stop() throws IOException {
        fuzzing.close();
        ReaderFuzzing.delete(dir);
        // Both sides of the oracle were exercised (about half the header cases stay valid).
        if (VALID.get() < 1000 || INVALID.get() < 1000) {
            throw new AssertionError("valid " + VALID + " and invalid " + INVALID + " header cases: the mutations are off");
        }
    }

    /** One header entry as the test writes it: any values, valid or not. */
    private record Entry(String name, String dtype, long[] shape, long begin, long end) {
        int elementBytes() {
            return switch (dtype) {
                case "F64", "I64" -> 8;
                case "F32" -> 4;
                case "F16", "BF16" -> 2;
                default -> -1;
            };
        }

        long elements() {
            long n = 1;
            for (long d : shape) n = Math.min(n * Math.max(d, 0), Long.MAX_VALUE / 16); // saturates instead of wrapping
            return n;
        }
    }

    @Property(tries = 10_000, shrinking = ShrinkingMode.OFF)
    void mutatedHeadersLoadExactlyWhenValidAndFailClearlyOtherwise(@ForAll long seed) throws Exception {
        Random rnd = new Random(seed);
        List<Entry> entries = validEntries(rnd);
        byte[] data = new byte[(int) entries.stream().mapToLong(Entry::end).max().orElse(0)];
        rnd.nextBytes(data);
        List<String> done = new ArrayList<>();
        String rawJson = null;
        Long lengthOverride = null;
        int mutations = rnd.nextInt(3);
        for (int m = 0; m < mutations && !entries.isEmpty(); m++) {
            int i = rnd.nextInt(entries.size());
            Entry e = entries.get(i);
            switch (rnd.nextInt(9)) {
                case 0 -> {
                    long[] shape = e.shape().length == 0 ? new long[] {1} : e.shape().clone();
                    long[] huge = {1L << 31, Integer.MAX_VALUE, 1L << 40, Long.MAX_VALUE, 0, 3};
                    shape[rnd.nextInt(shape.length)] = huge[rnd.nextInt(huge.length)];
                    entries.set(i, new Entry(e.name(), e.dtype(), shape, e.begin(), e.end()));
                    done.add("shape of " + e.name() + " = " + Arrays.toString(shape));
                }
                case 1 -> {
                    long delta = new long[] {-4, -2, 2, 4, 1L << 20, Long.MAX_VALUE / 2}[rnd.nextInt(6)];
                    boolean both = rnd.nextBoolean();
                    entries.set(i, new Entry(e.name(), e.dtype(), e.shape(), both ? e.begin() + delta : e.begin(),
                            e.end() + delta));
                    done.add((both ? "offsets" : "end") + " of " + e.name() + " moved by " + delta);
                }
                case 2 -> {
                    String dtype = new String[] {"F32", "F16", "BF16", "F64", "I64", "I32", "f32", ""}[rnd.nextInt(8)];
                    entries.set(i, new Entry(e.name(), dtype, e.shape(), e.begin(), e.end()));
                    done.add("dtype of " + e.name() + " = '" + dtype + "'");
                }
                case 3 -> {
                    String name = rnd.nextBoolean() ? entries.get(rnd.nextInt(entries.size())).name() : "__metadata__";
                    entries.set(i, new Entry(name, e.dtype(), e.shape(), e.begin(), e.end()));
                    done.add(e.name() + " renamed " + name);
                }
                case 4 -> {
                    entries.remove(i);
                    done.add(e.name() + " removed from the header");
                }
                case 5 -> {
                    lengthOverride = new long[] {0, 1, 7, 1L << 40, -1, Long.MIN_VALUE}[rnd.nextInt(6)]; // -1: 2^64 - 1
                    done.add("header length " + Long.toUnsignedString(lengthOverride));
                }
                case 6 -> {
                    rawJson = new String[] {"[]", "{", "{\"a\":", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "{\"__metadata__\":{\"k\":1}}",
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}",
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}",
                            "{} x", "{\"a\":{\"dtype\":\"F32\",\"shape\":[[[[[[[[1]]]]]]]],\"data_offsets\":[0,4]}}"}[rnd.nextInt(11)];
                    done.add("header " + rawJson);
                }
                case 7 -> {
                    data = Arrays.copyOf(data, Math.max(0, data.length + new int[] {-1, -4, 3, 8}[rnd.nextInt(4)]));
                    done.add("data resized to " + data.length);
                }
                default -> {
                    long[] shape = e.shape().clone();
                    if (shape.length > 0) shape[0] = Math.max(0, shape[0] - 1);
                    entries.set(i, new Entry(e.name(), e.dtype(), shape, e.begin(), e.end()));
                    done.add("first dimension of " + e.name() + " one smaller");
                }
            }
        }
        String json = rawJson != null ? rawJson : json(entries);
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(lengthOverride != null ? lengthOverride : header.length).put(header).put(data);
        String description = done.isEmpty() ? "unchanged" : String.join(", ", done);
        ReaderFuzzing.Outcome<SafeTensorsFile> outcome = fuzzing.read(dir.resolve("fuzz.safetensors"), file.array(),
                16L * file.capacity(), SafeTensors::read, description);

        boolean valid = rawJson == null && (lengthOverride == null || lengthOverride == header.length)
                && isValid(entries, data.length);
        (valid ? VALID : INVALID).incrementAndGet();
        if (!valid) {
            if (outcome.error() == null && rawJson == null) {
                throw new AssertionError(description + ": an invalid file was accepted: " + json);
            }
            return;
        }
        if (outcome.error() != null) {
            throw new AssertionError(description + ": a valid file was refused: " + json + ": " + outcome.error().getMessage());
        }
        List<TensorData> read = outcome.value().tensors();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            TensorData t = read.get(i);
            float[] expected = decode(e, data);
            if (!t.name().equals(e.name()) || !Arrays.equals(expected, t.data())) {
                throw new AssertionError(description + ": tensor " + e.name() + " read as " + t);
            }
        }
    }

    @Property(tries = 10_000, shrinking = ShrinkingMode.OFF)
    void mutatedBytesLoadOrFailNamingFileAndOffset(@ForAll long seed) throws Exception {
        Random rnd = new Random(seed);
        List<Entry> entries = validEntries(rnd);
        byte[] data = new byte[(int) entries.stream().mapToLong(Entry::end).max().orElse(0)];
        rnd.nextBytes(data);
        byte[] header = json(entries).getBytes(StandardCharsets.UTF_8);
        byte[] b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array();
        int dataStart = 8 + header.length;
        String description;
        boolean onlyData = false;
        switch (rnd.nextInt(5)) {
            case 0 -> {
                int at = rnd.nextInt(b.length);
                b[at] ^= (byte) (1 << rnd.nextInt(8));
                onlyData = at >= dataStart;
                description = "bit flip at " + at;
            }
            case 1 -> {
                int keep = rnd.nextInt(b.length);
                b = Arrays.copyOf(b, keep);
                description = "cut to " + keep;
            }
            case 2 -> {
                int at = 8 + rnd.nextInt(header.length);
                b[at] = (byte) new int[] {0x80, 0xC3, 0xFF, 0xED, 0x00, '"', '}', '\\'}[rnd.nextInt(8)];
                description = "header byte " + at + " = " + (b[at] & 0xFF);
            }
            case 3 -> {
                int at = rnd.nextInt(b.length + 1), n = 1 + rnd.nextInt(8);
                byte[] longer = new byte[b.length + n];
                System.arraycopy(b, 0, longer, 0, at);
                for (int i = 0; i < n; i++) longer[at + i] = (byte) rnd.nextInt(256);
                System.arraycopy(b, at, longer, at + n, b.length - at);
                b = longer;
                description = n + " bytes inserted at " + at;
            }
            default -> {
                int flips = 2 + rnd.nextInt(6);
                for (int i = 0; i < flips; i++) b[rnd.nextInt(Math.min(b.length, dataStart))] ^= (byte) (1 << rnd.nextInt(8));
                description = flips + " bit flips in the length prefix and header";
            }
        }
        byte[] content = b;
        ReaderFuzzing.Outcome<SafeTensorsFile> outcome = fuzzing.read(dir.resolve("bytes.safetensors"), content,
                16L * content.length, SafeTensors::read, description);
        if (onlyData) {
            if (outcome.error() != null) {
                throw new AssertionError(description + ": a flip in the data made the file unreadable: " + outcome.error());
            }
            byte[] flipped = Arrays.copyOfRange(content, dataStart, content.length);
            for (int i = 0; i < entries.size(); i++) {
                if (!Arrays.equals(decode(entries.get(i), flipped), outcome.value().tensors().get(i).data())) {
                    throw new AssertionError(description + ": tensor " + entries.get(i).name() + " does not hold the flipped bytes");
                }
            }
        }
    }

    /** One to four tensors of random dtypes and small shapes (a few empty ones), stored in a shuffled order. */
    private static List<Entry> validEntries(Random rnd) {
        int count = 1 + rnd.nextInt(4);
        List<Entry> unplaced = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long[] shape = new long[rnd.nextInt(3)];
            for (int d = 0; d < shape.length; d++) shape[d] = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(5);
            unplaced.add(new Entry("t" + i, DTYPES[rnd.nextInt(DTYPES.length)], shape, 0, 0));
        }
        List<Entry> order = new ArrayList<>(unplaced);
        java.util.Collections.shuffle(order, rnd);
        List<Entry> placed = new ArrayList<>();
        long offset = 0;
        for (Entry e : order) {
            long bytes = e.elements() * e.elementBytes();
            placed.add(new Entry(e.name(), e.dtype(), e.shape(), offset, offset + bytes));
            offset += bytes;
        }
        placed.sort(Comparator.comparing(Entry::name));
        return placed;
    }

    /** The format's rules (see SafeTensorsHeader), independently of the reader. */
    private static boolean isValid(List<Entry> entries, long dataBytes) {
        Set<String> names = new HashSet<>();
        for (Entry e : entries) {
            if (e.name().equals("__metadata__") || !names.add(e.name()) || e.elementBytes() < 0) return false;
            for (long d : e.shape()) if (d < 0 || d > Integer.MAX_VALUE) return false;
            if (e.elements() > Integer.MAX_VALUE - 8 || e.begin() < 0 || e.end() < e.begin()) return false;
            if (e.end() - e.begin() != e.elements() * e.elementBytes() || e.end() > dataBytes) return false;
        }
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin() != at) return false;
            at = e.end();
        }
        return at == dataBytes;
    }

    private static String json(List<Entry> entries) {
        StringBuilder s = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        for (Entry e : entries) {
            s.append(",\"").append(e.name()).append("\":{\"dtype\":\"").append(e.dtype()).append("\",\"shape\":[");
            for (int d = 0; d < e.shape().length; d++) s.append(d == 0 ? "" : ",").append(e.shape()[d]);
            s.append("],\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
        }
        return s.append('}').toString();
    }

    /** The entry's elements, little-endian, converted to float as the format defines each dtype. */
    private static float[] decode(Entry e, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[(int) e.elements()];
        for (int i = 0; i < v.length; i++) {
            int at = (int) e.begin() + i * e.elementBytes();
            v[i] = switch (e.dtype()) {
                case "F64" -> (float) b.getDouble(at);
                case "I64" -> (float) b.getLong(at);
                case "F32" -> b.getFloat(at);
                case "BF16" -> Float.intBitsToFloat((b.getShort(at) & 0xFFFF) << 16);
                default -> half(b.getShort(at));
            };
        }
        return v;
    }

    /** IEEE 754 binary16 to float, by its definition: sign, 5-bit exponent (bias 15), 10-bit fraction. */
    private static float half(short h) {
        int bits = h & 0xFFFF, exponent = (bits >> 10) & 0x1F, fraction = bits & 0x3FF;
        double sign = (bits & 0x8000) != 0 ? -1 : 1;
        if (exponent == 0x1F) return fraction == 0 ? (float) (sign * Double.POSITIVE_INFINITY) : Float.NaN;
        if (exponent == 0) return (float) (sign * fraction * Math.pow(2, -24));
        return (float) (sign * (1 + fraction / 1024.0) * Math.pow(2, exponent - 15));
    }
}
