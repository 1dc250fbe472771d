package org.panagrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path temp;

    @Test
    void roundTripKeepsOrderShapesExactValuesAndMetadata() throws IOException {
        List<TensorData> tensors = List.of(
                new TensorData("layer2.weight", new int[] {2, 3}, new float[] {1, -2, 3.25f, Float.NaN, -0f, 1e-40f}),
                new TensorData("layer1.bias", new int[] {3}, new float[] {Float.POSITIVE_INFINITY, Float.MIN_VALUE, 7}),
                new TensorData("step", new int[] {}, new float[] {42}),
                new TensorData("empty", new int[] {0, 4}, new float[0]),
                new TensorData("naïve ✓", new int[] {1}, new float[] {0.1f}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "quotes \" and unicode é");
        Path file = temp.resolve("model.safetensors");

        SafeTensors.write(file, tensors, metadata);
        SafeTensorsFile read = SafeTensors.read(file);

        assertEquals(tensors, read.tensors());
        assertEquals(metadata, read.metadata());
        assertEquals(List.copyOf(metadata.keySet()), List.copyOf(read.metadata().keySet()));
        assertArrayEquals(new int[] {2, 3}, read.tensor("layer2.weight").shape());
    }

    @Test
    void largeTensorsCrossChunkBoundaries() throws IOException {
        float[] values = new float[(1 << 18) + 3]; // more than one 1 MiB chunk
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 7;
        }
        Path file = temp.resolve("big.safetensors");

        SafeTensors.write(file, List.of(new TensorData("big", new int[] {values.length}, values)));

        assertArrayEquals(values, SafeTensors.read(file).tensor("big").data());
    }

    @Test
    void exactBytesOfATinyTensor() throws IOException {
        // The same tensor as the reference implementation's test_serialization_forced_alignement.
        float[] values = {0, 1, 2, 3, 4, 5};
        Path file = temp.resolve("tiny.safetensors");

        SafeTensors.write(file, List.of(new TensorData("attn0", new int[] {1, 1, 2, 3}, values)));

        byte[] bytes = Files.readAllBytes(file);
        String json = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}";
        assertEquals(65, json.length());
        assertArrayEquals(new byte[] {72, 0, 0, 0, 0, 0, 0, 0}, Arrays.copyOf(bytes, 8)); // 65 padded to 72
        assertEquals(json + "       ", new String(bytes, 8, 72, StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, (byte) 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, (byte) 128,
                64, 0, 0, (byte) 160, 64}, Arrays.copyOfRange(bytes, 80, bytes.length));
    }

    @Test
    void exactBytesWithOnlyMetadataAndWithNothing() throws IOException {
        Path withMetadata = temp.resolve("meta.safetensors");
        Path empty = temp.resolve("empty.safetensors");

        SafeTensors.write(withMetadata, List.of(), Map.of("framework", "pt"));
        SafeTensors.write(empty, List.of());

        assertArrayEquals(file("{\"__metadata__\":{\"framework\":\"pt\"}}     ", new byte[0]),
                Files.readAllBytes(withMetadata));
        assertArrayEquals(file("{}      ", new byte[0]), Files.readAllBytes(empty));
        assertEquals(Map.of("framework", "pt"), SafeTensors.read(withMetadata).metadata());
        assertEquals(List.of(), SafeTensors.read(empty).tensors());
    }

    /**
     * The layout the Python safetensors library writes: "__metadata__" first, tensors sorted by dtype
     * (F64, F32, BF16, F16: descending alignment) then by name, data contiguous in that order, the header
     * compact and padded with spaces to a multiple of 8.
     */
    @Test
    void readsAFileLaidOutAsThePythonLibraryWritesIt() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"embedding\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]},"
                + "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[28,44]},"
                + "\"brain\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[44,48]},"
                + "\"half\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[48,56]}}";
        ByteBuffer data = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
        data.putDouble(0.1).putDouble(-2.5);
        data.putFloat(1).putFloat(2).putFloat(3);
        data.putFloat(1).putFloat(-1).putFloat(0.5f).putFloat(0.25f);
        data.putShort((short) 0x3F80).putShort((short) 0xC040); // bfloat16 1.0, -3.0
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF).putShort((short) 0x0001);
        Path file = Files.write(temp.resolve("python.safetensors"), file(padded(header), data.array()));

        SafeTensorsFile read = SafeTensors.read(file);

        assertEquals(List.of(
                new TensorData("embedding", new int[] {2}, new float[] {(float) 0.1, -2.5f}),
                new TensorData("bias", new int[] {3}, new float[] {1, 2, 3}),
                new TensorData("weight", new int[] {2, 2}, new float[] {1, -1, 0.5f, 0.25f}),
                new TensorData("brain", new int[] {2}, new float[] {1, -3}),
                new TensorData("half", new int[] {2, 2}, new float[] {1, -2, 65504, 0x1p-24f})), read.tensors());
        assertEquals(Map.of("format", "pt"), read.metadata());
    }

    @Test
    void writerProducesThePythonLayoutForF32TensorsGivenInThatOrder() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[4,12]}}";
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.5f).putFloat(-1).putFloat(2);
        Path file = temp.resolve("ours.safetensors");

        SafeTensors.write(file, List.of(new TensorData("bias", new int[] {1}, new float[] {0.5f}),
                new TensorData("weight", new int[] {1, 2}, new float[] {-1, 2})), Map.of("format", "pt"));

        assertArrayEquals(file(padded(header), data.array()), Files.readAllBytes(file));
    }

    @Test
    void unsortedEntriesAreAccepted() throws IOException {
        String header = "{\"second\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).array();
        Path file = Files.write(temp.resolve("unsorted.safetensors"), file(header, data));

        SafeTensorsFile read = SafeTensors.read(file);

        assertEquals(List.of("second", "first"), read.tensors().stream().map(TensorData::name).toList());
        assertArrayEquals(new float[] {2}, read.tensor("second").data());
        assertArrayEquals(new float[] {1}, read.tensor("first").data());
    }

    /** As the reference implementation, which refuses such files: the tensors tile the data section exactly. */
    @Test
    void overlapsGapsAndTrailingBytesAreRefused() throws IOException {
        byte[] data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).array();
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        Path file = Files.write(temp.resolve("overlap.safetensors"), file(overlap, data));
        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));
        assertEquals(8 + overlap.length() + 4, e.offset());
        assertEquals("tensor 'b' has data_offsets [4, 12], but the end of tensor 'a' is at 8: the two overlap"
                + " (the tensors must tile the data section)", e.detail());

        String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Files.write(file, file(gap, data));
        e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));
        assertEquals("tensor 'b' has data_offsets [8, 12], but the end of tensor 'a' is at 4: 4 bytes between them"
                + " belong to no tensor (the tensors must tile the data section)", e.detail());

        String trailing = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Files.write(file, file(trailing, data));
        e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));
        assertEquals(8 + trailing.length() + 8, e.offset());
        assertEquals("4 bytes follow the last tensor's data, which belong to no tensor (the tensors must tile the data"
                + " section)", e.detail());
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path file = Files.write(temp.resolve("short.safetensors"), new byte[] {8, 0, 0, 0, 0});

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals(file, e.path());
        assertEquals(5, e.offset());
        assertTrue(e.detail().startsWith("the file ended after 5 bytes; expected at least 8"), e.detail());
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        byte[] bytes = file("{}      ", new byte[4]);
        bytes[0] = (byte) 0xE8; // 1000
        bytes[1] = 3;
        Path file = Files.write(temp.resolve("long-header.safetensors"), bytes);

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals(0, e.offset());
        assertEquals("the header length is 1000 bytes, but only 12 bytes follow the length prefix (file size 20)",
                e.detail());
    }

    @Test
    void headerLengthAboveTwoToTheSixtyThreeIsReportedUnsigned() throws IOException {
        byte[] bytes = file("{}      ", new byte[0]);
        Arrays.fill(bytes, 0, 8, (byte) 0xFF);
        Path file = Files.write(temp.resolve("huge.safetensors"), bytes);

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertTrue(e.detail().startsWith("the header length is 18446744073709551615 bytes"), e.detail());
    }

    @Test
    void invalidJson() throws IOException {
        Path file = Files.write(temp.resolve("json.safetensors"), file("{\"a\":{\"dtype\":}", new byte[0]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals(8, e.offset());
        assertTrue(e.detail().startsWith("the header is not valid JSON: "), e.detail());
        assertTrue(!e.detail().contains("setLenient"), e.detail());
    }

    @Test
    void headerThatIsNotAnObject() throws IOException {
        Path file = Files.write(temp.resolve("array.safetensors"), file("[1, 2]  ", new byte[0]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals("expected the header to be a JSON object, found BEGIN_ARRAY at $", e.detail());
    }

    @Test
    void invalidUtf8IsReportedWhereItStarts() throws IOException {
        byte[] bytes = file("{\"ab\":{}}", new byte[0]);
        bytes[8 + 3] = (byte) 0xFF;
        Path file = Files.write(temp.resolve("utf8.safetensors"), bytes);

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals(11, e.offset());
        assertEquals("the header is not valid UTF-8", e.detail());
    }

    @Test
    void truncatedDataNamesTheTensorAndWhereTheFileEnded() throws IOException {
        Path file = temp.resolve("cut.safetensors");
        SafeTensors.write(file, List.of(new TensorData("w", new int[] {4}, new float[] {1, 2, 3, 4})));
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(whole, whole.length - 3));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        int size = whole.length - 3;
        assertEquals(size, e.offset());
        assertEquals("tensor 'w' has data_offsets [0, 16], which needs the file to reach offset " + whole.length
                + " (data starts at " + (whole.length - 16) + "), but the file ended at offset " + size, e.detail());
    }

    @Test
    void offsetsThatDisagreeWithShapeAndDtype() throws IOException {
        String header = "{\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,16]}}";
        Path file = Files.write(temp.resolve("span.safetensors"), file(header, new byte[16]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals(8 + header.indexOf("\"w\""), e.offset()); // where the entry of w starts
        assertEquals("tensor 'w' has data_offsets [4, 16] spanning 12 bytes, but shape [2] of F32 needs 2 x 4 = 8"
                + " bytes", e.detail());
    }

    @Test
    void endBeforeBegin() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}";
        Path file = Files.write(temp.resolve("reversed.safetensors"), file(header, new byte[8]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals("expected tensor 'w' to have data_offsets [begin, end] with begin <= end, found [8, 4]", e.detail());
    }

    @Test
    void unsupportedDtypeNamesTensorAndDtype() throws IOException {
        String header = "{\"position_ids\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Path file = Files.write(temp.resolve("i32.safetensors"), file(header, new byte[8]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals("tensor 'position_ids' has dtype 'I32', which Panagrad cannot read (it reads [F64, F32, BF16, I64, F16])",
                e.detail());
    }

    @Test
    void int64CountersAreWrittenAndReadAsPyTorchStoresNumBatchesTracked() throws IOException {
        Path file = temp.resolve("bn.safetensors");
        List<TensorData> tensors = List.of(new TensorData("bn.running_mean", new int[] {2}, new float[] {0.5f, -1}),
                new TensorData("bn.num_batches_tracked", new int[] {}, new float[] {4690}, "I64"));

        SafeTensors.write(file, tensors);

        byte[] bytes = Files.readAllBytes(file);
        String json = new String(bytes, 8, bytes.length - 8 - 16, StandardCharsets.UTF_8).trim();
        assertEquals("{\"bn.running_mean\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}", json);
        assertArrayEquals(new byte[] {(byte) 0x52, 0x12, 0, 0, 0, 0, 0, 0}, Arrays.copyOfRange(bytes, bytes.length - 8, bytes.length));
        assertEquals(tensors, SafeTensors.read(file).tensors());
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(temp.resolve("bad.safetensors"),
                List.of(new TensorData("n", new int[] {}, new float[] {0.5f}, "I64"))));
    }

    @Test
    void negativeOrFractionalShapes() throws IOException {
        String negative = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
        String fraction = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}";

        DataFormatException e1 = assertThrows(DataFormatException.class,
                () -> SafeTensors.read(Files.write(temp.resolve("neg"), file(negative, new byte[4]))));
        DataFormatException e2 = assertThrows(DataFormatException.class,
                () -> SafeTensors.read(Files.write(temp.resolve("frac"), file(fraction, new byte[4]))));

        assertEquals("expected tensor 'w' to have a shape of non-negative integers, found -1", e1.detail());
        assertTrue(e2.detail().startsWith("expected tensor 'w' to have a shape of non-negative integers, found a"
                + " fraction"), e2.detail());
    }

    @Test
    void missingFieldOfAnEntry() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}";
        Path file = Files.write(temp.resolve("noshape"), file(header, new byte[4]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals("expected tensor 'w' to have dtype, shape and data_offsets, found no shape", e.detail());
    }

    @Test
    void metadataValuesMustBeStrings() throws IOException {
        Path file = Files.write(temp.resolve("meta"), file("{\"__metadata__\":{\"epoch\":3}}", new byte[0]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals(8 + 1, e.offset());
        assertEquals("expected the value of '__metadata__' key 'epoch' to be a string, found NUMBER at"
                + " $.__metadata__.epoch", e.detail());
    }

    @Test
    void duplicateNamesInAHeader() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path file = Files.write(temp.resolve("dup"), file(header, new byte[4]));

        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(file));

        assertEquals("the header names 'w' twice", e.detail());
    }

    @Test
    void invalidTensorListFailsBeforeTouchingThePreviousFile() throws IOException {
        Path file = temp.resolve("model.safetensors");
        List<TensorData> good = List.of(new TensorData("w", new int[] {1}, new float[] {1}));
        SafeTensors.write(file, good);
        byte[] before = Files.readAllBytes(file);

        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file,
                List.of(new TensorData("w", new int[] {1}, new float[] {2}), new TensorData("w", new int[0], new float[1]))));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file,
                List.of(new TensorData("__metadata__", new int[0], new float[1]))));

        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(temp)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    /** Prefix, header and data, the header taken as given (no padding added). */
    private static byte[] file(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    private static String padded(String header) {
        return header + " ".repeat((8 - header.length() % 8) % 8);
    }
}
