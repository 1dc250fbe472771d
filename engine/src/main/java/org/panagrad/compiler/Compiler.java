package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns requested nodes into a {@link Program}: lower fused ops where their composed forms are faster, simplify,
 * merge common subexpressions, fuse (then batch norm with its ReLU), schedule what the outputs need (dead code never enters the schedule), plan
 * memory, and bind each op's instruction to its buffers. The requested nodes stay readable under their original identity.
 */
public final class Compiler {
    /**
     * Which optional passes run; all by default. Turning them off is for tests and for studying their effect.
     * {@code lower} replaces fused ops by composed forms where those are faster ({@link AttentionLowering}); without
     * it, a composite of a kernel and its composed value still compiles to the kernel alone (not a pass: the kernel's
     * instruction compiles only that form).
     */
    public record Options(boolean lower, boolean simplify, boolean cse, boolean fuse) {
        public static final Options ALL = new Options(true, true, true, true);
        public static final Options NONE = new Options(false, false, false, false);
        /** Every pass but the lowerings: fused ops stay fused whatever their shapes. */
        public static final Options UNLOWERED = new Options(false, true, true, true);
    }

    private Compiler() {}

    public static Program compile(ParameterStore store, List<Node> outputs) {
        return compile(store, outputs, Options.ALL);
    }

    public static Program compile(ParameterStore store, List<Node> requested, Options options) {
        return compile(store, requested, options, Set.of());
    }

    /**
     * A program that can also rerun just the instructions that depend on the {@code varying} inputs
     * ({@link Program#runVarying}), as jax.linearize reuses the primal computation: every value those
     * instructions read from the rest stays live to the end of the program, so a run of the rest
     * ({@link Program#runInvariant}) leaves them in place for any number of reruns.
     */
    public static Program compile(ParameterStore store, List<Node> requested, Options options, Set<Node> varying) {
        if (requested.isEmpty()) throw new IllegalArgumentException("a program needs at least one output");
        List<Node> outputs = new ArrayList<>(new LinkedHashSet<>(requested));
        List<Node> rewritten = passes(outputs, options);
        List<Node> schedule = Schedule.of(rewritten);
        checkBufferSizes(schedule);
        // What the varying instructions read from the rest, and the rest's outputs, must survive a separate
        // pass over the varying instructions: they keep their memory for the whole program.
        Set<Node> dependsOnVarying = new HashSet<>(), pinned = new HashSet<>();
        for (Node n : schedule) {
            boolean dependent = varying.contains(n);
            for (int k = 0; k < n.arity() && !dependent; k++) dependent = dependsOnVarying.contains(n.input(k));
            if (!dependent) continue;
            dependsOnVarying.add(n);
            for (int k = 0; k < n.arity(); k++) {
                if (!dependsOnVarying.contains(n.input(k))) pinned.add(n.input(k));
            }
        }
        if (!dependsOnVarying.isEmpty()) {
            for (Node out : rewritten) if (!dependsOnVarying.contains(out)) pinned.add(out);
        }
        MemoryPlan plan = MemoryPlanner.plan(schedule, new HashSet<>(rewritten), pinned);
        checkHeap(plan);
        float[] arena = new float[plan.arenaSize()];

        Map<Node, Integer> offsets = new HashMap<>();
        plan.byNode().forEach((n, a) -> offsets.put(n, a.offset()));
        Set<Node> inputs = new HashSet<>();
        List<Node> computed = new ArrayList<>();
        for (Node n : schedule) {
            switch (n.op().storage()) {
                case CONSTANT: n.op().writeConstant(n, arena, offsets.get(n)); break;
                case VARIABLE: store.get(n); break;
                case INPUT: inputs.add(n); break;
                case COMPUTED: computed.add(n); break;
            }
        }
        // Requested nodes answer under their own identity, wherever the passes moved them.
        Map<Node, Node> sources = new HashMap<>();
        for (int i = 0; i < outputs.size(); i++) sources.put(outputs.get(i), rewritten.get(i));
        return new Program(arena, offsets, inputs, sources, store, computed, dependsOnVarying, outputs, plan.naiveSize());
    }

    /**
     * Every value a program holds is one float array (a parameter's, an input's, or a block of the arena), so
     * none may be longer than an array can be: checked before the planner adds sizes up in ints.
     */
    private static void checkBufferSizes(List<Node> schedule) {
        List<Node> tooLarge = new ArrayList<>();
        for (Node n : schedule) {
            // Leave room for the planner's rounding of blocks to whole cache lines.
            if (ProgramTooLargeException.floats(n) > ProgramTooLargeException.MAX_ARRAY_LENGTH - MemoryPlanner.ALIGN) {
                tooLarge.add(n);
            }
        }
        if (!tooLarge.isEmpty()) {
            throw new ProgramTooLargeException(tooLarge.size() + " value(s) would each need more floats than one Java"
                    + " array holds (" + ProgramTooLargeException.size(ProgramTooLargeException.MAX_ARRAY_LENGTH) + ")"
                    + ProgramTooLargeException.largest(tooLarge, 3) + ". Use a smaller batch or smaller layers.");
        }
    }

    /** An arena that fits an array but not the heap fails here with the flag to change, not later in new float[]. */
    private static void checkHeap(MemoryPlan plan) {
        long bytes = 4L * plan.arenaSize();
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && bytes > heap) {
            List<Node> computed = new ArrayList<>(plan.byNode().keySet());
            throw new ProgramTooLargeException("the program's arena needs " + ProgramTooLargeException.size(plan.arenaSize())
                    + ", more than the JVM's whole heap (" + String.format(java.util.Locale.ROOT, "%.2f GiB", heap / (double) (1L << 30))
                    + "; raise it with -Xmx)" + ProgramTooLargeException.largest(computed, 3));
        }
    }

    private static List<Node> passes(List<Node> outputs, Options options) {
        List<Node> rewritten = outputs;
        rewritten = AttentionLowering.run(rewritten, options.lower());
        if (options.simplify()) rewritten = Simplify.run(rewritten);
        if (options.cse()) rewritten = CommonSubexpressions.run(rewritten);
        if (options.fuse()) rewritten = BatchNormReluFusion.run(Fusion.run(rewritten));
        return rewritten;
    }

    /** The plan a program would get, for tests and tools that study the planner. */
    public static MemoryPlan planOnly(List<Node> outputs, Options options) {
        List<Node> rewritten = passes(new ArrayList<>(new LinkedHashSet<>(outputs)), options);
        return MemoryPlanner.plan(Schedule.of(rewritten), new HashSet<>(rewritten));
    }
}
