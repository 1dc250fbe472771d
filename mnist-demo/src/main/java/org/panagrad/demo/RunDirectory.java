package org.panagrad.demo;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --out-dir}: where a command writes the outputs it is not given a path for, as TensorBoard and
 * PyTorch Lightning do: by default a fresh {@code runs/<command>-<date>-<time>/} under the current directory,
 * so that no run overwrites another's files and nothing lands loose in the current directory or a source tree.
 * The directory is made only when a default output needs it, and removed again if the command fails before
 * writing anything into it.
 */
final class RunDirectory {
    /** Where default run directories go: runs/ here, or the system property panagrad.runs (the tests use it). */
    static Path root() {
        return Path.of(System.getProperty("panagrad.runs", "runs"));
    }

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    @Option(names = "--out-dir", paramLabel = "DIR",
            description = {"Where outputs not given a path go (made if missing).",
                    "Default: a new runs/<command>-<date>-<time>/ here."})
    Path chosen;

    private Path directory;
    /** The directories above it that {@link #make} created (runs/ on a first run), outermost first. */
    private final List<Path> madeAbove = new ArrayList<>();
    private boolean needed;
    private boolean made;

    /** A default output file in the run directory, which will be made by {@link #make}. */
    Path file(String command, String name) {
        return use(command).resolve(name);
    }

    /** The run directory, for outputs that go into it; {@link #make} will make it. */
    Path use(String command) {
        needed = true;
        return directory(command);
    }

    /** Whether some output goes into the run directory. */
    boolean used() {
        return needed;
    }

    /** The run directory (decided once; not made yet). */
    Path directory(String command) {
        if (directory == null) directory = chosen != null ? chosen : uniqueDefault(command);
        return directory;
    }

    /** Makes the directory if a default output needs it, checking that files can be created in it. */
    void make() throws IOException {
        if (!needed || made) return;
        String subject = chosen != null ? "--out-dir " + chosen : "the run directory " + directory;
        OutputFiles.checkDirectory(subject, directory, directory.toString());
        if (!Files.isDirectory(directory)) {
            Path parent = directory.toAbsolutePath().getParent();
            try {
                for (Path p = parent; p != null && !Files.exists(p); p = p.getParent()) madeAbove.add(0, p);
                Files.createDirectories(parent);
                Files.createDirectory(directory);
                made = true;
            } catch (FileAlreadyExistsException raced) {
                if (!Files.isDirectory(directory)) throw new IllegalArgumentException(subject + ": exists and is not a directory");
            }
        }
        OutputFiles.checkCanCreateFiles(subject, directory, directory.toString());
    }

    /** A command's work in its run directory. */
    interface Work<T, E extends Exception> {
        T run() throws IOException, E;
    }

    /**
     * Makes the directory if a default output needs it and runs work there; if work fails, the directory (and any
     * made above it) is removed again while still empty, so a failed command leaves no empty run behind.
     */
    <T, E extends Exception> T within(Work<T, E> work) throws IOException, E {
        make();
        boolean done = false;
        try {
            T result = work.run();
            done = true;
            return result;
        } finally {
            if (!done) removeIfEmpty();
        }
    }

    /** After a failure: removes the directory this run made, and the ones it made above it, if they are empty. */
    void removeIfEmpty() {
        if (!made) return;
        List<Path> made = new ArrayList<>(madeAbove);
        made.add(directory.toAbsolutePath());
        for (int i = made.size() - 1; i >= 0; i--) {
            try (var entries = Files.list(made.get(i))) {
                if (entries.findAny().isPresent()) return;
            } catch (IOException gone) {
                return;
            }
            try {
                Files.delete(made.get(i));
            } catch (IOException ignored) {
                return; // only tidiness is at stake
            }
        }
    }

    /** runs/train-20261123-135400, or ...-2, -3 when that already exists (two runs in one second). */
    private static Path uniqueDefault(String command) {
        String base = command + "-" + LocalDateTime.now().format(STAMP);
        Path candidate = root().resolve(base);
        for (int i = 2; Files.exists(candidate); i++) candidate = root().resolve(base + "-" + i);
        return candidate;
    }
}
