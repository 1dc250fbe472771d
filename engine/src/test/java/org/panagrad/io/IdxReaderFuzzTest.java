package org.panagrad.io;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Mutation fuzzing of the IDX reader: valid image and label files, plain and gzip-compressed, with bits
 * flipped, header fields replaced by huge, zero or negative sizes, bytes cut off, appended, overwritten or
 * inserted. Each mutated file either loads exactly as the format defines it (checked against the few rules of
 * the format, written out below independently of the reader) or fails with a {@link DataFormatException}
 * naming the file and the offset; never anything else, never a hang, never an allocation the file does not
 * justify ({@link ReaderFuzzing}).
 */
class IdxReaderFuzzTest {
    private static final AtomicInteger LOADED = new AtomicInteger(), REFUSED = new AtomicInteger();
    private static ReaderFuzzing fuzzing;
    private static Path dir;

    @BeforeContainer
    static void start() throws IOException {
        fuzzing = new ReaderFuzzing();
        dir = ReaderFuzzing.scratchDirectory("idx-fuzz");
    }

    @AfterContainer
    static void stop() throws IOException {
        fuzzing.close();
        ReaderFuzzing.delete(dir);
        if (LOADED.get() < 1000 || REFUSED.get() < 1000) {
            throw new AssertionError(LOADED + " loaded and " + REFUSED + " refused: the mutations are off");
        }
    }

