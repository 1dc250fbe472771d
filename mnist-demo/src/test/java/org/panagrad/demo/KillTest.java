package org.panagrad.demo;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training in a child JVM killed with SIGKILL at random moments, at least 30 times: one time in five while it starts
 * up, else 1 to 8 steps in plus 0-20 ms (checkpointing every step, so that most kills land in or near a save). After each kill the checkpoint loads with the optimizer state its model
 * file names; the next run resumes from it and takes exactly the steps, with exactly the losses, of an
 * uninterrupted run; once it has started, no temporary or orphaned state file of an earlier run is left; and a
 * run that gets to the end holds exactly the uninterrupted run's weights.
 *
 * <p>Slow (a JVM per kill): tagged "kill", left out of {@code mvn test} and run by {@code .ci/run} through the
 * kill-test profile.
 */
@Tag("kill")
class KillTest {
    private static final int KILLS = 30;
    private static final Pattern STEP = Pattern.compile("step (\\d+) \\(epoch \\d+, batch \\d+\\): loss (\\S+)");

    @TempDir
    Path dir;

    @Test
    void killedAtRandomMomentsTheCheckpointAlwaysLoadsAndResumingContinuesExactly() throws Exception {
        Path data = SyntheticMnist.write(dir.resolve("data"), 600, 300);
        Path work = Scratch.directory("kill-test");
        try {
            List<String> base = List.of("train", "--data", data.toString(), "--layers", SyntheticMnist.LAYERS, "--batch", "32",
                    "--epochs", "6", "--threads", "1", "--log-every", "1", "--checkpoint-every", "1", "--no-progress");
            Path reference = work.resolve("reference.safetensors");
            List<String> referenceArgs = new ArrayList<>(base);
            referenceArgs.addAll(List.of("--checkpoint", reference.toString(), "--metrics", work.resolve("ref.jsonl").toString()));
            Cli uninterrupted = Cli.run(referenceArgs.toArray(new String[0]));
            assertEquals(0, uninterrupted.exitCode(), uninterrupted::toString);
            Map<Long, String> losses = losses(List.of(uninterrupted.out().split("\n")));
            assertEquals(6 * 19, losses.size(), uninterrupted::toString);

            long seed = System.nanoTime();
            Random rnd = new Random(seed);
            Path runDir = Files.createDirectory(work.resolve("run")), ck = runDir.resolve("model.safetensors");
            int kills = 0, completed = 0, staleFound = 0, resumed = 0, compared = 0;
            while (kills < KILLS) {
                Set<String> stale = stale(runDir, ck);
                staleFound += stale.size();
                List<String> args = new ArrayList<>(base);
                args.addAll(List.of("--checkpoint", ck.toString(), "--metrics", runDir.resolve("m.jsonl").toString()));
                if (Files.exists(ck)) {
                    args.addAll(List.of("--resume", ck.toString()));
                    resumed++;
                }
                String context = "seed " + seed + ", kill " + (kills + 1);
                try (ChildJvm child = ChildJvm.start(dir.resolve("runs"), args)) {
                    if (rnd.nextInt(5) == 0) {
                        Thread.sleep(rnd.nextInt(1500)); // during start-up, loading, cleaning up
                    } else {
                        assertTrue(child.awaitLine(l -> l.startsWith("model "), 120_000), () -> context + "\n" + child);
                        for (String name : stale) {
                            assertTrue(!Files.exists(runDir.resolve(name)), context + ": " + name + ", left by a killed run, is"
                                    + " still there after the next one started");
                        }
                        // A random number of steps in, then a random few milliseconds: the kill lands among the
                        // per-step saves however fast or slow the machine is (a timed wait on a loaded machine
                        // mostly killed JVMs still starting up).
                        int steps = 1 + rnd.nextInt(8);
                        int[] seen = {0};
                        child.awaitLine(l -> STEP.matcher(l).matches() && ++seen[0] >= steps, 120_000);
                        Thread.sleep(rnd.nextInt(20));
                    }
                    child.signal("KILL");
                    int exit = child.await(60);
                    assertTrue(exit == 137 || exit == 0, context + ": exit " + exit + "\n" + child);
                    for (Map.Entry<Long, String> step : losses(child.out()).entrySet()) {
                        assertEquals(losses.get(step.getKey()), step.getValue(), context + ": the loss of step " + step.getKey()
                                + " differs from the uninterrupted run's");
                        compared++;
                    }
                    if (exit == 0) { // it got to the end before the kill: the weights are the uninterrupted run's
                        assertEquals(SafeTensors.read(reference).tensors(), SafeTensors.read(ck).tensors(), context);
                        completed++;
                        try (var files = Files.list(runDir)) {
                            for (Path f : files.toList()) Files.delete(f);
                        }
                        continue;
                    }
                    kills++;
                    if (Files.exists(ck)) {
                        Checkpoint saved = Checkpoint.load(ck, null);
                        long step = saved.metadataLong(Checkpoint.STEP, -1);
                        Path state = Checkpoint.optimizerState(ck);
                        assertTrue(Files.exists(state), context + ": " + ck + " names " + state + ", which is missing");
                        assertEquals(Long.toString(step), SafeTensors.readMetadata(state).get(Checkpoint.STEP),
                                context + ": the model and its optimizer state are out of step");
                    }
                }
            }
            // And one last run, undisturbed, to the end: exactly the uninterrupted run's weights.
            List<String> last = new ArrayList<>(base);
            last.addAll(List.of("--checkpoint", ck.toString(), "--metrics", runDir.resolve("m.jsonl").toString()));
            if (Files.exists(ck)) last.addAll(List.of("--resume", ck.toString()));
            try (ChildJvm child = ChildJvm.start(dir.resolve("runs"), last)) {
                assertEquals(0, child.await(300), child::toString);
                for (Map.Entry<Long, String> step : losses(child.out()).entrySet()) {
                    assertEquals(losses.get(step.getKey()), step.getValue(), "the last run's step " + step.getKey());
                }
            }
            assertEquals(SafeTensors.read(reference).tensors(), SafeTensors.read(ck).tensors(), "the final weights");
            System.out.printf("KillTest: %d kills (seed %d), %d resumed runs, %d runs to the end, %d steps compared, %d"
                    + " stale files found and removed%n", kills, seed, resumed, completed + 1, compared, staleFound);
            assertTrue(resumed >= KILLS / 2, "most runs resumed from a checkpoint: " + resumed);
        } finally {
            Scratch.delete(work);
        }
    }

    /** "step 57 (epoch 3, batch 19): loss 0.123456789" lines: step to loss, as printed. */
    private static Map<Long, String> losses(List<String> lines) {
        Map<Long, String> steps = new HashMap<>();
        for (String line : lines) {
            Matcher m = STEP.matcher(line);
            if (m.matches()) steps.put(Long.parseLong(m.group(1)), m.group(2));
        }
        return steps;
    }

    /** What a killed run left that the next one must remove: temporary files, state files the model does not name. */
    private static Set<String> stale(Path runDir, Path ck) throws IOException {
        String named = Files.exists(ck) ? Checkpoint.optimizerState(ck).getFileName().toString() : null;
        try (var files = Files.list(runDir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> AtomicFiles.temporaryTarget(n) != null || (n.startsWith("model.optimizer") && !n.equals(named)))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
