package org.panagrad.io.tensorboard;

import org.panagrad.io.DataFormatException;
import org.panagrad.io.ProtoReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads TensorBoard event files back: checks every record's two CRCs and decodes its Event. A damaged record
 * fails with the file and the byte offset. A record cut short at the very end (a writer still running, or
 * killed mid-write) is where the file ends, as TensorBoard treats it.
 */
public final class EventReader {
    private EventReader() {}

    public static List<Event> read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        List<Event> events = new ArrayList<>();
        int at = 0;
        while (at < b.length) {
            if (b.length - at < TfRecord.HEADER) break;
            long length = TfRecord.getLong(b, at);
            if (TfRecord.getInt(b, at + 8) != TfRecord.maskedCrc(b, at, 8)) {
                throw new DataFormatException(file, at + 8, "the CRC of the record length does not match");
            }
            // Beyond the file (unsigned: a uint64 from 2^63 up reads as negative): a record cut short at the end.
            int left = b.length - at - TfRecord.HEADER - TfRecord.FOOTER;
            if (left < 0 || Long.compareUnsigned(length, left) > 0) break;
            int data = at + TfRecord.HEADER, n = (int) length;
            if (TfRecord.getInt(b, data + n) != TfRecord.maskedCrc(b, data, n)) {
                throw new DataFormatException(file, data + n, "the CRC of the record data does not match");
            }
            events.add(EventProto.decode(new ProtoReader(file, 0, b, data, n)));
            at = data + n + TfRecord.FOOTER;
        }
        if (events.isEmpty() || !EventWriter.FILE_VERSION.equals(events.get(0).fileVersion())) {
            throw new DataFormatException(file, 0, "not a TensorBoard event file: the first event does not name "
                    + EventWriter.FILE_VERSION);
        }
        return events;
    }

    /** The event files in a log directory and its subdirectories, in name order (which is time order). */
    public static List<Path> files(Path logDir) throws IOException {
        try (Stream<Path> s = Files.walk(logDir, 3)) {
            return s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().contains("tfevents")).sorted().toList();
        }
    }
}
