package org.panagrad.nn;

/**
 * How a forward pass is built: training (batch statistics, dropout on, state updates collected) or
 * evaluation (running statistics, dropout off, no side effects), as PyTorch's {@code model.train()} and
 * {@code model.eval()}. One graph holds both; each program is compiled from the pass it needs.
 */
public enum Mode {
    TRAIN, EVAL
}
