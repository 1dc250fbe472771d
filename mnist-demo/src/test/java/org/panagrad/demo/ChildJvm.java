package org.panagrad.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The demo's {@code main} in a JVM of its own, for what an in-process run cannot show: signals, SIGKILL, the
 * process's exit code. Its output is collected line by line as it comes, so a test can wait for a line.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final List<String> out = new ArrayList<>();
    private final StringBuilder err = new StringBuilder();
    private final Thread outReader, errReader;

    private ChildJvm(Process process) {
        this.process = process;
        outReader = collect(process.getInputStream(), line -> {
            synchronized (out) {
                out.add(line);
                out.notifyAll();
            }
        });
        errReader = collect(process.getErrorStream(), line -> {
            if (line.startsWith("WARNING: Using incubator modules")) return;
            synchronized (err) {
                err.append(line).append('\n');
            }
        });
    }

    /** Starts {@code mnist-demo args...} with default run directories under {@code runs}. */
    static ChildJvm start(Path runs, List<String> args) throws IOException {
        return new ChildJvm(new ProcessBuilder(command(runs, args)).start());
    }

    /**
     * Starts it in {@code workingDirectory} with {@code unset} removed from the environment, for the default data
     * search (./data/NAME, $MNIST_DIR, $FASHION_MNIST_DIR).
     */
    static ChildJvm start(Path runs, List<String> args, Path workingDirectory, List<String> unset) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command(runs, args)).directory(workingDirectory.toFile());
        builder.environment().keySet().removeAll(unset);
        return new ChildJvm(builder.start());
    }

    private static List<String> command(Path runs, List<String> args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "-Dpanagrad.runs=" + runs, "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        return command;
    }

    private static Thread collect(InputStream stream, java.util.function.Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) sink.accept(line);
            } catch (IOException ended) {
                // the process is gone
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Waits for a line of stdout matching {@code wanted}; false if the process ends or time runs out first. */
    boolean awaitLine(Predicate<String> wanted, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        synchronized (out) {
            int seen = 0;
            while (true) {
                for (; seen < out.size(); seen++) if (wanted.test(out.get(seen))) return true;
                long left = end - System.currentTimeMillis();
                if (left <= 0 || (!process.isAlive() && !outReader.isAlive())) return false;
                out.wait(Math.min(left, 50));
            }
        }
    }

    /** Sends a signal by name (INT, TERM, KILL) with kill(1). */
    void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }

    /** Waits for the end; returns the exit code. */
    int await(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the child JVM was still running after " + seconds + " s:\n" + this);
        }
        outReader.join(5000);
        errReader.join(5000);
        return process.exitValue();
    }

    List<String> out() {
        synchronized (out) {
            return List.copyOf(out);
        }
    }

    String err() {
        synchronized (err) {
            return err.toString();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    @Override
    public String toString() {
        return "--- out ---\n" + String.join("\n", out()) + "\n--- err ---\n" + err();
    }
}
