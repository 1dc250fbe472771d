package org.panagrad.demo;

import org.panagrad.io.DataFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The command-line entry point: {@code java --add-modules jdk.incubator.vector -jar mnist-demo.jar <command>}.
 * Expected failures (missing or damaged files, bad option values) print one clear message and exit with
 * {@link #EXIT_FAILURE}; only bugs show a stack trace.
 */
@Command(name = "mnist-demo", mixinStandardHelpOptions = true, version = "Panagrad MNIST demo 0.1.0",
        description = "Train, evaluate and inspect a multilayer perceptron on MNIST with Panagrad.",
        subcommands = {TrainCommand.class, EvalCommand.class, GraphCommand.class, ProfileCommand.class, HessianCommand.class,
                ExportCommand.class, ReportCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int EXIT_FAILURE = 1;
    /** As shells report a process ended by SIGINT. */
    static final int EXIT_INTERRUPTED = 130;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed: train, eval, graph, profile, hessian, export or report");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, also used by the tests. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handle);
        return cli;
    }

    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        String message = expectedFailure(e);
        if (message == null) {
            e.printStackTrace(err);
        } else {
            err.println(cli.getColorScheme().errorText("error: " + message));
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
        if (e instanceof NoSuchFileException) {
            NoSuchFileException missing = (NoSuchFileException) e;
            return missing.getReason() != null ? missing.getFile() + ": " + missing.getReason()
                    : missing.getFile() + ": no such file";
        }
        if (e instanceof FileSystemException) {
            FileSystemException fs = (FileSystemException) e;
            return fs.getFile() + ": " + (fs.getReason() != null ? fs.getReason() : fs.getClass().getSimpleName());
        }
        if (e instanceof IOException) {
            return e.getMessage() != null ? e.getMessage() : e.toString();
        }
        return null;
    }
}
