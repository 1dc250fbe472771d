package org.panagrad.runtime;

import org.panagrad.graph.DType;
import org.panagrad.graph.Node;
import org.panagrad.ops.Input;
import org.panagrad.ops.Variable;

import java.util.List;
import java.util.Map;

/**
 * A compiled program: an instruction list over one preallocated arena and the shared parameter store.
 * Feed the inputs, {@link #run()}, read the outputs; running allocates nothing. Not thread-safe: one thread
 * at a time (different threads one after another is fine).
 */
public final class Program {
    private final float[] arena;
    private final Map<Node, Integer> offsets;
    private final Map<Node, Node> sources;
    private final ParameterStore store;
    private final Instruction[] code;
    private final List<Node> steps;
    private final List<Node> outputs;
    private final long naiveSize;
    private final boolean[] varying;
    private final Instruction[] varyingCode;

    /**
     * Built by the compiler. {@code offsets} places the scheduled nodes in the arena, {@code sources} maps each
     * requested output to the node that computes it after rewriting, {@code steps} names the node each
     * instruction computes.
     */
    public Program(float[] arena, Map<Node, Integer> offsets, Map<Node, Node> sources, ParameterStore store,
                   Instruction[] code, List<Node> steps, List<Node> outputs, long naiveSize, int[] varyingSteps) {
        this.varying = new boolean[code.length];
        for (int i : varyingSteps) varying[i] = true;
        this.varyingCode = new Instruction[varyingSteps.length];
        for (int i = 0; i < varyingSteps.length; i++) varyingCode[i] = code[varyingSteps[i]];
        this.arena = arena;
        this.offsets = offsets;
        this.sources = sources;
        this.store = store;
        this.code = code;
        this.steps = List.copyOf(steps);
        this.outputs = List.copyOf(outputs);
        this.naiveSize = naiveSize;
    }

    public void run() {
        for (Instruction i : code) i.run();
    }

    /**
     * Runs the instructions that do not depend on the varying inputs the program was compiled with (all of
     * them when there are none). Together with {@link #runVarying} it does what {@link #run} does.
     */
    public void runInvariant() {
        for (int i = 0; i < code.length; i++) {
            if (!varying[i]) code[i].run();
        }
    }

    /**
     * Runs only the instructions that depend on the varying inputs, reading the rest's values from the last
     * {@link #runInvariant} or {@link #run}: right as long as nothing else those depend on (parameters, other
     * inputs) has changed since.
     */
    public void runVarying() {
        for (Instruction i : varyingCode) i.run();
    }

    /** Whether instruction i (see {@link #instructionNodes()}) is one that {@link #runVarying} runs. */
    public boolean isVarying(int instruction) {
        return varying[instruction];
    }

    /**
     * Runs while timing every instruction: {@code nanos[i]} grows by the time of instruction i
     * (see {@link #instructionNodes()}). For profiles; the timing itself allocates nothing.
     */
    public void runTimed(long[] nanos) {
        for (int i = 0; i < code.length; i++) {
            long t0 = System.nanoTime();
            code[i].run();
            nanos[i] += System.nanoTime() - t0;
        }
    }

    /** The node each instruction computes, in execution order. */
    public List<Node> instructionNodes() {
        return steps;
    }

    public List<Node> outputs() {
        return outputs;
    }

    /**
     * Copies a float input in, from {@code src[srcOffset...]}. An input this program does not read (its
     * outputs do not depend on it) is accepted and ignored, as JAX ignores unused arguments.
     */
    public void set(Node input, float[] src, int srcOffset) {
        int off = inputOffset(input, DType.FLOAT);
        int n = input.shape().numel();
        if (srcOffset < 0 || srcOffset + n > src.length) {
            throw new IllegalArgumentException(input.describe() + " needs " + n + " values from offset " + srcOffset
                    + ", but the source holds " + src.length);
        }
        if (off >= 0) System.arraycopy(src, srcOffset, arena, off, n);
    }

    public void set(Node input, float[] src) {
        set(input, src, 0);
    }

    /** Copies class labels in, from {@code src[srcOffset...]}, checking each is a valid class. */
    public void setLabels(Node labels, int[] src, int srcOffset) {
        int off = inputOffset(labels, DType.LABELS);
        int n = labels.shape().numel(), classes = ((Input) labels.op()).classes();
        if (srcOffset < 0 || srcOffset + n > src.length) {
            throw new IllegalArgumentException(labels.describe() + " needs " + n + " labels from offset " + srcOffset
                    + ", but the source holds " + src.length);
        }
        for (int i = 0; i < n; i++) {
            int c = src[srcOffset + i];
            if (c < 0 || c >= classes) {
                throw new IllegalArgumentException(labels.describe() + ": label " + c + " at index " + (srcOffset + i)
                        + " is outside [0, " + classes + ")");
            }
            if (off >= 0) arena[off + i] = c;
        }
    }

    public void setLabels(Node labels, int[] src) {
        setLabels(labels, src, 0);
    }

    /** The input's offset in the arena, or -1 when the program does not read it. */
    private int inputOffset(Node input, DType dtype) {
        if (!(input.op() instanceof Input) || input.dtype() != dtype) {
            throw new IllegalArgumentException(input.describe() + " is not a " + (dtype == DType.LABELS ? "labels" : "float")
                    + " input");
        }
        Integer off = offsets.get(input);
        return off == null ? -1 : off;
    }

    /** Whether this program reads the input, or computes the node and keeps it readable. */
    public boolean reads(Node node) {
        return offsets.containsKey(source(node));
    }

    /** The value of a scalar output after a run. */
    public float scalar(Node output) {
        Node src = source(output);
        return array(src)[offsetOf(src)];
    }

    /** Copies an output (or a variable) into dst. */
    public void read(Node output, float[] dst) {
        readInto(output, dst, 0);
    }

    /** Copies an output (or a variable) into dst from dstOffset on. */
    public void readInto(Node output, float[] dst, int dstOffset) {
        Node src = source(output);
        System.arraycopy(array(src), offsetOf(src), dst, dstOffset, output.shape().numel());
    }

    private Node source(Node output) {
        return sources.getOrDefault(output, output);
    }

    /**
     * The node that computes a requested output after the compiler's rewrites (the output itself when it
     * was not rewritten), for tools that inspect a program, such as graph drawings.
     */
    public Node sourceOf(Node output) {
        return source(output);
    }

    /** A fresh copy of an output: convenient, but allocates; use {@link #read} in loops. */
    public float[] get(Node output) {
        float[] dst = new float[output.shape().numel()];
        read(output, dst);
        return dst;
    }

    private float[] array(Node n) {
        if (n.op() instanceof Variable) return store.get(n);
        if (!offsets.containsKey(n)) throw new IllegalArgumentException(n.describe() + " is not computed by this program");
        return arena;
    }

    private int offsetOf(Node n) {
        return n.op() instanceof Variable ? 0 : offsets.get(n);
    }

    /** Floats in the planned arena. */
    public int arenaSize() {
        return arena.length;
    }

    /** Floats all buffers would take if each had its own memory: what the planner saves against. */
    public long naiveSize() {
        return naiveSize;
    }

    public ParameterStore store() {
        return store;
    }
}
