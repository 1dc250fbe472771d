package org.panagrad.io;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.panagrad.io.tensorboard.Event;
import org.panagrad.io.tensorboard.EventReader;
import org.panagrad.io.tensorboard.EventWriter;
import org.panagrad.io.tensorboard.Histogram;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * Mutation fuzzing of the TensorBoard event-file reader (and under it the protobuf reader), two ways. Byte
 * mutations of a file that {@link EventWriter} wrote: a bit flip in any record is caught by its CRCs and fails
 * naming file and offset; a file cut short loses only the records it cut (as TensorBoard reads a file still being
 * written), and the rest read back exactly. Payload mutations with the CRCs recomputed, so that the damage
 * reaches the protobuf decoder: bit flips, truncations, insertions of random bytes, varints of huge or negative
 * lengths, and record lengths beyond the file; every case reads or fails with a {@link DataFormatException}
 * naming the file and an offset, never anything else, never a hang, never an allocation the file does not
 * justify ({@link ReaderFuzzing}). The CRC-32C masking is written here from the format's definition, apart from
 * the writer's.
 */
class EventFileFuzzTest {
    private static final AtomicInteger READ = new AtomicInteger(), REFUSED = new AtomicInteger();
    private static ReaderFuzzing fuzzing;
    private static Path dir;
    private static byte[] original;
    private static List<Event> originalEvents;
    /** Where each record starts in {@link #original}, and the file's end. */
    private static List<Integer> recordStarts;

    @BeforeContainer
    static void start() throws IOException {
        fuzzing = new ReaderFuzzing();
        dir = ReaderFuzzing.scratchDirectory("event-fuzz");
        Path logs = Files.createDirectory(dir.resolve("logs"));
        Random rnd = new Random(3);
        try (EventWriter w = EventWriter.create(logs)) {
            for (int step = 0; step < 6; step++) {
                w.scalar("train/loss", step, 2.3 / (step + 1));
                if (step % 2 == 0) {
                    float[] values = new float[257];
                    for (int i = 0; i < values.length; i++) values[i] = (float) rnd.nextGaussian();
                    w.histogram("weights/0.weight", step, Histogram.of(values, 30));
                }
            }
        }
        Path file = EventReader.files(logs).get(0);
        original = Files.readAllBytes(file);
        originalEvents = EventReader.read(file);
        recordStarts = new ArrayList<>();
        for (int at = 0; at < original.length; at += 12 + (int) le(original, at, 8) + 4) recordStarts.add(at);
        recordStarts.add(original.length);
        Files.delete(file);
        Files.delete(logs);
    }

    @AfterContainer
    static void stop() throws IOException {
        fuzzing.close();
        ReaderFuzzing.delete(dir);
        if (READ.get() < 500 || REFUSED.get() < 500) {
            throw new AssertionError("read " + READ + " and refused " + REFUSED + " payload cases: the mutations are off");
        }
    }

    /** Flips and truncations of the file as written: a flip is always caught, a cut loses only what it cut. */
    @Property(tries = 10_000, shrinking = ShrinkingMode.OFF)
    void bitFlipsFailByTheirCrcAndTruncationsKeepTheWholeRecords(@ForAll long seed) throws Exception {
        Random rnd = new Random(seed);
        Path file = dir.resolve("events.out.tfevents.fuzz");
        if (rnd.nextBoolean()) {
            byte[] b = original.clone();
            int at = rnd.nextInt(b.length), bit = rnd.nextInt(8);
            b[at] ^= (byte) (1 << bit);
            String mutation = "bit " + bit + " of byte " + at + " flipped";
            var outcome = fuzzing.read(file, b, b.length, EventReader::read, mutation);
            if (outcome.error() == null) throw new AssertionError(mutation + ": read without noticing");
        } else {
            int length = rnd.nextInt(original.length);
            byte[] b = java.util.Arrays.copyOf(original, length);
            String mutation = "cut to " + length + " of " + original.length + " bytes";
            var outcome = fuzzing.read(file, b, b.length, EventReader::read, mutation);
            int whole = (int) recordStarts.stream().filter(s -> s > 0 && s <= length).count(); // records wholly kept
            if (whole == 0) {
                if (outcome.error() == null) throw new AssertionError(mutation + ": no event left, yet it read");
            } else {
                if (outcome.error() != null) throw new AssertionError(mutation + ": " + outcome.error().getMessage());
                List<Event> events = outcome.value();
                if (events.size() != whole) throw new AssertionError(mutation + ": " + events.size() + " events, not " + whole);
                for (int i = 0; i < whole; i++) assertSame(originalEvents.get(i), events.get(i), mutation);
            }
        }
    }

