package org.panagrad.demo;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work starts, that each output a command will write can be written: its directory exists,
 * is a directory and accepts new files (tried for real, which is the only test that holds for root, ACLs and
 * read-only mounts), and the path itself is not a directory. Failures name the option and the user's path,
 * never a temporary file or a Java exception.
 */
final class OutputFiles {
    private OutputFiles() {}

    /** Fails unless {@code file} (given as {@code option}) can be written. */
    static void checkWritable(String option, Path file) {
        check(option, file, file);
    }

    /** Fails unless {@code related}, written beside {@code file} (a chart next to its log), can be written. */
    static void checkWritable(String option, Path file, Path related) {
        check(option, file, related);
    }

    private static void check(String option, Path given, Path file) {
        String subject = option + " " + given + (file.equals(given) ? "" : " (and " + file.getFileName() + " beside it)");
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(subject + ": " + file + " is a directory; expected a file name, such as "
                    + file.resolve(given.getFileName().toString().contains(".") ? "out" + extension(given)
                    : "out"));
        }
        Path parent = file.toAbsolutePath().getParent();
        if (!Files.exists(parent)) {
            throw new IllegalArgumentException(subject + ": the directory " + displayed(file, parent) + " does not exist");
        }
        if (!Files.isDirectory(parent)) {
            throw new IllegalArgumentException(subject + ": " + displayed(file, parent) + " is not a directory");
        }
        checkCanCreateFiles(subject, parent, displayed(file, parent));
    }

    /**
     * Fails unless {@code directory} (given as {@code option}) can hold files, made with its parents if missing:
     * it is a directory that accepts files, or it does not exist and the nearest directory above it accepts them.
     */
    static void checkDirectory(String option, Path directory) {
        checkDirectory(option + " " + directory, directory, directory.toString());
    }

    /** {@link #checkDirectory(String, Path)} with the subject of the message spelled out. */
    static void checkDirectory(String subject, Path directory, String shownAs) {
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new IllegalArgumentException(subject + ": " + shownAs + " is a file, not a directory");
        }
        Path existing = directory.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return;
        if (!Files.isDirectory(existing)) {
            throw new IllegalArgumentException(subject + ": " + existing + " is a file, not a directory");
        }
        checkCanCreateFiles(subject, existing, existing.equals(directory.toAbsolutePath()) ? shownAs : existing.toString());
    }

    /** Fails unless a new file can be created in {@code directory}: a probe file, created and deleted. */
    static void checkCanCreateFiles(String subject, Path directory, String shownAs) {
        try {
            Path probe = Files.createTempFile(directory, ".panagrad-write-check", ".tmp");
            Files.delete(probe);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(subject + ": cannot create files in " + shownAs + " (permission denied)");
        } catch (FileSystemException e) {
            throw new IllegalArgumentException(subject + ": cannot create files in " + shownAs
                    + (e.getReason() != null ? " (" + e.getReason().toLowerCase(java.util.Locale.ROOT) + ")" : ""));
        } catch (IOException e) {
            throw new IllegalArgumentException(subject + ": cannot create files in " + shownAs);
        }
    }

    /** The directory as the user would recognise it: relative when the file was given relatively. */
    private static String displayed(Path file, Path parent) {
        Path given = file.getParent();
        return given != null ? given.toString() : parent.toString();
    }

    private static String extension(Path file) {
        String name = file.getFileName().toString();
        return name.substring(name.lastIndexOf('.'));
    }

    /** Deletes the temporary files that a process killed while writing these outputs left; returns how many. */
    static int deleteStaleTemporaries(Path... outputs) throws IOException {
        int deleted = 0;
        for (Path p : outputs) deleted += org.panagrad.io.AtomicFiles.deleteStaleTemporaries(p);
        return deleted;
    }
}
