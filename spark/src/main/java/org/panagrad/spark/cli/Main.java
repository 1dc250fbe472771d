package org.panagrad.spark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The distributed jar's commands. Run with Spark's JDK options (spark/jvm.options):
 * {@code java @spark/jvm.options -jar spark/target/panagrad-spark.jar hessian --master local[2]}.
 */
@Command(name = "panagrad-spark", mixinStandardHelpOptions = true,
        description = "Panagrad on Apache Spark: distributed gradients, Hessian-vector products, Hessian spectra and training.",
        subcommands = {HessianCommand.class, TrainCommand.class, BenchCommand.class, MllibCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; errors print one "error:" line (and the cause's), and the code is 1. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println("error: " + e.getMessage());
            return 1;
        });
        return cl.execute(args);
    }
}
