package org.panagrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path temp;

    @Test
    void replacesAnExistingFileWithTheNewContent() throws IOException {
        Path target = Files.writeString(temp.resolve("metrics.json"), "old, longer content");

        AtomicFiles.write(target, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));

        assertEquals("new", Files.readString(target));
        assertEquals(List.of(target), listing());
    }

    @Test
    void failureMidwayLeavesThePreviousFileIntactAndNoTemporaryFile() throws IOException {
        Path target = Files.writeString(temp.resolve("weights.bin"), "good");
        IOException diskFull = new IOException("disk full");

        IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[300_000]); // more than the buffer, so bytes really reach the temporary file
            throw diskFull;
        }));

        assertSame(diskFull, thrown);
        assertEquals("good", Files.readString(target));
        assertEquals(List.of(target), listing());
    }

    @Test
    void uncheckedFailureAlsoCleansUp() throws IOException {
        Path target = temp.resolve("new.png");

        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
            out.write(1);
            throw new IllegalStateException("bug in the encoder");
        }));

        assertFalse(Files.exists(target));
        assertEquals(List.of(), listing());
    }

    @Test
    void missingDirectoryIsNamed() {
        Path target = temp.resolve("absent/out.json");

        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AtomicFiles.write(target, out -> {}));

        assertEquals(temp.resolve("absent").toString(), e.getFile());
        assertEquals("cannot write out.json: the directory does not exist", e.getReason());
    }

    @Test
    void theBodyMayCloseItsStream() throws IOException {
        Path target = temp.resolve("closed.txt");
        byte[] content = new byte[100_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) i;
        }

        AtomicFiles.write(target, out -> {
            try (out) {
                out.write(content);
            }
        });

        assertArrayEquals(content, Files.readAllBytes(target));
    }

    @Test
    void newFilesGetTheSamePermissionsAsOrdinaryFiles() throws IOException {
        assumeTrue(temp.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path ordinary = Files.write(temp.resolve("ordinary"), new byte[1]);
        Path atomic = temp.resolve("atomic");

        AtomicFiles.write(atomic, out -> out.write(1));

        assertEquals(Files.getPosixFilePermissions(ordinary), Files.getPosixFilePermissions(atomic));
    }

    @Test
    void relativeTargetsWork() throws IOException {
        Path target = Path.of("").toAbsolutePath().relativize(temp.resolve("relative.txt").toAbsolutePath());

        AtomicFiles.write(target, out -> out.write('x'));

        assertEquals("x", Files.readString(temp.resolve("relative.txt")));
    }

    private List<Path> listing() throws IOException {
        try (Stream<Path> files = Files.list(temp)) {
            return files.sorted().toList();
        }
    }

    /** A writer killed mid-write leaves ".name.<hex>.tmp"; the next run over the same target deletes exactly those. */
    @Test
    void staleTemporariesOfATargetAreFoundAndDeleted() throws IOException {
        Path target = temp.resolve("model.safetensors");
        Files.write(target, new byte[] {1});
        Path stale = Files.write(temp.resolve(".model.safetensors.3fa9c0d2e1b4a7f6.tmp"), new byte[] {2});
        Path otherTargets = Files.write(temp.resolve(".other.safetensors.3fa9c0d2e1b4a7f6.tmp"), new byte[] {3});
        Path notOurs = Files.write(temp.resolve(".model.safetensors.swp"), new byte[] {4});
        assertEquals("model.safetensors", AtomicFiles.temporaryTarget(stale.getFileName().toString()));
        assertEquals(null, AtomicFiles.temporaryTarget(notOurs.getFileName().toString()));
        assertEquals(null, AtomicFiles.temporaryTarget("model.safetensors"));

        assertEquals(1, AtomicFiles.deleteStaleTemporaries(target));
        assertEquals(List.of(true, true, true), List.of(Files.exists(target), Files.exists(otherTargets), Files.exists(notOurs)));
        assertFalse(Files.exists(stale));
    }
}
