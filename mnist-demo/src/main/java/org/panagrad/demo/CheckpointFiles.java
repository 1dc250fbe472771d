package org.panagrad.demo;

import org.panagrad.io.AtomicFiles;
import org.panagrad.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint on disk, which never has its model and optimizer state out of step whenever the process dies:
 * the state goes to a file of its own ({@code model.optimizer-<step>.safetensors}), written (temporary file,
 * fsync, rename, fsync of the directory) before the model file, which names it in its metadata and so is the
 * manifest, written last; the state the previous model file named is deleted only once the new model file is in
 * place, and a save never writes over the state file the current model names. A process killed at any moment
 * leaves the previous checkpoint or the new one, plus perhaps a temporary file or an unnamed state file, which
 * {@link #cleanUp} deletes when the next run starts. The model file stays PyTorch's state dict.
 */
final class CheckpointFiles {
    private final Path model;
    /** The state file the model file on disk names now (null: none, or no model file). */
    private String named;

    CheckpointFiles(Path model) {
        this.model = model;
        named = namedState(model);
    }

    Path model() {
        return model;
    }

    /** "model" for model.safetensors: the prefix of every file of the checkpoint. */
    static String stem(Path modelFile) {
        String name = modelFile.getFileName().toString();
        return name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
    }

    /**
     * Deletes what a killed run left of this checkpoint: temporary files of the model or of a state file, and
     * state files the model file does not name. A model file that cannot be read keeps its state files.
     */
    int cleanUp() throws IOException {
        Path dir = model.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) return 0;
        // An existing model file that cannot be read names nothing we know of: its state files stay.
        boolean modelReadable = !Files.exists(model) || named != null;
        int deleted = 0;
        try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                String target = AtomicFiles.temporaryTarget(name);
                boolean stale = target != null ? belongs(target) : modelReadable && isStateFile(name) && !name.equals(named);
                if (stale && Files.deleteIfExists(p)) deleted++;
            }
        }
        return deleted;
    }

    /**
     * Saves the model and the optimizer's state at a training position: the state first, under a name the current
     * model file does not use, then the model file naming it, then the old state file goes.
     */
    void save(Model model, BatchStep step, Map<String, String> position) throws IOException {
        String state = stem(this.model) + ".optimizer-" + step.stepCount() + ".safetensors";
        if (state.equals(named)) state = stem(this.model) + ".optimizer-" + step.stepCount() + "-1.safetensors";
        step.saveState(this.model.resolveSibling(state));
        Map<String, String> meta = new LinkedHashMap<>(position);
        meta.put(Checkpoint.OPTIMIZER_STATE, state);
        Checkpoint.save(this.model, model, meta);
        String previous = named;
        named = state;
        if (previous != null && !previous.equals(state)) Files.deleteIfExists(this.model.resolveSibling(previous));
    }

    /** Whether a file named {@code target} is this checkpoint's model or one of its state files. */
    private boolean belongs(String target) {
        return target.equals(model.getFileName().toString()) || isStateFile(target);
    }

    /** model.optimizer.safetensors (the name before state files were numbered), model.optimizer-57[-1].safetensors. */
    private boolean isStateFile(String name) {
        String stem = stem(model);
        return name.startsWith(stem + ".optimizer") && name.endsWith(".safetensors")
                && name.substring(stem.length() + ".optimizer".length(), name.length() - ".safetensors".length())
                .matches("(-\\d+(-1)?)?");
    }

    /** The state file an existing model file names (its old fixed name if it names none), or null. */
    private static String namedState(Path model) {
        if (!Files.isRegularFile(model)) return null;
        try {
            return Checkpoint.optimizerState(model, SafeTensors.readMetadata(model)).getFileName().toString();
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
    }
}
