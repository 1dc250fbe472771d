package org.panagrad.demo;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

/** Tests that run commands on the small synthetic data set (600 training, 300 test images), in a fresh directory. */
abstract class SyntheticDataTest {
    @TempDir
    Path dir;
    Path data;

    @BeforeEach
    void writeData() throws IOException {
        data = SyntheticMnist.write(dir.resolve("data"), 600, 300);
    }
}
