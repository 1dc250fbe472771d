package org.panagrad.io;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import com.google.gson.stream.MalformedJsonException;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON header of a safetensors file: {@code {"__metadata__": {string: string}, "name": {"dtype": "F32",
 * "shape": [..], "data_offsets": [begin, end]}, ...}}, with offsets relative to the data section that follows
 * the header. Keys of a tensor entry other than these three are ignored, as the reference implementation
 * does.
 */
record SafeTensorsHeader(Map<String, String> metadata, List<Entry> entries) {
    static final String METADATA_KEY = "__metadata__";
    /** Offset of the header in the file: right after the 8-byte length prefix. */
    static final int START = 8;
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** One tensor's description, checked for consistency between dtype, shape and offsets. */
    record Entry(String name, SafeTensorsDtype dtype, int[] shape, int elements, long begin, long end) {}

    /**
     * The header for F32 tensors stored one after the other in list order, preceded by the metadata (if
     * any), padded with spaces to a multiple of 8 bytes so that the data starts aligned, as PyTorch and
     * Hugging Face do.
     */
    static byte[] encode(List<TensorData> tensors, Map<String, String> metadata) {
        Set<String> names = new HashSet<>();
        for (TensorData tensor : tensors) {
            if (tensor.name().equals(METADATA_KEY)) {
                throw new IllegalArgumentException("'" + METADATA_KEY + "' is reserved and cannot name a tensor");
            }
            if (!names.add(tensor.name())) {
                throw new IllegalArgumentException("two tensors are named '" + tensor.name() + "'");
            }
        }
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.beginObject();
            if (!metadata.isEmpty()) {
                json.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> entry : metadata.entrySet()) {
                    json.name(entry.getKey()).value(requireValue(entry));
                }
                json.endObject();
            }
            long offset = 0;
            for (TensorData tensor : tensors) {
                SafeTensorsDtype dtype = SafeTensors.writable(tensor);
                long end = offset + (long) dtype.bytes * tensor.data().length;
                json.name(tensor.name()).beginObject().name("dtype").value(dtype.name());
                json.name("shape").beginArray();
                for (int dimension : tensor.shape()) {
                    json.value(dimension);
                }
                json.endArray();
                json.name("data_offsets").beginArray().value(offset).value(end).endArray();
                json.endObject();
                offset = end;
            }
            json.endObject();
        } catch (IOException impossible) {
            throw new AssertionError("a StringWriter does not fail", impossible);
        }
        byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(utf8, (utf8.length + 7) / 8 * 8);
        Arrays.fill(padded, utf8.length, padded.length, (byte) ' ');
        return padded;
    }

    private static String requireValue(Map.Entry<String, String> entry) {
        if (entry.getValue() == null) {
            throw new IllegalArgumentException("metadata '" + entry.getKey() + "' has a null value");
        }
        return entry.getValue();
    }

    /**
     * Parses and checks the header text of {@code path}: strict JSON, one object, string metadata, known
     * dtypes, shapes that fit a Java array, and data offsets whose span is exactly shape times element size.
     * Whether the offsets lie inside the file is for the caller to check.
     */
    static SafeTensorsHeader parse(Path path, String text) throws DataFormatException {
        Parser parser = new Parser(path, text);
        try {
            return parser.header();
        } catch (MalformedJsonException | EOFException | IllegalStateException | NumberFormatException syntax) {
            throw new DataFormatException(path, START, "the header is not valid JSON: " + syntax.getMessage()
                    .replace("Use JsonReader.setLenient(true) to accept malformed JSON", "malformed JSON"), syntax);
        } catch (DataFormatException semantic) {
            throw semantic;
        } catch (IOException impossible) {
            throw new AssertionError("a StringReader does not fail", impossible);
        }
    }

    /** A strict streaming parse that knows the text, to point error messages at the entry concerned. */
    private static final class Parser {
        private final Path path;
        private final String text;
        private final JsonReader json;

        Parser(Path path, String text) {
            this.path = path;
            this.text = text;
            this.json = new JsonReader(new StringReader(text));
            this.json.setLenient(false);
        }

        SafeTensorsHeader header() throws IOException {
            expect(JsonToken.BEGIN_OBJECT, "the header to be a JSON object", START);
            json.beginObject();
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            while (json.hasNext()) {
                String name = json.nextName();
                if (!seen.add(name)) {
                    throw new DataFormatException(path, offsetOf(name), "the header names '" + name + "' twice");
                }
                if (name.equals(METADATA_KEY)) {
                    readMetadata(metadata);
                } else {
                    entries.add(readEntry(name));
                }
            }
            json.endObject();
            if (json.peek() != JsonToken.END_DOCUMENT) {
                throw new DataFormatException(path, START, "expected only spaces after the header's JSON object");
            }
            return new SafeTensorsHeader(metadata, entries);
        }

        private void readMetadata(Map<String, String> metadata) throws IOException {
            long at = offsetOf(METADATA_KEY);
            expect(JsonToken.BEGIN_OBJECT, "'" + METADATA_KEY + "' to be an object of strings", at);
            json.beginObject();
            while (json.hasNext()) {
                String key = json.nextName();
                expect(JsonToken.STRING, "the value of '" + METADATA_KEY + "' key '" + key + "' to be a string", at);
                metadata.put(key, json.nextString());
            }
            json.endObject();
        }

        private Entry readEntry(String name) throws IOException {
            long at = offsetOf(name);
            String what = "tensor '" + name + "'";
            expect(JsonToken.BEGIN_OBJECT, what + " to be an object with dtype, shape and data_offsets", at);
            json.beginObject();
            String dtypeName = null;
            long[] shape = null;
            long[] offsets = null;
            while (json.hasNext()) {
                switch (json.nextName()) {
                    case "dtype" -> {
                        expect(JsonToken.STRING, what + " to have a string dtype", at);
                        dtypeName = json.nextString();
                    }
                    case "shape" -> shape = readNaturals(what + " to have a shape of non-negative integers", at);
                    case "data_offsets" -> offsets = readNaturals(
                            what + " to have data_offsets [begin, end] of non-negative integers", at);
                    default -> json.skipValue();
                }
            }
            json.endObject();
            if (dtypeName == null || shape == null || offsets == null) {
                throw new DataFormatException(path, at, "expected " + what + " to have dtype, shape and data_offsets"
                        + ", found " + (dtypeName == null ? "no dtype" : shape == null ? "no shape" : "no data_offsets"));
            }
            SafeTensorsDtype dtype = SafeTensorsDtype.named(dtypeName);
            if (dtype == null) {
                throw new DataFormatException(path, at, what + " has dtype '" + dtypeName
                        + "', which Panagrad cannot read (it reads " + Arrays.toString(SafeTensorsDtype.values()) + ")");
            }
            if (offsets.length != 2 || offsets[0] > offsets[1]) {
                throw new DataFormatException(path, at, "expected " + what + " to have data_offsets [begin, end] with"
                        + " begin <= end, found " + Arrays.toString(offsets));
            }
            long elements = 1;
            int[] dimensions = new int[shape.length];
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] > Integer.MAX_VALUE) {
                    throw new DataFormatException(path, at, what + " has shape " + Arrays.toString(shape)
                            + ", with a dimension beyond " + Integer.MAX_VALUE);
                }
                // Capping keeps the product from overflowing; anything above the cap is rejected below.
                elements = Math.min(elements * shape[i], MAX_ELEMENTS + 1);
                dimensions[i] = (int) shape[i];
            }
            if (elements > MAX_ELEMENTS) {
                throw new DataFormatException(path, at, what + " has shape " + Arrays.toString(shape)
                        + ", more elements than one Java array holds (" + MAX_ELEMENTS + ")");
            }
            long bytes = elements * dtype.bytes;
            if (offsets[1] - offsets[0] != bytes) {
                throw new DataFormatException(path, at, what + " has data_offsets " + Arrays.toString(offsets)
                        + " spanning " + (offsets[1] - offsets[0]) + " bytes, but shape " + Arrays.toString(shape)
                        + " of " + dtype + " needs " + elements + " x " + dtype.bytes + " = " + bytes + " bytes");
            }
            return new Entry(name, dtype, dimensions, (int) elements, offsets[0], offsets[1]);
        }

        private long[] readNaturals(String expectation, long at) throws IOException {
            expect(JsonToken.BEGIN_ARRAY, expectation, at);
            json.beginArray();
            List<Long> values = new ArrayList<>();
            while (json.hasNext()) {
                expect(JsonToken.NUMBER, expectation, at);
                long value;
                try {
                    value = json.nextLong();
                } catch (NumberFormatException notAnInteger) {
                    throw new DataFormatException(path, at, "expected " + expectation + ", found a fraction or a"
                            + " number beyond 64 bits at " + json.getPath());
                }
                if (value < 0) {
                    throw new DataFormatException(path, at, "expected " + expectation + ", found " + value);
                }
                values.add(value);
            }
            json.endArray();
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        private void expect(JsonToken token, String expectation, long at) throws IOException {
            JsonToken found = json.peek();
            if (found != token) {
                throw new DataFormatException(path, at, "expected " + expectation + ", found " + found + " at "
                        + json.getPath());
            }
        }

        /**
         * The file offset where the header mentions {@code name} first (for a tensor, where its entry starts),
         * or the header start if the name is written with escapes that make it hard to find.
         */
        private long offsetOf(String name) {
            int index = text.indexOf('"' + name + '"');
            if (index < 0) {
                return START;
            }
            return START + text.substring(0, index).getBytes(StandardCharsets.UTF_8).length;
        }
    }
}