    @Property(tries = 10_000, shrinking = ShrinkingMode.OFF)
    void mutatedImageFilesLoadExactlyOrFailNamingFileAndOffset(@ForAll long seed) throws Exception {
        Random rnd = new Random(seed);
        int count = rnd.nextInt(6), rows = 1 + rnd.nextInt(6), cols = 1 + rnd.nextInt(6);
        ByteBuffer valid = ByteBuffer.allocate(16 + count * rows * cols);
        valid.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols);
        while (valid.hasRemaining()) valid.put((byte) rnd.nextInt(256));
        Case c = mutate(valid.array(), 16, rnd);
        ReaderFuzzing.Outcome<IdxReader.Images> outcome = fuzzing.read(dir.resolve("images" + c.suffix()), c.file(),
                8L * Math.max(c.plain().length, valid.capacity()), IdxReader::readImages, c.description());
        if (!c.plainKnown()) return; // a damaged gzip stream: loading or failing clearly is all that is asked
        byte[] b = c.plain();
        boolean wellFormed = b.length >= 16 && intAt(b, 0) == IdxReader.IMAGES_MAGIC && intAt(b, 4) >= 0
                && intAt(b, 8) > 0 && intAt(b, 12) > 0
                && b.length == 16 + pixels(intAt(b, 4), intAt(b, 8), intAt(b, 12));
        if (!wellFormed) {
            assertFailed(outcome, c);
            return;
        }
        IdxReader.Images images = loaded(outcome, c);
        if (images.count() != intAt(b, 4) || images.rows() != intAt(b, 8) || images.cols() != intAt(b, 12)) {
            throw new AssertionError(c.description() + ": read " + images.count() + " x " + images.rows() + " x " + images.cols());
        }
        for (int i = 0; i < images.pixels().length; i++) {
            if (images.pixels()[i] != (b[16 + i] & 0xFF) / 255f) {
                throw new AssertionError(c.description() + ": pixel " + i + " is " + images.pixels()[i]);
            }
        }
    }

    @Property(tries = 10_000, shrinking = ShrinkingMode.OFF)
    void mutatedLabelFilesLoadExactlyOrFailNamingFileAndOffset(@ForAll long seed) throws Exception {
        Random rnd = new Random(seed);
        int count = rnd.nextInt(20);
        ByteBuffer valid = ByteBuffer.allocate(8 + count);
        valid.putInt(IdxReader.LABELS_MAGIC).putInt(count);
        while (valid.hasRemaining()) valid.put((byte) rnd.nextInt(10));
        Case c = mutate(valid.array(), 8, rnd);
        ReaderFuzzing.Outcome<int[]> outcome = fuzzing.read(dir.resolve("labels" + c.suffix()), c.file(),
                16L * Math.max(c.plain().length, valid.capacity()), f -> IdxReader.readLabels(f, 10), c.description());
        if (!c.plainKnown()) return;
        byte[] b = c.plain();
        boolean wellFormed = b.length >= 8 && intAt(b, 0) == IdxReader.LABELS_MAGIC && intAt(b, 4) >= 0
                && b.length == 8L + intAt(b, 4);
        for (int i = 8; wellFormed && i < b.length; i++) wellFormed = (b[i] & 0xFF) < 10;
        if (!wellFormed) {
            assertFailed(outcome, c);
            return;
        }
        int[] labels = loaded(outcome, c);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != b[8 + i]) throw new AssertionError(c.description() + ": label " + i + " is " + labels[i]);
        }
        if (labels.length != intAt(b, 4)) throw new AssertionError(c.description() + ": " + labels.length + " labels");
    }

    /**
     * A mutated file: {@code plain} is the IDX content it decompresses to, when that is known (a plain file, or
     * an intact gzip stream around mutated content); a mutated gzip stream's content is not.
     */
    private record Case(byte[] file, byte[] plain, boolean plainKnown, String suffix, String description) {}

    private static Case mutate(byte[] valid, int headerBytes, Random rnd) {
        byte[] b = valid;
        List<String> done = new ArrayList<>();
        int mutations = 1 + rnd.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            switch (rnd.nextInt(7)) {
                case 0 -> {
                    b = b.clone();
                    int flips = 1 + rnd.nextInt(4);
                    for (int i = 0; i < flips && b.length > 0; i++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                    done.add(flips + " bit flip(s)");
                }
                case 1 -> {
                    b = b.clone();
                    int at = rnd.nextInt(Math.min(headerBytes, b.length) / 4 + 1) * 4;
                    int[] interesting = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7F000001, 60_000, 1 << 16,
                            IdxReader.IMAGES_MAGIC, IdxReader.LABELS_MAGIC, rnd.nextInt()};
                    int value = interesting[rnd.nextInt(interesting.length)];
                    if (at + 4 <= b.length) ByteBuffer.wrap(b).putInt(at, value);
                    done.add("header int at " + at + " = " + value);
                }
                case 2 -> {
                    int keep = rnd.nextInt(b.length + 1);
                    b = Arrays.copyOf(b, keep);
                    done.add("cut to " + keep + " bytes");
                }
                case 3 -> {
                    int extra = 1 + rnd.nextInt(32);
                    byte[] longer = Arrays.copyOf(b, b.length + extra);
                    for (int i = b.length; i < longer.length; i++) longer[i] = (byte) rnd.nextInt(256);
                    b = longer;
                    done.add(extra + " bytes appended");
                }
                case 4 -> {
                    b = b.clone();
                    if (b.length > 0) {
                        int at = rnd.nextInt(b.length);
                        b[at] = (byte) new int[] {0, 0xFF, 0x80, 0x7F, rnd.nextInt(256)}[rnd.nextInt(5)];
                        done.add("byte " + at + " = " + (b[at] & 0xFF));
                    }
                }
                case 5 -> {
                    int at = rnd.nextInt(b.length + 1), length = 1 + rnd.nextInt(8);
                    byte[] inserted = new byte[b.length + length];
                    System.arraycopy(b, 0, inserted, 0, at);
                    for (int i = 0; i < length; i++) inserted[at + i] = (byte) rnd.nextInt(256);
                    System.arraycopy(b, at, inserted, at + length, b.length - at);
                    b = inserted;
                    done.add(length + " bytes inserted at " + at);
                }
                default -> done.add("unchanged");
            }
        }
        String description = String.join(", ", done);
        switch (rnd.nextInt(6)) {
            case 0, 1 -> {
                return new Case(IdxBytes.gzip(b), b, true, ".gz", description + ", gzip-compressed");
            }
            case 2 -> {
                byte[] z = IdxBytes.gzip(b);
                if (rnd.nextBoolean()) {
                    int keep = rnd.nextInt(z.length);
                    return new Case(Arrays.copyOf(z, keep), b, false, ".gz", description + ", gzip-compressed, cut to " + keep);
                }
                int at = rnd.nextInt(z.length);
                z[at] ^= (byte) (1 << rnd.nextInt(8));
                return new Case(z, b, false, ".gz", description + ", gzip-compressed, bit flip at " + at);
            }
            default -> {
                return new Case(b, b, true, "", description);
            }
        }
    }

    /**
     * count x rows x cols, or -1 where the product overflows a long: sizes of 15138816 x 83886080 x 50331648 wrap
     * to exactly 0, which made a 16-byte file with that header look well-formed to this test (a case the fuzzer found).
     */
    private static long pixels(int count, int rows, int cols) {
        try {
            return Math.multiplyExact(Math.multiplyExact((long) count, rows), cols);
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    private static int intAt(byte[] b, int at) {
        return ByteBuffer.wrap(b).getInt(at);
    }

    private static void assertFailed(ReaderFuzzing.Outcome<?> outcome, Case c) {
        REFUSED.incrementAndGet();
        if (outcome.error() == null) {
            throw new AssertionError(c.description() + ": a malformed file was accepted: " + Arrays.toString(
                    Arrays.copyOf(c.plain(), Math.min(24, c.plain().length))));
        }
    }

    private static <T> T loaded(ReaderFuzzing.Outcome<T> outcome, Case c) {
        LOADED.incrementAndGet();
        if (outcome.error() != null) {
            throw new AssertionError(c.description() + ": a well-formed file was refused: " + outcome.error().getMessage());
        }
        return outcome.value();
    }
}
