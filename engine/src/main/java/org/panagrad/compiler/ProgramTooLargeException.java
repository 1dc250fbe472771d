package org.panagrad.compiler;

import org.panagrad.graph.Node;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A program that cannot be allocated: a buffer, or the arena that holds every computed value, would exceed
 * the length of one Java array, or the arena would not fit in the heap. Thrown at compile time, before
 * anything is allocated, naming the largest buffers so that the user sees which layer or batch size to shrink.
 */
public final class ProgramTooLargeException extends IllegalArgumentException {
    /** The longest float[] HotSpot reliably allocates. */
    public static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    ProgramTooLargeException(String message) {
        super(message);
    }

    /** Floats in a buffer of this node's shape, without int overflow. */
    static long floats(Node n) {
        long size = 1;
        for (int d : n.shape().dims()) size *= d;
        return size;
    }

    /** "; the largest buffers: matmul#12 [50000x30000] 1,500,000,000 floats (5.59 GiB), ..." */
    static String largest(List<Node> buffers, int count) {
        StringBuilder s = new StringBuilder("; the largest buffers: ");
        List<Node> sorted = buffers.stream().sorted(Comparator.comparingLong(ProgramTooLargeException::floats).reversed())
                .limit(count).toList();
        for (int i = 0; i < sorted.size(); i++) {
            Node n = sorted.get(i);
            s.append(i == 0 ? "" : ", ").append(n.describe()).append(' ').append(size(floats(n)));
        }
        return s.toString();
    }

    static String size(long floats) {
        return String.format(Locale.ROOT, "%,d floats (%.2f GiB)", floats, floats * 4.0 / (1L << 30));
    }
}
