package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.ops.Constant;
import org.panagrad.ops.Fill;
import org.panagrad.ops.Input;
import org.panagrad.ops.Variable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Places every buffer of a schedule in one float arena. Liveness runs from a node's step to its last reader;
 * buffers whose lives do not meet share memory (first fit over a free list), and an elementwise op may write
 * over an input that dies at that very step. Inputs, constants, fills and outputs stay live throughout;
 * variables live in the parameter store, not here.
 */
public final class MemoryPlanner {
    /** Offsets are multiples of 16 floats (64 bytes, a cache line), so that vector loads do not straddle lines. */
    static final int ALIGN = 16;

    private MemoryPlanner() {}

    public static MemoryPlan plan(List<Node> schedule, Set<Node> outputs) {
        int steps = schedule.size();
        Map<Node, Integer> step = new HashMap<>();
        for (int i = 0; i < steps; i++) step.put(schedule.get(i), i);
        Map<Node, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < steps; i++) {
            Node n = schedule.get(i);
            for (int k = 0; k < n.arity(); k++) lastUse.put(n.input(k), i);
        }
        FreeList free = new FreeList();
        Map<Node, MemoryPlan.Allocation> byNode = new HashMap<>();
        List<MemoryPlan.Allocation> allocations = new ArrayList<>();
        long naive = 0;
        // Preloaded values are live from the start, so they are placed before anything can be freed.
        for (Node n : schedule) {
            if (!isPreloaded(n)) continue;
            MemoryPlan.Allocation a = new MemoryPlan.Allocation(n, free.allocate(n.shape().numel()),
                    n.shape().numel(), 0, steps - 1, null);
            byNode.put(n, a);
            allocations.add(a);
            naive += a.size();
        }
        for (int i = 0; i < steps; i++) {
            Node n = schedule.get(i);
            if (n.op() instanceof Variable || isPreloaded(n)) continue;
            int size = n.shape().numel();
            naive += size;
            int last = outputs.contains(n) ? steps - 1 : lastUse.getOrDefault(n, i);
            Node donor = inPlaceDonor(n, i, lastUse, byNode, outputs);
            int offset = donor != null ? byNode.get(donor).offset() : free.allocate(size);
            MemoryPlan.Allocation a = new MemoryPlan.Allocation(n, offset, size, i, last, donor);
            byNode.put(n, a);
            allocations.add(a);
            // Inputs read for the last time at this step give their memory back, after the output was placed.
            Set<Node> released = new HashSet<>();
            for (int k = 0; k < n.arity(); k++) {
                Node in = n.input(k);
                MemoryPlan.Allocation ia = byNode.get(in);
                if (ia != null && ia.last() == i && in != donor && released.add(in)) free.release(ia.offset(), ia.size());
            }
            if (last == i) free.release(offset, size); // read by nobody: a side effect's placeholder
        }
        return new MemoryPlan(allocations, byNode, free.end(), naive);
    }

    private static boolean isPreloaded(Node n) {
        return n.op() instanceof Input || n.op() instanceof Constant || n.op() instanceof Fill;
    }

    /** The input whose memory n may take over: one its op allows, of n's size, dying at this step. */
    private static Node inPlaceDonor(Node n, int step, Map<Node, Integer> lastUse,
                                     Map<Node, MemoryPlan.Allocation> byNode, Set<Node> outputs) {
        int k = n.op().inPlaceInput(n);
        if (k < 0) return null;
        Node in = n.input(k);
        MemoryPlan.Allocation ia = byNode.get(in);
        if (ia == null || isPreloaded(in) || outputs.contains(in) || ia.size() != n.shape().numel()) return null;
        return lastUse.get(in) == step && ia.last() == step ? in : null;
    }

    /** First-fit allocation over free blocks kept sorted by offset and merged with their neighbours. */
    private static final class FreeList {
        private final List<int[]> blocks = new ArrayList<>(); // {offset, size}
        private int end;

        int allocate(int size) {
            int need = roundUp(size);
            for (int b = 0; b < blocks.size(); b++) {
                int[] block = blocks.get(b);
                if (block[1] >= need) {
                    int offset = block[0];
                    block[0] += need;
                    block[1] -= need;
                    if (block[1] == 0) blocks.remove(b);
                    return offset;
                }
            }
            // Grow the arena, reusing a free block at its end.
            if (!blocks.isEmpty()) {
                int[] lastBlock = blocks.get(blocks.size() - 1);
                if (lastBlock[0] + lastBlock[1] == end) {
                    blocks.remove(blocks.size() - 1);
                    end = lastBlock[0] + need;
                    return lastBlock[0];
                }
            }
            int offset = end;
            end += need;
            return offset;
        }

        void release(int offset, int size) {
            int need = roundUp(size);
            int b = 0;
            while (b < blocks.size() && blocks.get(b)[0] < offset) b++;
            blocks.add(b, new int[] {offset, need});
            if (b + 1 < blocks.size() && offset + need == blocks.get(b + 1)[0]) {
                blocks.get(b)[1] += blocks.remove(b + 1)[1];
            }
            if (b > 0 && blocks.get(b - 1)[0] + blocks.get(b - 1)[1] == offset) {
                blocks.get(b - 1)[1] += blocks.remove(b)[1];
            }
        }

        int end() {
            return end;
        }

        private static int roundUp(int size) {
            return (size + ALIGN - 1) / ALIGN * ALIGN;
        }
    }
}
