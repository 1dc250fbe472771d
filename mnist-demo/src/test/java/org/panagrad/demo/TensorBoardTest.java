package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.io.tensorboard.Event;
import org.panagrad.io.tensorboard.EventReader;
import org.panagrad.io.tensorboard.EventWriter;
import org.panagrad.io.tensorboard.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train --tensorboard}: the event files read back (every CRC checked by the reader), tag by tag and step by step. */
class TensorBoardTest {
    @TempDir
    Path dir;

    /** A run that a NaN stops still leaves readable event files, with the loss of the step that stopped it. */
    @Test
    void aRunStoppedByANaNLossKeepsItsLogsUpToThatStep() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 600, 300);
        Path logs = dir.resolve("tb");
        Cli r = Cli.train(data, "--batch", "32", "--lr", "1e30", "--tensorboard", logs.toString(),
                "--checkpoint", dir.resolve("ck.safetensors").toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("error: the training loss is NaN at step 2 (epoch 1, batch 2 of 19)"), r::toString);
        TreeMap<Long, Float> loss = new TreeMap<>();
        for (Event e : EventReader.read(EventReader.files(logs).get(0))) {
            for (Event.Value v : e.values()) if (v.tag().equals("train/loss")) loss.put(e.step(), v.scalar());
        }
        assertEquals(List.of(0L, 1L), new ArrayList<>(loss.keySet()), loss::toString);
        assertTrue(Float.isFinite(loss.get(0L)) && Float.isNaN(loss.get(1L)), loss::toString);
    }

    @Test
    void trainingWritesTheScalarsHistogramsAndGradientNormsAtTheirSteps() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 600, 300);
        Path logs = dir.resolve("tb");
        // 600 images in batches of 64: 10 steps per epoch (the last of 24 images), 2 epochs; cosine from 0.1 over the 20 steps.
        Cli r = Cli.train(data, "--epochs", "2", "--batch", "64", "--lr", "0.1", "--lr-schedule", "cosine", "--tensorboard", logs.toString(),
                "--histogram-every", "4", "--checkpoint", dir.resolve("with.safetensors").toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("tensorboard: ") && r.out().contains("of the last epoch"), r::toString);

        List<Path> files = EventReader.files(logs);
        assertEquals(1, files.size());
        List<Event> events = EventReader.read(files.get(0));
        assertEquals(EventWriter.FILE_VERSION, events.get(0).fileVersion());
        Map<String, TreeMap<Long, Float>> scalars = new TreeMap<>();
        Map<String, List<Long>> histogramSteps = new TreeMap<>();
        Map<String, Histogram> lastHistogram = new TreeMap<>();
        for (Event e : events.subList(1, events.size())) {
            assertEquals(1, e.values().size());
            Event.Value v = e.values().get(0);
            if (v.isHistogram()) {
                histogramSteps.computeIfAbsent(v.tag(), k -> new ArrayList<>()).add(e.step());
                lastHistogram.put(v.tag(), v.histogram());
            } else {
                scalars.computeIfAbsent(v.tag(), k -> new TreeMap<>()).put(e.step(), v.scalar());
            }
        }
        // The loss at every step, 0..19.
        assertEquals(new TreeSet<>(range(0, 20)), scalars.get("train/loss").navigableKeySet());
        // Test metrics after each epoch, at the steps taken so far.
        assertEquals(List.of(10L, 20L), new ArrayList<>(scalars.get("test/accuracy").keySet()));
        assertTrue(scalars.get("test/accuracy").get(20L) > 0.5f);
        assertEquals(List.of(10L, 20L), new ArrayList<>(scalars.get("test/loss").keySet()));
        // Every 4 steps (on full batches): weights from step 0, gradients and their norms from step 4 on.
        List<Long> weightSteps = List.of(0L, 4L, 8L, 12L, 16L), gradientSteps = List.of(4L, 8L, 12L, 16L);
        for (String p : List.of("0.weight", "0.bias", "2.weight", "2.bias")) {
            assertEquals(weightSteps, histogramSteps.get("weights/" + p), p);
            assertEquals(gradientSteps, histogramSteps.get("gradients/" + p), p);
            assertEquals(new TreeSet<>(gradientSteps), scalars.get("gradient_norm/" + p).navigableKeySet(), p);
            assertTrue(scalars.get("gradient_norm/" + p).values().stream().allMatch(n -> n > 0 && Float.isFinite(n)), p);
        }
        // Bucket counts add up to each tensor's size.
        Map<String, Integer> sizes = Map.of("0.weight", 64 * 16, "0.bias", 16, "2.weight", 16 * 10, "2.bias", 10);
        sizes.forEach((p, n) -> {
            for (String kind : List.of("weights/", "gradients/")) {
                Histogram h = lastHistogram.get(kind + p);
                assertEquals((double) n, Arrays.stream(h.bucketCounts()).sum(), kind + p);
                assertEquals((double) n, h.num(), kind + p);
                assertEquals(h.max(), h.bucketLimits()[h.bucketLimits().length - 1]);
            }
        });
        assertEquals(weightSteps, new ArrayList<>(scalars.get("train/learning_rate").keySet()));
        for (long step : weightSteps) { // the rate the step at that count used
            assertEquals((float) (0.05 * (1 + Math.cos(Math.PI * step / 20))), scalars.get("train/learning_rate").get(step));
        }
        assertTrue(scalars.get("train/samples_per_second").values().stream().allMatch(v -> v > 0));
        assertTrue(Files.exists(logs.resolve(TensorBoardLogger.RUN_FILE)));

        // Logging reads the parameters and runs a separate gradient program: training is unchanged, bit for bit.
        Cli plain = Cli.train(data, "--epochs", "2", "--batch", "64", "--lr", "0.1", "--lr-schedule", "cosine", "--checkpoint",
                dir.resolve("without.safetensors").toString());
        assertEquals(0, plain.exitCode(), plain::toString);
        assertArrayEquals(Checkpoint.load(dir.resolve("with.safetensors"), null).tensors().get(0).data(),
                Checkpoint.load(dir.resolve("without.safetensors"), null).tensors().get(0).data());
    }

    private static List<Long> range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long i = from; i < to; i++) l.add(i);
        return l;
    }
}
