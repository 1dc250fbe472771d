package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.io.SafeTensors;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The model file names its optimizer state; what a killed run leaves beside them is removed by the next. */
class CheckpointFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Model model() {
        Model m = new Model(Mlp.parseWidths(SyntheticMnist.LAYERS), Activation.RELU);
        m.mlp.initialize(m.store, Init.TORCH_DEFAULT, 1);
        return m;
    }

    @Test
    void aKilledRunsTemporariesAndOrphanedStateFilesGoAndTheNamedStateStays() throws IOException {
        Path ck = dir.resolve("model.safetensors");
        Model m = model();
        Checkpoint.saveOptimizer(dir.resolve("model.optimizer-40.safetensors"), "momentum", 40, List.of(), Map.of());
        Checkpoint.save(ck, m, Map.of(Checkpoint.OPTIMIZER_STATE, "model.optimizer-40.safetensors"));
        for (String left : List.of(".model.safetensors.3f2a9c1b7d4e5f60.tmp", ".model.optimizer-41.safetensors.0a1b2c3d4e5f6789.tmp",
                "model.optimizer-41.safetensors", "model.optimizer.safetensors", ".metrics.png.00ff00ff00ff00ff.tmp")) {
            Files.write(dir.resolve(left), new byte[] {1});
        }
        Files.write(dir.resolve("other.optimizer-3.safetensors"), new byte[] {1}); // another checkpoint's
        Files.write(dir.resolve("model.optimizer-notes.txt"), new byte[] {1});     // not ours at all

        assertEquals(4, new CheckpointFiles(ck).cleanUp());
        assertEquals(List.of(".metrics.png.00ff00ff00ff00ff.tmp", "model.optimizer-40.safetensors", "model.optimizer-notes.txt",
                "model.safetensors", "other.optimizer-3.safetensors"), names());
    }

    /** A model file from before state files were named keeps its one fixed state file; an unreadable one keeps all. */
    @Test
    void olderAndUnreadableModelFilesKeepTheirStateFiles() throws IOException {
        Path ck = dir.resolve("model.safetensors");
        Checkpoint.save(ck, model(), Map.of());
        Files.write(dir.resolve("model.optimizer.safetensors"), new byte[] {1});
        Files.write(dir.resolve("model.optimizer-7.safetensors"), new byte[] {1});
        assertEquals(1, new CheckpointFiles(ck).cleanUp());
        assertEquals(List.of("model.optimizer.safetensors", "model.safetensors"), names());

        Files.write(ck, new byte[] {1, 2, 3});
        Files.write(dir.resolve("model.optimizer-7.safetensors"), new byte[] {1});
        assertEquals(0, new CheckpointFiles(ck).cleanUp());
        assertEquals(List.of("model.optimizer-7.safetensors", "model.optimizer.safetensors", "model.safetensors"), names());
    }

    /** A save writes the state first under a name the current model does not use, then the model, then drops the old. */
    @Test
    void savingTwiceAtTheSameStepNeverWritesOverTheStateTheModelNames() throws IOException {
        Path ck = dir.resolve("model.safetensors");
        Model m = model();
        BatchStep step = OptimizerChoice.MOMENTUM.create(m, 8, 0, new OptimizerChoice.Settings(0.05, 1, new NewtonCgOptions()));
        step.setStepCount(12);
        CheckpointFiles files = new CheckpointFiles(ck);
        files.save(m, step, Map.of(Checkpoint.STEP, "12"));
        assertEquals("model.optimizer-12.safetensors", SafeTensors.readMetadata(ck).get(Checkpoint.OPTIMIZER_STATE));
        files.save(m, step, Map.of(Checkpoint.STEP, "12"));
        assertEquals("model.optimizer-12-1.safetensors", SafeTensors.readMetadata(ck).get(Checkpoint.OPTIMIZER_STATE));
        assertEquals(List.of("model.optimizer-12-1.safetensors", "model.safetensors"), names());
        // A new run over the same file picks up what the file names.
        new CheckpointFiles(ck).save(m, step, Map.of(Checkpoint.STEP, "12"));
        assertEquals(List.of("model.optimizer-12.safetensors", "model.safetensors"), names());
    }
}
