package org.panagrad.demo;

import org.panagrad.compiler.Compiler;
import org.panagrad.io.Dataset;
import org.panagrad.runtime.Program;

import java.util.List;

/**
 * Forward-only programs that compute the mean loss and the accuracy over a data set: one for full batches
 * and, when the batch size does not divide the set, one for the remainder. Batches are contiguous in the
 * data, so they are copied straight from it.
 */
final class Evaluator {
    static final int BATCH = 1000;

    private final Dataset data;
    private final int count;
    private final Part full;
    private final Part rest;
    private final float[] logits;

    /** Evaluates the first {@code count} examples of {@code data}. */
    Evaluator(Model model, Dataset data, int count) {
        if (count < 1 || count > data.count()) {
            throw new IllegalArgumentException("cannot evaluate " + count + " of " + data.count() + " examples");
        }
        this.data = data;
        this.count = count;
        int batch = Math.min(BATCH, count);
        full = new Part(model, "eval", batch);
        rest = count % batch == 0 ? null : new Part(model, "eval_rest", count % batch);
        logits = new float[batch * 10];
    }

    Evaluator(Model model, Dataset data) {
        this(model, data, data.count());
    }

    record Result(double loss, double accuracy, int count) {}

    Result run() {
        double lossSum = 0;
        int correct = 0;
        int pixels = data.pixelsPerImage();
        for (int start = 0; start < count; ) {
            Part part = count - start >= full.batch.size() ? full : rest;
            int n = part.batch.size();
            part.program.set(part.batch.images(), data.images(), start * pixels);
            part.program.setLabels(part.batch.labels(), data.labels(), start);
            part.program.run();
            lossSum += (double) part.program.scalar(part.batch.loss()) * n;
            part.program.read(part.batch.logits(), logits);
            for (int i = 0; i < n; i++) {
                if (argmax(logits, i * 10, 10) == data.labels()[start + i]) correct++;
            }
            start += n;
        }
        return new Result(lossSum / count, (double) correct / count, count);
    }

    static int argmax(float[] v, int offset, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (v[offset + j] > v[offset + best]) best = j;
        return best;
    }

    private static final class Part {
        final Model.Batch batch;
        final Program program;

        Part(Model model, String name, int size) {
            batch = model.batch(name, size);
            program = Compiler.compile(model.store, List.of(batch.loss(), batch.logits()));
        }
    }
}
