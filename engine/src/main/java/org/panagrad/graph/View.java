package org.panagrad.graph;

/**
 * What a view op reads: the elements of its input {@code input} from element {@code offset} on, in the same
 * order, as a reshape (offset 0) or a contiguous slice does. See {@link Op#view}.
 */
public record View(int input, int offset) {}
