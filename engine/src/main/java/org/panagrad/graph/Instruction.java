package org.panagrad.graph;

/**
 * One step of a compiled program, with its buffers and sizes bound at compile time, so that running it
 * allocates nothing and looks nothing up.
 */
@FunctionalInterface
public interface Instruction {
    void run();
}
