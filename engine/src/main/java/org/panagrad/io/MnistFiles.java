package org.panagrad.io;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The four IDX files of MNIST (or Fashion-MNIST, which uses the same names) in one directory. Each file may
 * be plain or gzip-compressed ({@code .gz}), and may use the alternative dotted naming
 * ({@code train-images.idx3-ubyte}) that some mirrors use.
 */
public record MnistFiles(Path trainImages, Path trainLabels, Path testImages, Path testLabels) {
    /** The canonical names, in the order of the record components. */
    public static final List<String> NAMES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    static final String DIRECTORY_VARIABLE = "MNIST_DIR";
    /** The datasets in MNIST's IDX layout that {@link #locate(Path, String)} knows. */
    public static final List<String> DATASETS = List.of("mnist", "fashion-mnist");

    /**
     * Finds the data directory. If {@code directory} is given, only it is searched; else, if the environment
     * variable {@code MNIST_DIR} is set, only that directory is searched (an explicit choice that is wrong
     * should fail, not silently fall back to other data); else {@code ./data/mnist} and then
     * {@code ../shared/data/mnist}, relative to the working directory.
     *
     * @throws FileNotFoundException listing every directory searched, what was missing in each and the file
     *                               names needed
     */
    public static MnistFiles locate(Path directory) throws FileNotFoundException {
        return locate(directory, "mnist");
    }

    /**
     * Finds the files of {@code dataset} ("mnist" or "fashion-mnist", which has the same IDX layout) as
     * {@link #locate(Path)} does, with its own variable ({@code FASHION_MNIST_DIR}) and directories
     * ({@code ./data/fashion-mnist}, {@code ../shared/data/fashion-mnist}, then {@code /usr/share/datasets/fashion-mnist},
     * where Debian's dataset-fashion-mnist package installs it).
     */
    public static MnistFiles locate(Path directory, String dataset) throws FileNotFoundException {
        return locate(directory, dataset, System.getenv(variable(dataset)), Path.of(""));
    }

    /** {@link #locate(Path)} with the environment and working directory passed in, for tests. */
    static MnistFiles locate(Path directory, String environmentDirectory, Path workingDirectory)
            throws FileNotFoundException {
        return locate(directory, "mnist", environmentDirectory, workingDirectory);
    }

    private static String variable(String dataset) {
        return dataset.equals("mnist") ? DIRECTORY_VARIABLE : "FASHION_MNIST_DIR";
    }

    static MnistFiles locate(Path directory, String dataset, String environmentDirectory, Path workingDirectory)
            throws FileNotFoundException {
        if (!DATASETS.contains(dataset)) {
            throw new IllegalArgumentException("unknown dataset '" + dataset + "' (expected one of " + DATASETS + ")");
        }
        List<Candidate> candidates = new ArrayList<>();
        if (directory != null) {
            candidates.add(new Candidate(directory, "the directory asked for"));
        } else if (environmentDirectory != null && !environmentDirectory.isBlank()) {
            candidates.add(new Candidate(Path.of(environmentDirectory), "$" + variable(dataset)));
        } else {
            candidates.add(new Candidate(workingDirectory.resolve("data/" + dataset), "./data/" + dataset));
            candidates.add(new Candidate(workingDirectory.resolve("../shared/data/" + dataset), "../shared/data/" + dataset));
            if (dataset.equals("fashion-mnist")) {
                candidates.add(new Candidate(Path.of("/usr/share/datasets/fashion-mnist"), "Debian's dataset-fashion-mnist"));
            }
        }
        StringBuilder searched = new StringBuilder();
        for (Candidate candidate : candidates) {
            Path dir = candidate.directory();
            String problem;
            if (!Files.exists(dir)) {
                problem = "does not exist";
            } else if (!Files.isDirectory(dir)) {
                problem = "is not a directory";
            } else {
                List<Path> found = new ArrayList<>();
                List<String> missing = new ArrayList<>();
                for (String name : NAMES) {
                    Path file = findFile(dir, name);
                    if (file == null) {
                        missing.add(name);
                    } else {
                        found.add(file);
                    }
                }
                if (missing.isEmpty()) {
                    return new MnistFiles(found.get(0), found.get(1), found.get(2), found.get(3));
                }
                problem = "missing " + String.join(", ", missing);
            }
            searched.append("\n  ").append(dir.toAbsolutePath().normalize())
                    .append(" (").append(candidate.source()).append("): ").append(problem);
        }
        throw new FileNotFoundException((dataset.equals("mnist") ? "MNIST" : "Fashion-MNIST") + " data not found. Searched:" + searched
                + "\nNeeded in one directory: " + String.join(", ", NAMES)
                + "; each plain or gzip-compressed with a .gz suffix (the dotted names such as train-images.idx3-ubyte"
                + " are accepted too). Pass the directory explicitly or set " + variable(dataset) + ".");
    }

    /** The first regular file among the accepted spellings of {@code name}, or null. */
    private static Path findFile(Path directory, String name) {
        String dotted = name.replace("-idx", ".idx");
        for (String spelling : List.of(name, name + ".gz", dotted, dotted + ".gz")) {
            Path file = directory.resolve(spelling);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        return null;
    }

    private record Candidate(Path directory, String source) {}
}
