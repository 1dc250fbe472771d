package org.panagrad.compiler;

import org.panagrad.graph.Node;

import java.util.List;
import java.util.Map;

/**
 * Where every buffer of a program lives in its arena, and when it is live: from the step that writes it to
 * the last step that reads it (inclusive). {@code inPlaceOf} names the buffer whose memory a node took over
 * at the step where that buffer died; {@code viewOf} the buffer a view reads in place (it overlaps that one
 * while both are live, and writes nothing).
 */
public record MemoryPlan(List<Allocation> allocations, Map<Node, Allocation> byNode, int arenaSize, long naiveSize) {

    /** Where one node lives in the arena (offset, size), during which instructions (first to last), whose buffer it reuses in place, if any, and whose buffer it is a view of, if any. */
    public record Allocation(Node node, int offset, int size, int first, int last, Node inPlaceOf, Node viewOf) {
        public boolean overlapsInMemory(Allocation o) {
            return offset < o.offset + o.size && o.offset < offset + size;
        }

        public boolean overlapsInTime(Allocation o) {
            return first <= o.last && o.first <= last;
        }
    }
}
