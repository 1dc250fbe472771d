package org.panagrad.demo;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C (and SIGTERM) sent to a real training process, just after an epoch line or in the middle of an epoch:
 * it saves, prints the {@code interrupted:} line and exits with 130, with no exception on stderr; the checkpoint
 * holds at least the completed epochs and loads, and the metrics log and its chart are complete.
 */
class CtrlCTest extends SyntheticDataTest {
    @ParameterizedTest(name = "{0} after {1} epochs + {2} ms")
    @CsvSource({"INT, 2, 0", "INT, 1, 150", "TERM, 2, 40", "INT, 3, 5"})
    void aSignalSavesPrintsTheInterruptedLineAndExitsCleanly(String signal, int epochs, int millis) throws Exception {
        Path out = dir.resolve("out");
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--layers", SyntheticMnist.LAYERS,
                "--batch", "32", "--epochs", "500", "--threads", "1", "--out-dir", out.toString()));
        try (ChildJvm child = ChildJvm.start(dir.resolve("runs"), args)) {
            assertTrue(child.awaitLine(l -> l.startsWith("epoch " + epochs + "/500"), 120_000), child::toString);
            Thread.sleep(millis);
            child.signal(signal);
            assertEquals(Main.EXIT_INTERRUPTED, child.await(60), child::toString);
            String err = child.err();
            assertTrue(err.startsWith("interrupted: saved " + out.resolve("model.safetensors") + " (step "), child::toString);
            assertTrue(err.contains("; continue with --resume " + out.resolve("model.safetensors")), child::toString);
            assertFalse(err.contains("Exception") || err.contains("\tat "), child::toString);

            Checkpoint saved = Checkpoint.load(out.resolve("model.safetensors"), null);
            long done = saved.metadataLong(Checkpoint.EPOCH, -1);
            assertTrue(done >= epochs, "the checkpoint is at epoch " + done + ", after " + epochs + " were printed");
            assertTrue(Files.exists(Checkpoint.optimizerState(out.resolve("model.safetensors"))));
            List<String> logged = Files.readAllLines(out.resolve("metrics.jsonl"));
            assertEquals(done, logged.size(), () -> String.join("\n", logged));
            byte[] png = Files.readAllBytes(out.resolve("metrics.png"));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
            try (var files = Files.list(out)) {
                assertEquals(4, files.count(), "model, its optimizer state, metrics.jsonl and metrics.png");
            }
        }
    }
}
