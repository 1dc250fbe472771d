package org.panagrad.bench;

import static org.panagrad.bench.RoundStatistics.max;
import static org.panagrad.bench.RoundStatistics.median;
import static org.panagrad.bench.RoundStatistics.min;

import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link VitTinyInstructions} for two jars in one JVM: {@link VitTinyBench}'s gradient or HVP program of each jar
 * (its own class loader), every instruction timed ({@code Program.runTimed}) in alternating rounds (the side that
 * goes first swaps every round), summed by op name per round; prints per op the median time of each side and the
 * median of the per-round ratios, and each side's fastest round (under load, the undisturbed one), so that one
 * kernel's change is read where whole-program times spread.
 * <pre>
 * flock /tmp/jmh.lock java --add-modules jdk.incubator.vector -Dthreads=1 -Dprogram=hvp \
 *   -cp bench/target/benchmarks.jar org.panagrad.bench.VitInstructionsAlternating BASE_JAR NEW_JAR [REPS [ROUNDS]]
 * </pre>
 */
public final class VitInstructionsAlternating {
    private VitInstructionsAlternating() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.getInteger("threads", 1), warmUp = Integer.getInteger("warmUpRounds", 8);
        String program = System.getProperty("program", "hvp");
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3, rounds = args.length > 3 ? Integer.parseInt(args[3]) : 11;
        Object[] programs = new Object[2];
        Method[] runTimed = new Method[2];
        List<List<String>> names = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            ClassLoader loader = new URLClassLoader(new URL[] {new File(args[s]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            Class<?> type = loader.loadClass("org.panagrad.bench.VitTinyBench");
            Object bench = type.getConstructor().newInstance();
            type.getField("threads").setInt(bench, threads);
            type.getField("batch").setInt(bench, 128);
            Method compile = type.getDeclaredMethod("compile");
            compile.setAccessible(true);
            compile.invoke(bench);
            type.getMethod(program).invoke(bench); // binds the program's inputs, as VitTinyInstructions' warm-up does
            Field f = type.getDeclaredField(program);
            f.setAccessible(true);
            Object p = f.get(bench);
            if (!p.getClass().getSimpleName().equals("Program")) p = p.getClass().getMethod("program").invoke(p);
            programs[s] = p;
            runTimed[s] = p.getClass().getMethod("runTimed", long[].class);
            List<String> opNames = new ArrayList<>();
            for (Object node : (List<?>) p.getClass().getMethod("instructionNodes").invoke(p)) {
                Object op = node.getClass().getMethod("op").invoke(node);
                Method name = op.getClass().getMethod("name");
                name.setAccessible(true);
                opNames.add((String) name.invoke(op));
            }
            names.add(opNames);
        }
        Map<String, double[][]> byOp = new LinkedHashMap<>(); // op -> [side][round] ms per run
        for (int r = -warmUp; r < rounds; r++) {
            for (int turn = 0; turn < 2; turn++) {
                int s = (r & 1) == 0 ? turn : 1 - turn;
                long[] nanos = new long[names.get(s).size()];
                for (int i = 0; i < reps; i++) runTimed[s].invoke(programs[s], (Object) nanos);
                if (r < 0) continue;
                for (int i = 0; i < nanos.length; i++) {
                    double[][] e = byOp.computeIfAbsent(names.get(s).get(i), k -> new double[2][rounds]);
                    e[s][r] += nanos[i] / 1e6 / reps;
                    double[][] all = byOp.computeIfAbsent("(all)", k -> new double[2][rounds]);
                    all[s][r] += nanos[i] / 1e6 / reps;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s, %d thread(s), %d rounds of %d runs after %d warm-up rounds; base %s, new %s%n",
                program, threads, rounds, reps, warmUp, args[0], args[1]);
        byOp.entrySet().stream().sorted((a, b) -> Double.compare(median(b.getValue()[0]), median(a.getValue()[0])))
                .forEach(e -> {
                    double[][] ms = e.getValue();
                    double[] ratio = new double[rounds];
                    for (int r = 0; r < rounds; r++) ratio[r] = ms[1][r] / ms[0][r];
                    System.out.printf(Locale.ROOT, "  %-24s base %8.3f ms (min %8.3f)  new %8.3f ms (min %8.3f)  new/base %.3f [%.3f - %.3f], of minima %.3f%n",
                            e.getKey(), median(ms[0]), min(ms[0]), median(ms[1]), min(ms[1]), median(ratio), min(ratio), max(ratio),
                            min(ms[1]) / min(ms[0]));
                });
    }
}
