package org.panagrad.demo;

import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Which data set a model was trained on, kept in its checkpoint's metadata: MNIST and Fashion-MNIST have the
 * same file names and format, so only the content tells them apart. The CRC-32 of the label bytes identifies a
 * set (MNIST's and Fashion-MNIST's are listed by name); reading the labels costs nothing next to the images.
 */
record DataIdentity(String name, String trainLabels, String testLabels) {
    static final String NAME = "data";
    static final String TRAIN = "data_train_labels_crc32";
    static final String TEST = "data_test_labels_crc32";

    /** The published label files' CRC-32s (of the bytes after the 8-byte header). */
    private static final Map<String, String[]> KNOWN = Map.of(
            "mnist", new String[] {"ba07e8ef", "ee8604d9"},
            "fashion-mnist", new String[] {"2ed6e46a", "242bc73f"});

    static DataIdentity of(Mnist data) {
        String train = crc(data.train()), test = crc(data.test());
        String name = "unknown";
        for (Map.Entry<String, String[]> k : KNOWN.entrySet()) {
            if (k.getValue()[0].equals(train) && k.getValue()[1].equals(test)) name = k.getKey();
        }
        return new DataIdentity(name, train, test);
    }

    private static String crc(Dataset set) {
        CRC32 crc = new CRC32();
        for (int label : set.labels()) crc.update(label);
        return String.format("%08x", crc.getValue());
    }

    Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(NAME, name);
        m.put(TRAIN, trainLabels);
        m.put(TEST, testLabels);
        return m;
    }

    /** "Fashion-MNIST", "MNIST", or "other data (test labels CRC-32 1234abcd)". */
    static String describe(String name, String labelsCrc) {
        return switch (name == null ? "unknown" : name) {
            case "mnist" -> "MNIST";
            case "fashion-mnist" -> "Fashion-MNIST";
            default -> "other data (labels CRC-32 " + labelsCrc + ")";
        };
    }

    /**
     * Fails when the checkpoint's metadata names other data than {@code this} for the part used ({@code train}:
     * the training set, for resuming; else the test set); silent when the checkpoint does not say (PyTorch's).
     */
    void check(Map<String, String> checkpointMetadata, Object checkpoint, java.nio.file.Path dataDirectory,
               boolean train, String override) {
        String recorded = checkpointMetadata.get(train ? TRAIN : TEST);
        String here = train ? trainLabels : testLabels;
        if (recorded == null || recorded.equals(here)) return;
        String was = describe(checkpointMetadata.get(NAME), recorded), is = describe(name, here);
        if (was.equals(is)) was = was + " with other " + (train ? "training" : "test") + " labels";
        throw new IllegalArgumentException((dataDirectory != null ? dataDirectory : "the data found") + " holds " + is
                + ", but " + checkpoint + " was trained on " + was + "; pass --data with that data"
                + (override == null ? "" : ", or " + override + " to go on anyway"));
    }
}
