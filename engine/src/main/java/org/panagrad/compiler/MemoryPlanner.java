package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;
import org.panagrad.graph.View;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Places every buffer of a schedule in one float arena. A buffer is live from the step that writes it to the
 * last step that reads it; buffers whose lives do not meet may share memory. An op whose kernel reads each
 * element before writing it (elementwise ops, a masked product with one k block; {@code Op.inPlaceInput}) may
 * write over an input that dies at that very step (in place), which joins the two into one block. Blocks are placed
 * largest first, each at the lowest offset free for its whole life ("greedy by size", as TensorFlow Lite's
 * planner): with the future known, this lands close to the peak live set, where first fit in schedule order
 * fragments. A view (a reshape, a contiguous slice: {@code Op.view}) of a value in the arena joins that value's
 * block at its offset and keeps it live while the view is read; a view of an input or a parameter is not in the
 * arena at all (the program reads it where its source is). Views cost no memory and no instruction.
 * Constants, fills and outputs stay live throughout; variables live in the parameter store and
 * inputs in the caller's arrays (or the program's copies of them, see {@link org.panagrad.runtime.Program#bind}),
 * not here.
 */
public final class MemoryPlanner {
    /** Offsets are multiples of 16 floats (64 bytes, a cache line), so that vector loads do not straddle lines. */
    static final int ALIGN = 16;

    private MemoryPlanner() {}

    /**
     * Nodes sharing one block of memory (one after another, or a value and its views), and the steps the
     * block is live. {@code kept}: it holds a value that must survive the whole program (a constant, an
     * output, a pinned value), which no in-place op may then write over.
     */
    private static final class Block {
        final List<Node> nodes = new ArrayList<>();
        int size, first, last;
        long offset;
        boolean kept;
    }

    public static MemoryPlan plan(List<Node> schedule, Set<Node> outputs) {
        return plan(schedule, outputs, Set.of());
    }

    /**
     * A plan where the {@code pinned} nodes also keep their memory for the whole program, before they are
     * written as well as after: what a program whose instructions may run in two separate passes needs
     * (see {@link Compiler#compile(org.panagrad.runtime.ParameterStore, List, Compiler.Options, Set)}).
     */
    public static MemoryPlan plan(List<Node> schedule, Set<Node> outputs, Set<Node> pinned) {
        int steps = schedule.size();
        Map<Node, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < steps; i++) {
            Node n = schedule.get(i);
            for (int k = 0; k < n.arity(); k++) lastUse.put(n.input(k), i);
        }
        Map<Node, Block> blockOf = new HashMap<>();
        Map<Node, Integer> startOf = new HashMap<>(); // where in its block a node starts
        Map<Node, Node> donorOf = new HashMap<>(), viewOf = new HashMap<>();
        Map<Node, int[]> lifeOf = new HashMap<>();
        List<Block> blocks = new ArrayList<>();
        Set<Node> outside = new HashSet<>(); // inputs, variables and views of them: memory the arena does not hold
        long naive = 0;
        for (int i = 0; i < steps; i++) {
            Node n = schedule.get(i);
            View view = n.op().view(n);
            if (n.op().storage() == Storage.VARIABLE || n.op().storage() == Storage.INPUT
                    || view != null && outside.contains(n.input(view.input()))) {
                outside.add(n);
                continue;
            }
            int size = n.shape().numel();
            naive += size;
            boolean whole = isPreloaded(n) || outputs.contains(n) || pinned.contains(n);
            int first = isPreloaded(n) || pinned.contains(n) ? 0 : i;
            int last = whole ? steps - 1 : lastUse.getOrDefault(n, i);
            lifeOf.put(n, new int[] {first, last});
            Node source = view == null ? null : n.input(view.input()), donor;
            Block b;
            int start = 0;
            if (source != null && blockOf.containsKey(source)) {
                b = blockOf.get(source);
                start = startOf.get(source) + view.offset();
                viewOf.put(n, source);
            } else if ((donor = inPlaceDonor(n, i, lastUse, blockOf)) != null) {
                b = blockOf.get(donor);
                start = startOf.get(donor);
                donorOf.put(n, donor);
            } else {
                b = new Block();
                b.first = first;
                blocks.add(b);
            }
            b.nodes.add(n);
            b.size = Math.max(b.size, roundUp(start + size));
            b.first = Math.min(b.first, first); // a pinned node taking over a donor's block claims it from the start
            b.last = Math.max(b.last, last);
            b.kept |= whole;
            blockOf.put(n, b);
            startOf.put(n, start);
        }
        long arena = place(blocks);
        if (arena > ProgramTooLargeException.MAX_ARRAY_LENGTH) {
            List<Node> all = new ArrayList<>(blockOf.keySet());
            throw new ProgramTooLargeException("the program's arena would hold " + ProgramTooLargeException.size(arena)
                    + " at its peak, more than one Java array can (" + ProgramTooLargeException.size(
                    ProgramTooLargeException.MAX_ARRAY_LENGTH) + ")" + ProgramTooLargeException.largest(all, 3)
                    + ". Use a smaller batch or smaller layers.");
        }
        List<MemoryPlan.Allocation> allocations = new ArrayList<>();
        Map<Node, MemoryPlan.Allocation> byNode = new HashMap<>();
        for (Node n : schedule) {
            Block b = blockOf.get(n);
            if (b == null) continue;
            int[] life = lifeOf.get(n);
            MemoryPlan.Allocation a = new MemoryPlan.Allocation(n, (int) (b.offset + startOf.get(n)), n.shape().numel(),
                    life[0], life[1], donorOf.get(n), viewOf.get(n));
            allocations.add(a);
            byNode.put(n, a);
        }
        return new MemoryPlan(allocations, byNode, (int) arena, naive);
    }

    /**
     * Largest block first, each at the lowest offset that no block live at the same time occupies. Offsets are
     * longs, so that an arena beyond an array's length is measured, not wrapped around.
     */
    private static long place(List<Block> blocks) {
        List<Block> order = new ArrayList<>(blocks);
        order.sort(Comparator.comparingInt((Block b) -> -b.size).thenComparingInt(b -> b.first));
        List<Block> placed = new ArrayList<>();
        long end = 0;
        for (Block b : order) {
            List<Block> conflicts = new ArrayList<>();
            for (Block p : placed) if (p.first <= b.last && b.first <= p.last) conflicts.add(p);
            conflicts.sort(Comparator.comparingLong(p -> p.offset));
            long offset = 0;
            for (Block p : conflicts) {
                if (offset + b.size <= p.offset) break;
                offset = Math.max(offset, p.offset + p.size);
            }
            b.offset = offset;
            placed.add(b);
            end = Math.max(end, offset + b.size);
        }
        return end;
    }

    private static boolean isPreloaded(Node n) {
        return n.op().storage() == Storage.CONSTANT;
    }

    /**
     * The input whose memory n may take over: one its op allows, of n's size, dying at this step together
     * with everything else in its block (its views, the value it is a view of).
     */
    private static Node inPlaceDonor(Node n, int step, Map<Node, Integer> lastUse, Map<Node, Block> blockOf) {
        int k = n.op().inPlaceInput(n);
        if (k < 0) return null;
        Node in = n.input(k);
        Block b = blockOf.get(in);
        if (b == null || b.kept || in.shape().numel() != n.shape().numel()) return null;
        for (Node other : n.inputs()) {
            if (other != in && blockOf.get(other) == b) return null; // another view of that memory is still being read
        }
        return lastUse.get(in) == step && b.last == step ? in : null;
    }

    private static int roundUp(int size) {
        return (size + ALIGN - 1) / ALIGN * ALIGN;
    }
}
