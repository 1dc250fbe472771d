package org.panagrad.io.tensorboard;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * Writes a TensorBoard event file, as PyTorch's SummaryWriter does: {@code events.out.tfevents.<seconds>.<host>}
 * in a log directory, a first event naming the format version, then one event per scalar or histogram, each a
 * TFRecord. The file is a log that TensorBoard reads while it grows, so it is appended to, not replaced;
 * {@link #flush} makes what was logged visible (and a crash then loses at most the records after it).
 */
public final class EventWriter implements Closeable {
    /** What TensorBoard expects in the first event of a file. */
    public static final String FILE_VERSION = "brain.Event:2";

    private final Path file;
    private final OutputStream out;

    private EventWriter(Path file) throws IOException {
        this.file = file;
        this.out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), 1 << 16);
        write(new Event(now(), 0, FILE_VERSION, List.of()));
        out.flush();
    }

    /** A new event file in {@code logDir}, which is created if needed. */
    public static EventWriter create(Path logDir) throws IOException {
        Files.createDirectories(logDir);
        long seconds = System.currentTimeMillis() / 1000;
        String base = String.format(Locale.ROOT, "events.out.tfevents.%d.%s", seconds, host());
        Path file = logDir.resolve(base);
        for (int k = 1; Files.exists(file); k++) file = logDir.resolve(base + "." + k);
        return new EventWriter(file);
    }

    public Path file() {
        return file;
    }

    public void scalar(String tag, long step, double value) throws IOException {
        write(new Event(now(), step, null, List.of(Event.Value.scalar(tag, (float) value))));
    }

    public void histogram(String tag, long step, Histogram histogram) throws IOException {
        write(new Event(now(), step, null, List.of(Event.Value.histogram(tag, histogram))));
    }

    public void write(Event event) throws IOException {
        out.write(TfRecord.frame(EventProto.encode(event)));
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "_");
        } catch (IOException e) {
            return "localhost";
        }
    }
}
