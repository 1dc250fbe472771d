package org.panagrad.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.nn.Activation;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterFilesTest {
    @Test
    void parametersRoundTripAndAnotherModelIsRefused(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.mlp(Activation.RELU, 12, 7, 3);
        float[] theta = new ShardEvaluator(spec, 8).initialParameters(4);
        Path file = dir.resolve("p.safetensors");
        ParameterFiles.save(file, spec, theta, new float[0]);
        assertArrayEquals(theta, ParameterFiles.load(file, spec));
        String header = new String(java.nio.file.Files.readAllBytes(file), 0, 200, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.indexOf("panagrad_spark_model") < header.indexOf("panagrad_spark_fingerprint"),
                "the metadata in a fixed order, so that two runs that end alike write the same bytes: " + header);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParameterFiles.load(file, ModelSpec.mlp(Activation.RELU, 12, 8, 3)));
        assertTrue(e.getMessage().contains("mlp(activation=relu, widths=12-7-3)") && e.getMessage().contains("widths=12-8-3"),
                e.getMessage());
    }

    @Test
    void runningStatisticsTravelWithTheParameters(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.zoo("resnet8");
        ShardEvaluator e = new ShardEvaluator(spec, 1);
        float[] theta = e.initialParameters(2), buffers = TestSpark.gaussian(e.bufferDimension(), 3);
        Path file = dir.resolve("r.safetensors");
        ParameterFiles.save(file, spec, theta, buffers);
        assertArrayEquals(theta, ParameterFiles.load(file, spec));
        assertArrayEquals(buffers, ParameterFiles.loadBuffers(file, spec));
    }

    @Test
    void oneReadGivesParametersBuffersAndStateAndBadEntriesNameFileAndKey(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.mlp(Activation.RELU, 12, 7, 3);
        float[] theta = new ShardEvaluator(spec, 8).initialParameters(4);
        Path file = dir.resolve("s.safetensors");
        FlatUpdate update = FlatUpdate.sgd(theta.length, 0.1, 0.9);
        update.apply(theta.clone(), TestSpark.gaussian(theta.length, 5));
        ParameterFiles.save(file, spec, theta, new float[0],
                new TrainingState(update.snapshot(), java.util.Map.of("epochs", "two", "rounds", "3", "batch", "64")));
        ParameterFiles.Checkpoint saved = ParameterFiles.loadCheckpoint(file, spec);
        assertArrayEquals(theta, saved.parameters());
        assertArrayEquals(new float[0], saved.buffers());
        assertArrayEquals(update.snapshot().tensors().get(0).data(), saved.requireState().optimizer().tensors().get(0).data());
        assertEquals(3, saved.state().count("rounds"));

        IllegalArgumentException notCount = assertThrows(IllegalArgumentException.class, () -> saved.state().count("epochs"));
        assertEquals(file + ": the run's 'epochs' is 'two', not a count (a whole number >= 0)", notCount.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> saved.state().get("iterations"));
        assertTrue(missing.getMessage().startsWith(file + ": the run has no 'iterations'; it holds {batch=64"), missing.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> saved.state().requireSame(java.util.Map.of("batch", "64", "rounds", "4")));
        assertEquals("cannot resume " + file + ": it was trained with other settings: rounds 3 (saved) vs 4 (now)", other.getMessage());
        IllegalArgumentException older = assertThrows(IllegalArgumentException.class,
                () -> saved.state().requireSame(java.util.Map.of("history", "10")));
        assertEquals("cannot resume " + file + ": it was trained with other settings: history not in the file (saved by an older "
                + "version) vs 10 (now)", older.getMessage());

        Path bare = dir.resolve("bare.safetensors");
        ParameterFiles.save(bare, spec, theta, new float[0]);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> ParameterFiles.loadCheckpoint(bare, spec).requireState());
        assertTrue(none.getMessage().startsWith(bare + " holds parameters but no optimizer state"), none.getMessage());
    }

    @Test
    void theDataChecksumSeesEveryLabelAndFeature() {
        Shard a = TestSpark.data(300, 24, 5, 11), same = TestSpark.data(300, 24, 5, 11);
        assertEquals(a.checksum(), same.checksum());
        int[] labels = a.labels().clone();
        labels[299] = (labels[299] + 1) % 5;
        float[] features = a.features().clone();
        features[17 * 24 + 3] = Math.nextUp(features[17 * 24 + 3]);
        assertNotEquals(a.checksum(), new Shard(0, 0, 300, 24, a.features(), labels).checksum(), "one label changed");
        assertNotEquals(a.checksum(), new Shard(0, 0, 300, 24, features, a.labels()).checksum(), "one feature moved by an ulp");
        assertNotEquals(a.checksum(), Shard.slice(0, a.features(), a.labels(), 24, 0, 299).checksum(), "one example fewer");
    }

    @Test
    void anUnknownZooModelIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fingerprint.of(new ModelSpec("resnet", java.util.Map.of("depth", "18"))));
        assertTrue(e.getMessage().contains("unknown model 'resnet'") && e.getMessage().contains("[mlp, lenet5, resnet8, vit-tiny]"), e.getMessage());
    }

    @Test
    void samplesDoNotDependOnThePartitioning() {
        Selection s = Selection.sample(0.3, 9);
        int[] whole = s.rows(0, 1000);
        int[] first = s.rows(0, 400), second = s.rows(400, 600);
        assertTrue(whole.length == first.length + second.length);
        for (int i = 0; i < second.length; i++) assertTrue(whole[first.length + i] == second[i] + 400);
        assertTrue(Math.abs(whole.length - 300) < 50, whole.length + " of 1000 sampled at 0.3");
    }
}
