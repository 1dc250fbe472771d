package org.panagrad.demo;

import org.panagrad.io.DataFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The command-line entry point: {@code java --add-modules jdk.incubator.vector -jar mnist-demo.jar <command>}.
 * Expected failures (missing or damaged files, bad option values, a run that diverged) print one clear message
 * and exit with {@link #EXIT_FAILURE}; {@code --debug} adds the stack trace. Only bugs show one without it.
 */
@Command(name = "mnist-demo", mixinStandardHelpOptions = true, version = "Panagrad MNIST demo 0.1.0",
        description = "Train, evaluate and inspect a multilayer perceptron on MNIST with Panagrad.",
        subcommands = {TrainCommand.class, EvalCommand.class, GraphCommand.class, ProfileCommand.class, HessianCommand.class,
                CurvatureCommand.class, LaplaceCommand.class, InfluenceCommand.class, ExportCommand.class, ReportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int EXIT_FAILURE = 1;
    /** As shells report a process ended by SIGINT. */
    static final int EXIT_INTERRUPTED = 130;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private boolean debug;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "On an error, also print the Java stack trace.")
    void debug(boolean on) {
        debug = on;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed: train, eval, graph, profile, hessian, curvature, laplace, influence, export or report");
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) { // an Error, which picocli lets through
            System.err.println("error: " + expectedFailure(e));
            code = EXIT_FAILURE;
        }
        System.exit(code);
    }

    /** The configured command line, also used by the tests. */
    public static CommandLine commandLine() {
        Main main = new Main();
        CommandLine cli = new CommandLine(main);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, line, parsed) -> main.handle(e, line));
        return cli;
    }

    private int handle(Exception e, CommandLine cli) {
        PrintWriter err = cli.getErr();
        String message = expectedFailure(e);
        if (message == null) {
            err.println(cli.getColorScheme().errorText("error: an unexpected failure (a bug; please report it with this"
                    + " trace): " + e));
            e.printStackTrace(err);
        } else {
            err.println(cli.getColorScheme().errorText("error: " + message));
            if (debug) e.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    }

    /** The message for a failure the user can fix, or null for a bug. */
    static String expectedFailure(Throwable e) {
        if (e instanceof DataFormatException || e instanceof FileNotFoundException
                || e instanceof IllegalArgumentException || e instanceof CheckpointException) {
            return e.getMessage();
        }
        if (e instanceof NoSuchFileException missing) {
            return missing.getFile() + ": " + (missing.getReason() != null ? missing.getReason() : "no such file");
        }
        if (e instanceof AccessDeniedException denied) {
            return denied.getFile() + ": permission denied";
        }
        if (e instanceof FileSystemException fs) {
            return fs.getFile() + (fs.getReason() != null ? ": " + fs.getReason() : ": cannot be read or written");
        }
        if (e instanceof IOException) {
            return e.getMessage() != null ? e.getMessage() : "an input or output failed";
        }
        if (e instanceof OutOfMemoryError) {
            return "the JVM ran out of memory (" + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB of heap); give it"
                    + " more with -Xmx, or use a smaller --batch or model";
        }
        return null;
    }
}
