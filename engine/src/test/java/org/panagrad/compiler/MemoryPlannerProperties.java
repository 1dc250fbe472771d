package org.panagrad.compiler;

import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.panagrad.testing.Reference.assertClose;

/** The memory planner over random graphs: live buffers never share memory, and programs stay correct. */
class MemoryPlannerProperties {

    /** A random graph over [r x c] and [c x r] values, with elementwise ops, products, reductions and softmax. */
    private static List<Node> randomGraph(Graph g, Random rnd, int size) {
        int r = 2 + rnd.nextInt(5), c = 2 + rnd.nextInt(5);
        List<Node> square = new ArrayList<>(List.of(g.input("a", r, c), g.input("b", r, c)));
        List<Node> all = new ArrayList<>(square);
        for (int i = 0; i < size; i++) {
            Node x = square.get(rnd.nextInt(square.size())), y = square.get(rnd.nextInt(square.size()));
            Node n;
            switch (rnd.nextInt(13)) {
                case 0: n = Ops.add(x, y); break;
                case 1: n = Ops.mul(x, y); break;
                case 2: n = Ops.tanh(x); break;
                case 3: n = Ops.relu(x); break;
                case 4: n = Ops.softmax(x); break;
                case 5: n = Ops.matmul(Ops.matmul(x, y, false, true), x); break;
                case 6: n = Ops.sub(x, Ops.sum(y, 0, true)); break;
                case 7: n = Ops.exp(Ops.scale(x, 0.5)); break;
                // Views (reshapes, slices of rows) and the copies around them.
                case 9: n = Ops.tanh(Ops.reshape(Ops.reshape(x, c, r), r, c)); break;
                case 10: n = Ops.concat(0, Ops.slice(x, 0, 1, r), Ops.slice(y, 0, 0, 1)); break;
                case 11: n = Ops.pad(Ops.slice(Ops.transpose(Ops.transpose(x)), 1, 1, c), new int[] {0, 1}, new int[] {0, 0}); break;
                case 12: {
                    Node bx = Ops.reshape(x, 1, r, c);
                    n = Ops.reshape(Ops.matmul(Ops.matmul(bx, Ops.reshape(y, 1, r, c), false, true), bx), r, c);
                    break;
                }
                default: n = Ops.neg(Ops.maximum(x, y)); break;
            }
            square.add(n);
            all.add(n);
        }
        List<Node> outputs = new ArrayList<>();
        outputs.add(square.get(square.size() - 1));
        for (int i = 0; i < 2; i++) outputs.add(all.get(2 + rnd.nextInt(all.size() - 2)));
        // Sometimes differentiate, which brings in-place candidates and longer lives.
        if (rnd.nextBoolean()) outputs.addAll(List.of(Autodiff.grad(Ops.sum(outputs.get(0)), square.get(0), square.get(1))));
        return outputs;
    }

    @Property(tries = 150)
    void buffersLiveAtTheSameTimeNeverOverlap(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                             @ForAll @IntRange(min = 1, max = 30) int size) {
        Graph g = new Graph();
        List<Node> outputs = randomGraph(g, new Random(seed), size);
        for (Compiler.Options options : List.of(Compiler.Options.ALL, Compiler.Options.NONE)) {
            MemoryPlan plan = Compiler.planOnly(outputs, options);
            List<MemoryPlan.Allocation> as = plan.allocations();
            for (int i = 0; i < as.size(); i++) {
                for (int j = i + 1; j < as.size(); j++) {
                    MemoryPlan.Allocation a = as.get(i), b = as.get(j);
                    if (!a.overlapsInMemory(b) || !a.overlapsInTime(b)) continue;
                    boolean sameValue = root(plan, a.node()) == root(plan, b.node()); // views only read
                    if (!sameValue && !handsOver(plan, a, b) && !handsOver(plan, b, a)) {
                        throw new AssertionError("live buffers overlap: " + a + " and " + b);
                    }
                }
            }
            // No placement needs less than the peak live set; greedy by size lands close above it (within 1.34x
            // over 33,902 random plans; it has no proven bound, so the test allows 1.5x).
            long peak = peakLiveSet(plan);
            if (plan.arenaSize() < peak || plan.arenaSize() > peak * 3 / 2) {
                throw new AssertionError("arena " + plan.arenaSize() + " for a peak live set of " + peak);
            }
        }
    }

