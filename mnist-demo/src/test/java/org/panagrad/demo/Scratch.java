package org.panagrad.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * A directory in memory (/dev/shm) where there is one, for tests that write a file per step: on ext4 each
 * fsync'd rewrite costs milliseconds.
 */
final class Scratch {
    private Scratch() {}

    static Path directory(String prefix) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) return Files.createTempDirectory(shm, prefix);
        return Files.createTempDirectory(prefix);
    }

    static void delete(Path directory) throws IOException {
        try (var all = Files.walk(directory)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
