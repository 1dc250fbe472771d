package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.TensorData;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainTest extends SyntheticDataTest {
    private Cli train(String... extra) {
        return Cli.train(data, extra);
    }

    @Test
    void oneEpochOnFiveHundredTwelveImagesWritesMetricsChartAndCheckpointAndLearns() throws IOException {
        Path ck = dir.resolve("out/model.safetensors"), metrics = dir.resolve("out/metrics.jsonl");
        Files.createDirectories(ck.getParent());
        Cli r = train("--samples", "512", "--epochs", "1", "--batch", "32", "--checkpoint", ck.toString(),
                "--metrics", metrics.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("epoch 1/1"), r::toString);

        List<String> lines = Files.readAllLines(metrics);
        assertEquals(1, lines.size());
        JsonObject line = new Gson().fromJson(lines.get(0), JsonObject.class);
        for (String key : new String[] {"epoch", "step", "train_loss", "test_loss", "test_accuracy", "seconds"}) {
            assertTrue(line.has(key), key + " missing in " + line);
        }
        assertEquals(1, line.get("epoch").getAsInt());
        assertEquals(16, line.get("step").getAsInt());
        assertTrue(line.get("test_accuracy").getAsDouble() > 0.5, line::toString); // chance is 0.1

        byte[] png = Files.readAllBytes(dir.resolve("out/metrics.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));

        Checkpoint c = Checkpoint.load(ck, null);
        assertArrayEquals(new int[] {64, 16, 10}, c.widths());
        Cli eval = Cli.run("eval", "--checkpoint", ck.toString(), "--data", data.toString());
        assertEquals(0, eval.exitCode(), eval::toString);
        String accuracy = String.format(java.util.Locale.ROOT, "test accuracy %.2f%%", 100 * line.get("test_accuracy").getAsDouble());
        assertTrue(eval.out().contains(accuracy), () -> accuracy + " in " + eval);
    }

    @Test
    void theSameSeedGivesTheSameModel() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors"), c = dir.resolve("c.safetensors");
        assertEquals(0, train("--epochs", "1", "--seed", "9", "--checkpoint", a.toString()).exitCode());
        assertEquals(0, train("--epochs", "1", "--seed", "9", "--checkpoint", b.toString()).exitCode());
        assertEquals(0, train("--epochs", "1", "--seed", "10", "--checkpoint", c.toString()).exitCode());
        assertEquals(SafeTensors.read(a).tensors(), SafeTensors.read(b).tensors());
        assertTrue(!java.util.Arrays.equals(SafeTensors.read(a).tensor("0.weight").data(),
                SafeTensors.read(c).tensor("0.weight").data()));
    }

    /**
     * Ctrl-C without signals: a stop requested in the middle of an epoch saves a checkpoint at that batch,
     * and resuming from it ends with exactly the weights of an uninterrupted run (same batches, same
     * momentum), the last partial batch of each epoch included (600 = 4 x 128 + 88).
     */
    @Test
    void stoppingMidEpochThenResumingMatchesAnUninterruptedRun() throws IOException {
        Path whole = dir.resolve("whole.safetensors");
        assertEquals(0, train("--epochs", "2", "--checkpoint", whole.toString()).exitCode());

        Path stopped = dir.resolve("stopped.safetensors");
        OptimizerChoice.Settings momentum = new OptimizerChoice.Settings(0.05, 1, new NewtonCgOptions());
        Interrupted.trainThenStop(data, OptimizerChoice.MOMENTUM, momentum, 128, 2, 600, stopped, 6); // epoch 2, batch 2 next
        Checkpoint mid = Checkpoint.load(stopped, null);
        assertEquals(1, mid.metadataLong(Checkpoint.EPOCH, -1));
        assertEquals(1, mid.metadataLong(Checkpoint.BATCH, -1));
        assertEquals(6, mid.metadataLong(Checkpoint.STEP, -1));
        assertTrue(Files.exists(Checkpoint.optimizerState(stopped)));

        Cli resumed = train("--epochs", "2", "--resume", stopped.toString(), "--checkpoint", stopped.toString());
        assertEquals(0, resumed.exitCode(), resumed::toString);
        assertTrue(resumed.out().contains("resuming " + stopped + " at epoch 2, batch 2"), resumed::toString);
        List<TensorData> expected = SafeTensors.read(whole).tensors(), actual = SafeTensors.read(stopped).tensors();
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).data(), actual.get(i).data(), expected.get(i).name());
        }
    }

    /**
     * The same with AdamW, linear warm-up and cosine decay: the schedule is a function of the step count the
     * checkpoint saves, so the resumed steps run at the rates the uninterrupted run used, bit for bit. Resuming
     * into a longer run would stretch the cosine, so that needs --allow-mismatch schedule.
     */
    @Test
    void resumingContinuesTheLearningRateScheduleExactly() throws IOException {
        List<String> recipe = List.of("--optimizer", "adamw", "--lr-schedule", "cosine", "--warmup-steps", "3",
                "--weight-decay", "0.02", "--epochs", "2");
        Path whole = dir.resolve("whole.safetensors"), stopped = dir.resolve("stopped.safetensors");
        Cli uninterrupted = train(with(recipe, "--checkpoint", whole.toString()));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted::toString);
        assertTrue(uninterrupted.out().contains("adamw lr 0.001 (cosine to 0 over 10 steps, warm-up 3 steps, weight decay 0.02)"),
                uninterrupted::toString);

        TrainCommand parsed = new TrainCommand();
        new CommandLine(parsed).parseArgs(recipe.toArray(new String[0]));
        ScheduleOptions.Plan plan = parsed.schedule.plan("mlp", parsed.optimizer, null, 5, 2); // 600 = 4 x 128 + 88
        OptimizerChoice.Settings settings = new OptimizerChoice.Settings(plan.lr(), 1, new NewtonCgOptions(),
                new KfacOptions(), plan.schedule(), plan.weightDecay(), plan.text());
        Interrupted.trainThenStop(data, plan.optimizer(), settings, 128, 2, 600, stopped, 4); // in the warm-up's wake
        Cli resumed = train(with(recipe, "--resume", stopped.toString(), "--checkpoint", stopped.toString()));
        assertEquals(0, resumed.exitCode(), resumed::toString);
        List<TensorData> expected = SafeTensors.read(whole).tensors(), actual = SafeTensors.read(stopped).tensors();
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).data(), actual.get(i).data(), expected.get(i).name());
        }

        List<String> longer = new java.util.ArrayList<>(recipe);
        longer.set(longer.size() - 1, "3");
        Cli refused = train(with(longer, "--resume", whole.toString(), "--checkpoint", dir.resolve("longer.safetensors").toString()));
        assertEquals(Main.EXIT_FAILURE, refused.exitCode(), refused::toString);
        assertTrue(refused.err().contains("cosine to 0 over 15 steps") && refused.err().contains("--allow-mismatch schedule"),
                refused::toString);
    }

    /**
     * {@code train --model vit-tiny} alone trains with the model's recipe, and a resumed run, which takes the model
     * from its checkpoint, finds the same recipe there.
     */
    @Test
    void vitTinyTrainsWithItsRecipeAndResumesIntoIt() throws IOException {
        Path images = SyntheticMnist.write(dir.resolve("data28"), 32, 16, 28), ck = dir.resolve("vit.safetensors");
        Cli r = Cli.run("train", "--no-progress", "--data", images.toString(), "--model", "vit-tiny", "--epochs", "1",
                "--batch", "32", "--checkpoint", ck.toString(), "--metrics", dir.resolve("vit.jsonl").toString());
        assertEquals(0, r.exitCode(), r::toString);
        String recipe = "adamw lr 0.002 (cosine to 0 over 1 steps, warm-up 200 steps, weight decay 0.05)";
        assertTrue(r.out().contains(recipe), r::toString);
        Cli resumed = Cli.run("train", "--no-progress", "--data", images.toString(), "--epochs", "1", "--resume", ck.toString(),
                "--checkpoint", ck.toString(), "--metrics", dir.resolve("vit.jsonl").toString());
        assertEquals(0, resumed.exitCode(), resumed::toString);
        assertTrue(resumed.out().contains("nothing to do"), resumed::toString);
    }

    private static String[] with(List<String> first, String... more) {
        List<String> all = new java.util.ArrayList<>(first);
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    @Test
    void adamAndPlainSgdTrainToo() {
        for (String optimizer : new String[] {"adam", "adamw", "sgd"}) {
            Cli r = train("--epochs", "1", "--optimizer", optimizer, "--activation", "tanh");
            assertEquals(0, r.exitCode(), r::toString);
            assertTrue(r.out().contains(optimizer + " lr"), r::toString);
        }
    }
}
