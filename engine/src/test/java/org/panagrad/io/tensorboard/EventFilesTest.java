package org.panagrad.io.tensorboard;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.io.DataFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventFilesTest {
    @TempDir
    Path dir;

    @Test
    void crc32cAndItsMaskAreTensorFlows() {
        CRC32C crc = new CRC32C();
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xE3069283L, crc.getValue(), "the CRC-32C check value");
        // Masked as TensorFlow's crc32c::Mask: rotate right by 15, add 0xa282ead8.
        byte[] data = "123456789".getBytes(StandardCharsets.US_ASCII);
        int c = 0xE3069283;
        assertEquals(((c >>> 15) | (c << 17)) + 0xa282ead8, TfRecord.maskedCrc(data, 0, data.length));
    }

    @Test
    void scalarsAndHistogramsComeBackWithTheirTagsStepsAndBuckets() throws IOException {
        float[] weights = new float[10_000];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < weights.length; i++) weights[i] = (float) rnd.nextGaussian();
        Histogram h = Histogram.of(weights, 30);
        Path file;
        try (EventWriter w = EventWriter.create(dir.resolve("logs"))) {
            file = w.file();
            for (int step = 0; step < 5; step++) w.scalar("train/loss", step * 10L, 2.0 / (step + 1));
            w.histogram("weights/0.weight", 40, h);
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."), file.toString());
        assertEquals(List.of(file), EventReader.files(dir));

        List<Event> events = EventReader.read(file);
        assertEquals(7, events.size());
        assertEquals(EventWriter.FILE_VERSION, events.get(0).fileVersion());
        for (int step = 0; step < 5; step++) {
            Event e = events.get(step + 1);
            assertEquals(step * 10L, e.step());
            assertEquals("train/loss", e.values().get(0).tag());
            assertEquals((float) (2.0 / (step + 1)), e.values().get(0).scalar());
            assertNull(e.values().get(0).histogram());
            assertTrue(e.wallTime() > 1.6e9);
        }
        Histogram back = events.get(6).values().get(0).histogram();
        assertEquals("weights/0.weight", events.get(6).values().get(0).tag());
        assertEquals(40, events.get(6).step());
        assertEquals(h, back);
        assertEquals(30, back.bucketCounts().length);
        assertEquals(weights.length, Arrays.stream(back.bucketCounts()).sum());
    }

    @Test
    void histogramBucketsCountEachValueOnceInItsInterval() {
        float[] v = {-1, -0.5f, 0, 0.25f, 0.5f, 0.5f, 1, Float.NaN};
        Histogram h = Histogram.of(v, 4); // limits -0.5, 0, 0.5, 1; bucket i holds (limit[i-1], limit[i]]
        assertArrayEquals(new double[] {-0.5, 0, 0.5, 1}, h.bucketLimits());
        assertArrayEquals(new double[] {2, 1, 3, 1}, h.bucketCounts());
        assertEquals(7, h.num());
        assertEquals(-1, h.min());
        assertEquals(1, h.max());
        assertEquals(0.75, h.sum(), 1e-12);
        Histogram constant = Histogram.of(new float[] {3, 3, 3}, 10);
        assertArrayEquals(new double[] {3}, constant.bucketCounts());
    }

    /** protobuf-java reads our records as the messages event.proto defines, field by field. */
    @Test
    void anIndependentProtobufDecoderReadsTheSameEvents() throws IOException {
        Path file;
        try (EventWriter w = EventWriter.create(dir)) {
            file = w.file();
            w.scalar("test/accuracy", 7, 0.9375);
            w.histogram("gradients/2.bias", 7, Histogram.of(new float[] {1, 2, 3, 4}, 2));
        }
        List<UnknownFieldSet> events = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            int length = (int) b.getLong();
            b.getInt();
            byte[] data = new byte[length];
            b.get(data);
            b.getInt();
            events.add(UnknownFieldSet.parseFrom(data));
        }
        assertEquals(3, events.size());
        assertEquals(ByteString.copyFromUtf8("brain.Event:2"), events.get(0).getField(3).getLengthDelimitedList().get(0));
        UnknownFieldSet scalarEvent = events.get(1);
        assertEquals(7L, scalarEvent.getField(2).getVarintList().get(0));
        UnknownFieldSet value = UnknownFieldSet.parseFrom(UnknownFieldSet.parseFrom(
                scalarEvent.getField(5).getLengthDelimitedList().get(0)).getField(1).getLengthDelimitedList().get(0));
        assertEquals("test/accuracy", value.getField(1).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(0.9375f, Float.intBitsToFloat(value.getField(2).getFixed32List().get(0)));
        UnknownFieldSet histo = UnknownFieldSet.parseFrom(UnknownFieldSet.parseFrom(UnknownFieldSet.parseFrom(
                events.get(2).getField(5).getLengthDelimitedList().get(0)).getField(1).getLengthDelimitedList().get(0))
                .getField(5).getLengthDelimitedList().get(0));
        assertEquals(1.0, Double.longBitsToDouble(histo.getField(1).getFixed64List().get(0)));
        assertEquals(4.0, Double.longBitsToDouble(histo.getField(3).getFixed64List().get(0)));
        ByteBuffer counts = histo.getField(7).getLengthDelimitedList().get(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2.0, counts.getDouble());
        assertEquals(2.0, counts.getDouble());
    }

    @Test
    void aDamagedRecordFailsWithTheFileAndOffsetAndACutOffTailEndsTheFile() throws IOException {
        Path file;
        try (EventWriter w = EventWriter.create(dir)) {
            file = w.file();
            w.scalar("a", 1, 1);
            w.scalar("b", 2, 2);
        }
        byte[] good = Files.readAllBytes(file);
        byte[] cut = Arrays.copyOf(good, good.length - 3);
        Files.write(file, cut);
        assertEquals(2, EventReader.read(file).size(), "the cut record is where the file ends");

        byte[] damaged = good.clone();
        damaged[damaged.length - 6] ^= 1; // in the last record's data
        Files.write(file, damaged);
        DataFormatException e = assertThrows(DataFormatException.class, () -> EventReader.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("CRC"), e.getMessage());
        assertEquals(damaged.length - 4, e.offset());
    }
}
