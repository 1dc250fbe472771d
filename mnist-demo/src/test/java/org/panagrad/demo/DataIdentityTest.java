package org.panagrad.demo;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** MNIST and Fashion-MNIST share names and format: the checkpoint's label CRC-32s tell them apart, by name. */
class DataIdentityTest {
    private static final DataIdentity MNIST = new DataIdentity("mnist", "ba07e8ef", "ee8604d9");
    private static final DataIdentity FASHION = new DataIdentity("fashion-mnist", "2ed6e46a", "242bc73f");

    @Test
    void fashionMnistWhereTheCheckpointSaysMnistIsNamedAsSuch() {
        Path ck = Path.of("mnist-model.safetensors"), data = Path.of("data/fashion");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FASHION.check(MNIST.metadata(), ck, data, false, "--allow-other-data"));
        assertEquals("data/fashion holds Fashion-MNIST, but mnist-model.safetensors was trained on MNIST; pass --data with"
                + " that data, or --allow-other-data to go on anyway", e.getMessage());
        MNIST.check(MNIST.metadata(), ck, data, false, null);       // the same data
        FASHION.check(Map.of("format", "pt"), ck, data, true, null); // a file PyTorch wrote does not say
    }

    @Test
    void theSameSetWithOtherLabelsIsCaughtToo() {
        DataIdentity relabelled = new DataIdentity("unknown", "ba07e8ef", "00000000");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> relabelled.check(MNIST.metadata(), Path.of("m.safetensors"), Path.of("d"), false, null));
        assertEquals("d holds other data (labels CRC-32 00000000), but m.safetensors was trained on MNIST; pass --data with"
                + " that data", e.getMessage());
    }
}
