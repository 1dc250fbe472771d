package org.panagrad.graph;

/** Where a node's values live in a compiled program: what the compiler and runtime ask an op instead of its class. */
public enum Storage {
    /** Computed by the node's instruction into the program's arena. */
    COMPUTED,
    /** Fed by the caller before a run: an argument of the program, outside the arena. */
    INPUT,
    /** Kept between runs in the {@code ParameterStore} that every program over the graph shares. */
    VARIABLE,
    /** Written into the arena once, when the program is compiled ({@link Op#writeConstant}). */
    CONSTANT
}