    /** The payload of one record damaged and its CRCs made to match again: the decoder meets the damage. */
    @Property(tries = 10_000, shrinking = ShrinkingMode.OFF)
    void damagedPayloadsWithValidCrcsReadOrFailClearly(@ForAll long seed) throws Exception {
        Random rnd = new Random(seed);
        List<byte[]> payloads = new ArrayList<>();
        for (int r = 0; r + 1 < recordStarts.size(); r++) {
            int start = recordStarts.get(r), n = (int) le(original, start, 8);
            payloads.add(java.util.Arrays.copyOfRange(original, start + 12, start + 12 + n));
        }
        int r = rnd.nextInt(payloads.size());
        byte[] p = payloads.get(r);
        String mutation;
        Long lengthOverride = null;
        switch (rnd.nextInt(5)) {
            case 0 -> {
                int at = rnd.nextInt(p.length);
                p = p.clone();
                p[at] ^= (byte) (1 << rnd.nextInt(8));
                mutation = "record " + r + ": a bit of payload byte " + at + " flipped";
            }
            case 1 -> {
                int keep = rnd.nextInt(p.length);
                p = java.util.Arrays.copyOf(p, keep);
                mutation = "record " + r + ": payload cut to " + keep + " bytes";
            }
            case 2 -> {
                int at = rnd.nextInt(p.length + 1);
                byte[] junk = new byte[1 + rnd.nextInt(12)];
                rnd.nextBytes(junk);
                p = splice(p, at, junk);
                mutation = "record " + r + ": " + junk.length + " random bytes inserted at " + at;
            }
            case 3 -> {
                // A length-delimited field (wire type 2) claiming a huge or negative length.
                long[] lengths = {1L << 31, Integer.MAX_VALUE, -1, Long.MAX_VALUE, 1L << 40, p.length + 1};
                long claimed = lengths[rnd.nextInt(lengths.length)];
                int field = 1 + rnd.nextInt(6), at = rnd.nextInt(p.length + 1);
                p = splice(p, at, concat(varint((long) field << 3 | 2), varint(claimed)));
                mutation = "record " + r + ": field " + field + " claims " + claimed + " bytes at " + at;
            }
            default -> {
                long[] lengths = {1L << 31, Long.MAX_VALUE, -1, Long.MIN_VALUE, p.length + 5};
                lengthOverride = lengths[rnd.nextInt(lengths.length)];
                mutation = "record " + r + ": its length field says " + lengthOverride;
            }
        }
        payloads.set(r, p);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        for (int i = 0; i < payloads.size(); i++) {
            file.writeBytes(frame(payloads.get(i), i == r && lengthOverride != null ? lengthOverride : payloads.get(i).length));
        }
        byte[] b = file.toByteArray();
        var outcome = fuzzing.read(dir.resolve("events.out.tfevents.fuzz"), b, b.length, EventReader::read, mutation);
        (outcome.error() == null ? READ : REFUSED).incrementAndGet();
    }

    private static void assertSame(Event expected, Event actual, String mutation) {
        boolean same = expected.step() == actual.step() && expected.wallTime() == actual.wallTime()
                && java.util.Objects.equals(expected.fileVersion(), actual.fileVersion())
                && expected.values().size() == actual.values().size();
        for (int i = 0; same && i < expected.values().size(); i++) {
            Event.Value e = expected.values().get(i), a = actual.values().get(i);
            same = e.tag().equals(a.tag()) && Float.compare(e.scalar(), a.scalar()) == 0 && e.isHistogram() == a.isHistogram()
                    && (!e.isHistogram() || java.util.Arrays.equals(e.histogram().bucketCounts(), a.histogram().bucketCounts()));
        }
        if (!same) throw new AssertionError(mutation + ": read " + actual + ", expected " + expected);
    }

    /** A TFRecord: length (little-endian), masked CRC-32C of it, the data, masked CRC-32C of the data. */
    private static byte[] frame(byte[] data, long length) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(length);
        b.putInt(maskedCrc(b.array(), 0, 8));
        b.put(data);
        b.putInt(maskedCrc(data, 0, data.length));
        return b.array();
    }

    private static int maskedCrc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    private static long le(byte[] b, int at, int bytes) {
        long v = 0;
        for (int i = bytes - 1; i >= 0; i--) v = v << 8 | (b[at + i] & 0xff);
        return v;
    }

    private static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    private static byte[] splice(byte[] into, int at, byte[] insert) {
        return concat(java.util.Arrays.copyOf(into, at), insert, java.util.Arrays.copyOfRange(into, at, into.length));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
