package org.panagrad.demo;

import org.panagrad.graph.Node;
import org.panagrad.io.Dataset;
import org.panagrad.optim.TrainingStep;

import java.util.ArrayList;
import java.util.List;

/**
 * Times every instruction of a compiled training step over a number of steps on real batches. Each step
 * runs {@link org.panagrad.runtime.Program#runTimed}; the per-step times also give a timeline for a trace,
 * laid out back to back from the step's start (the gaps between instructions are the timer's own cost).
 */
final class Profiler {
    record Row(int index, Node node, CompiledNodes.Phase phase, long calls, long totalNanos, long flopsPerCall) {
        double meanMicros() {
            return totalNanos / 1e3 / calls;
        }

        double gflops() {
            return totalNanos == 0 ? 0 : (double) flopsPerCall * calls / totalNanos;
        }
    }

    /** One instruction run, for the trace: start relative to the first timed step. */
    record Event(int step, int instruction, long startNanos, long durationNanos) {}

    record Result(List<Row> rows, List<Event> events, long stepNanos, int steps) {
        long totalNanos() {
            long t = 0;
            for (Row r : rows) t += r.totalNanos();
            return t;
        }
    }

    static Result run(Model model, Model.Batch batch, TrainingStep step, Dataset train, int warmup, int steps) {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        int size = batch.size(), pixels = model.inputWidth();
        int batches = train.count() / size;
        if (batches < 1) {
            throw new IllegalArgumentException("the batch of " + size + " is larger than the " + train.count() + " training images");
        }
        List<Node> code = step.program().instructionNodes();
        CompiledNodes phases = new CompiledNodes(step.program(), batch.loss());
        long[] total = new long[code.size()];
        long[] perStep = new long[code.size()];
        List<Event> events = new ArrayList<>();
        long origin = 0, wall = 0;
        for (int s = 0; s < warmup + steps; s++) {
            int b = s % batches;
            step.program().set(batch.images(), train.images(), b * size * pixels);
            step.program().setLabels(batch.labels(), train.labels(), b * size);
            step.optimizer().beforeStep(model.store);
            java.util.Arrays.fill(perStep, 0);
            long t0 = System.nanoTime();
            if (s == warmup) origin = t0;
            step.program().runTimed(perStep);
            long t1 = System.nanoTime();
            if (s < warmup) continue;
            wall += t1 - t0;
            long at = t0 - origin;
            for (int i = 0; i < code.size(); i++) {
                total[i] += perStep[i];
                events.add(new Event(s - warmup, i, at, perStep[i]));
                at += perStep[i];
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < code.size(); i++) {
            Node n = code.get(i);
            rows.add(new Row(i, n, phases.phase(n), steps, total[i], n.op().flops(n)));
        }
        return new Result(rows, events, wall, steps);
    }
}
