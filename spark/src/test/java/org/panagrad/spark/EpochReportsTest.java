package org.panagrad.spark;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver's end of the epoch reports: a stray connection is dropped and task 0's, named by the stage's
 * token, is served; reports arrive in order and each send returns once the driver has handled it; a driver that
 * fails on a report (an exception or an Error) fails task 0's send at once and keeps its own failure for the run.
 */
class EpochReportsTest {
    private static EpochReports.Report report(int epoch) {
        return new EpochReports.Report(epoch, new float[] {epoch, 2}, new float[0], FlatUpdate.sgd(2, 0.1, 0.9), new double[] {0.5, epoch});
    }

    @Test
    void taskZerosReportsArriveInOrderAndAStrayConnectionIsDropped() throws Exception {
        List<Integer> handled = new ArrayList<>();
        List<float[]> parameters = new ArrayList<>();
        try (EpochReports reports = EpochReports.open("127.0.0.1", "127.0.0.1", r -> {
            handled.add(r.epochsDone());
            parameters.add(r.parameters());
        })) {
            try (Socket stray = Addresses.connect(reports.ticket().address(), 5_000, "the test's reports")) {
                OutputStream out = stray.getOutputStream();
                out.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}); // a wrong token (all of it read: the driver's close is then a clean end)
                out.flush();
                assertEquals(-1, stray.getInputStream().read(), "the driver drops the stray connection");
            }
            try (EpochReports.Sender task0 = new EpochReports.Sender(reports.ticket())) {
                task0.send(report(1));
                assertEquals(List.of(1), handled, "send returns once the driver has handled the report");
                task0.send(report(2));
            }
            reports.finish();
            assertEquals(List.of(1, 2), handled);
            assertArrayEquals(new float[] {2, 2}, parameters.get(1));
        }
    }

    @Test
    void aDriverThatFailsOnAReportFailsTaskZeroAndTheRun() throws Exception {
        try (EpochReports reports = EpochReports.open("127.0.0.1", "127.0.0.1", r -> {
            throw new IllegalStateException("after epoch " + r.epochsDone() + ": disk full");
        })) {
            try (EpochReports.Sender task0 = new EpochReports.Sender(reports.ticket())) {
                UncheckedIOException lost = assertThrows(UncheckedIOException.class, () -> task0.send(report(1)));
                assertTrue(lost.getMessage().contains("before acknowledging epoch 1"), lost.getMessage());
            }
            reports.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, reports::rethrowDriverFailure);
            assertEquals("after epoch 1: disk full", e.getMessage());
        }
    }

    @Test
    void anErrorInTheDriversConsumerFailsTaskZeroAndTheRunNamingTheEpoch() throws Exception {
        try (EpochReports reports = EpochReports.open("127.0.0.1", "127.0.0.1", r -> {
            if (r.epochsDone() == 2) throw new OutOfMemoryError("Java heap space");
        })) {
            try (EpochReports.Sender task0 = new EpochReports.Sender(reports.ticket())) {
                task0.send(report(1));
                UncheckedIOException lost = assertThrows(UncheckedIOException.class, () -> task0.send(report(2)));
                assertTrue(lost.getMessage().contains("before acknowledging epoch 2"), lost.getMessage());
            }
            reports.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, reports::rethrowDriverFailure);
            assertEquals("the driver failed while handling epoch 2's report: java.lang.OutOfMemoryError: Java heap space", e.getMessage());
            assertTrue(e.getCause() instanceof OutOfMemoryError, String.valueOf(e.getCause()));
        }
    }
}
