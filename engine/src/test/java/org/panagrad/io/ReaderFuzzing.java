package org.panagrad.io;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the fuzz tests of the file readers check on every mutated file: the reader either returns, or throws the
 * project's {@link DataFormatException} naming the file and a byte offset inside it; it never throws anything
 * else (an unchecked exception, an OutOfMemoryError), never runs longer than a few seconds, and never
 * allocates much more than the file's size, whatever its header claims. Each read runs on a worker thread, so
 * that a hang fails the test instead of stalling the build, and so that its allocation can be measured alone.
 */
final class ReaderFuzzing implements AutoCloseable {
    /** What a read may allocate besides a few times the file: buffers, the parsed header, boxing. */
    private static final long SLACK_BYTES = 4L << 20;

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzzed-reader");
        t.setDaemon(true);
        return t;
    });
    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The outcome of one read: the value read, or the format error. */
    record Outcome<T>(T value, DataFormatException error) {}

    interface Reader<T> {
        T read(Path file) throws IOException;
    }

    /**
     * Reads {@code file} (holding {@code content}), checking the contract above; {@code decodedBytesPerFileByte}
     * bounds what a correct read allocates per byte of (decompressed) content.
     */
    <T> Outcome<T> read(Path file, byte[] content, long decodedBytes, Reader<T> reader, String mutation)
            throws IOException, InterruptedException {
        Files.write(file, content);
        Callable<Outcome<T>> task = () -> {
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            Outcome<T> outcome;
            try {
                outcome = new Outcome<>(reader.read(file), null);
            } catch (DataFormatException e) {
                outcome = new Outcome<>(null, e);
            }
            long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            if (allocated > decodedBytes + SLACK_BYTES) {
                throw new AssertionError(mutation + ": allocated " + allocated + " bytes reading a file of "
                        + content.length + " bytes (" + decodedBytes + " decoded)");
            }
            return outcome;
        };
        Future<Outcome<T>> future = worker.submit(task);
        Outcome<T> outcome;
        try {
            outcome = future.get(20, TimeUnit.SECONDS);
        } catch (TimeoutException hang) {
            future.cancel(true);
            throw new AssertionError(mutation + ": the reader was still running after 20 s");
        } catch (ExecutionException failure) {
            throw new AssertionError(mutation + ": expected a value or a DataFormatException, got "
                    + failure.getCause(), failure.getCause());
        }
        if (outcome.error() != null) {
            DataFormatException e = outcome.error();
            if (!file.equals(e.path()) || e.offset() < 0 || !e.getMessage().startsWith(file + ": at byte offset "
                    + e.offset() + ": ")) {
                throw new AssertionError(mutation + ": the error must name the file and an offset: " + e.getMessage(), e);
            }
        }
        return outcome;
    }

    /**
     * A directory for the mutated files: in memory (/dev/shm) where there is one, because rewriting a file on
     * ext4 flushes it to disk (milliseconds per case, minutes per run), else the usual temporary directory.
     */
    static Path scratchDirectory(String prefix) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) return Files.createTempDirectory(shm, prefix);
        return Files.createTempDirectory(prefix);
    }

    /** Deletes the scratch directory and the files in it. */
    static void delete(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        Files.delete(directory);
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
