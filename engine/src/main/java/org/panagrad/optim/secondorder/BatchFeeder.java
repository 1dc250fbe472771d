package org.panagrad.optim.secondorder;

import org.panagrad.runtime.Program;

/**
 * Feeds one step's data into a program. A closure-based optimizer calls it once for each program it runs
 * ({@link ClosureOptimizer#programs()}), so one feeder can set every input the model has (minibatch and
 * curvature sub-batch): a program ignores the inputs it does not read. Make it once and reuse it, so that the
 * step allocates nothing.
 */
@FunctionalInterface
public interface BatchFeeder {
    void feed(Program program);
}
