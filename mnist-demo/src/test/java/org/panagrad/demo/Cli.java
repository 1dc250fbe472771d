package org.panagrad.demo;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in-process and captures what it prints. */
record Cli(int exitCode, String out, String err) {
    static Cli run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** {@code train --no-progress} on a {@link SyntheticMnist} directory with its layer widths, and more arguments. */
    static Cli train(java.nio.file.Path data, String... extra) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--no-progress", "--data",
                data.toString(), "--layers", SyntheticMnist.LAYERS));
        args.addAll(java.util.List.of(extra));
        return run(args.toArray(new String[0]));
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- out ---\n" + out + "--- err ---\n" + err;
    }
}