    /**
     * Graphs whose views once made the bound count their memory twice (arena 112 for a "peak" of 128, 224 for
     * 256, 160 for 176): jqwik rarely draws them, so they are checked on every run.
     */
    @Example
    void viewsCountOnceInThePeakLiveSet() {
        buffersLiveAtTheSameTimeNeverOverlap(1, 1);
        buffersLiveAtTheSameTimeNeverOverlap(2, 2);
        buffersLiveAtTheSameTimeNeverOverlap(9, 1);
    }

    /** The value a view reads, through views of views; n itself when it is not a view. */
    private static Node root(MemoryPlan plan, Node n) {
        MemoryPlan.Allocation a = plan.byNode().get(n);
        return a == null || a.viewOf() == null ? n : root(plan, a.viewOf());
    }

    /** Whether {@code to} took over the memory of from's value (or a view of it) at the step where from died. */
    private static boolean handsOver(MemoryPlan plan, MemoryPlan.Allocation from, MemoryPlan.Allocation to) {
        return to.inPlaceOf() != null && root(plan, to.inPlaceOf()) == root(plan, from.node()) && to.first() == from.last();
    }

    @Property(tries = 60)
    void plannedProgramsComputeWhatTheReferenceComputes(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                        @ForAll @IntRange(min = 1, max = 25) int size) {
        Graph g = new Graph();
        Random rnd = new Random(seed);
        List<Node> outputs = randomGraph(g, rnd, size);
        Node a = g.nodes().get(0), b = g.nodes().get(1);
        Map<Node, double[]> feed = Reference.feed(rnd, List.of(a, b), -1, 1);
        Map<Node, double[]> expected = ReferenceInterpreter.evaluate(outputs, feed);
        // Products of products and exponentials can outgrow float (seed 30843, size 19: exp of a value near 207,
        // 1e45 in float64, Infinity in any float program): such a graph tests float's range, not the plan.
        Assume.that(expected.values().stream().flatMapToDouble(java.util.Arrays::stream)
                .allMatch(v -> Math.abs(v) < Float.MAX_VALUE / 1e3));
        Program p = Compiler.compile(new ParameterStore(), outputs);
        p.set(a, Reference.toFloat(feed.get(a)));
        p.set(b, Reference.toFloat(feed.get(b)));
        p.run();
        for (Node o : outputs) {
            assertClose(o.describe(), expected.get(o), Reference.toDouble(p.get(o)), 1e-3, 1e-4);
        }
    }

    /**
     * The most memory live at any one step, each buffer rounded to the planner's alignment: no placement can do
     * with less. A view takes no memory of its own but keeps the value it reads (its root) live until its last
     * read, so each root counts from the step that writes it to the last read of it or of any view of it. A
     * buffer that takes over an input dying at its step (in place) shares that input's memory at that step,
     * counted there.
     */
    static long peakLiveSet(MemoryPlan plan) {
        Map<Node, Integer> lastRead = new HashMap<>(); // root -> last step it or a view of it is read
        for (MemoryPlan.Allocation a : plan.allocations()) lastRead.merge(root(plan, a.node()), a.last(), Math::max);
        int steps = 0;
        for (int last : lastRead.values()) steps = Math.max(steps, last + 1);
        long[] live = new long[steps + 1];
        for (MemoryPlan.Allocation a : plan.allocations()) {
            if (a.viewOf() != null) continue; // its memory is its root's, counted with the root
            long size = (a.size() + MemoryPlanner.ALIGN - 1) / MemoryPlanner.ALIGN * MemoryPlanner.ALIGN;
            int from = a.first();
            if (a.inPlaceOf() != null) from++; // at its first step it is its donor's memory, counted there
            for (int t = from; t <= lastRead.get(a.node()); t++) live[t] += size;
        }
        long peak = 0;
        for (long l : live) peak = Math.max(peak, l);
        return peak;
    }
}
