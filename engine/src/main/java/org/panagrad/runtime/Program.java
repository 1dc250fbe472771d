package org.panagrad.runtime;

import org.panagrad.graph.Buffers;
import org.panagrad.graph.DType;
import org.panagrad.graph.Input;
import org.panagrad.graph.Instruction;
import org.panagrad.graph.Node;
import org.panagrad.graph.Storage;
import org.panagrad.graph.View;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A compiled program: an instruction list over one preallocated arena and the shared parameter store.
 * Feed the inputs, {@link #run()}, read the outputs; running allocates nothing. One thread at a time (different
 * threads one after another is fine): a run, or feeding an input, while another thread runs the program fails at
 * once with an {@link IllegalStateException} instead of mixing the two runs' values (one compare-and-set per run).
 * <p>
 * Inputs are arguments, not part of the arena, as JAX reads the arrays a jitted function is called with:
 * {@link #bind} makes the program read an input from the caller's array in place, {@link #set} copies it
 * into an array the program keeps for it. The instructions that read an input are bound to its array, so
 * they are rebuilt when it changes: bind once and refill the array, and the steady state allocates nothing.
 * A view of an input or a parameter (a reshape, a contiguous slice) is read where its source is, with no copy.
 */
public final class Program {
    private static final VarHandle RUNNING;

    static {
        try {
            RUNNING = MethodHandles.lookup().findVarHandle(Program.class, "running", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** 1 while a run is in progress (set by compare-and-set, so a second thread cannot enter). */
    @SuppressWarnings("unused") // through RUNNING
    private volatile int running;
    /** The thread running, for the message a second thread gets; written after winning the CAS. */
    private Thread runner;
    private boolean detectAnomaly;
    private final float[] arena;
    private final Map<Node, Integer> offsets;
    /** Where each input the program reads is read from: unset, the program's own copy, or the caller's array. */
    private final Map<Node, Binding> inputs = new HashMap<>();
    private final Map<Node, Node> sources;
    /**
     * Views the planner gave no memory because they read an input or a parameter in place (a reshaped batch, a
     * reshaped weight): the input or parameter each reads, and from which element on.
     */
    private final Map<Node, Node> viewed = new HashMap<>();
    private final Map<Node, Integer> viewOffsets = new HashMap<>();
    private final ParameterStore store;
    private final Instruction[] code;
    private final List<Node> steps;
    private final List<Node> outputs;
    private final long naiveSize;
    private final boolean[] varying;
    private final int[] varyingSteps;
    private final Instruction[] varyingCode;
    private final Buffers buffers = new Buffers() {
        @Override
        public float[] array(Node n) {
            return Program.this.array(n);
        }

        @Override
        public int offset(Node n) {
            return offsetOf(n);
        }
    };

    private static final class Binding {
        float[] array, own;
        int offset;
        /** The instructions that read this input directly. */
        final List<Integer> readers = new ArrayList<>();
    }

    /**
     * Built by the compiler. {@code offsets} places the arena's nodes, {@code inputs} are the inputs the
     * program reads, {@code sources} maps each requested output to the node that computes it after rewriting,
     * {@code schedule} lists the nodes to compute in order (leaves compile to nothing), and the instructions of
     * the nodes in {@code varyingNodes} also form {@link #runVarying}.
     */
    public Program(float[] arena, Map<Node, Integer> offsets, Set<Node> inputs, Map<Node, Node> sources,
                   ParameterStore store, List<Node> schedule, Set<Node> varyingNodes, List<Node> outputs, long naiveSize) {
        this.arena = arena;
        this.offsets = offsets;
        this.sources = sources;
        this.store = store;
        this.outputs = List.copyOf(outputs);
        this.naiveSize = naiveSize;
        for (Node in : inputs) this.inputs.put(in, new Binding());
        List<Instruction> code = new ArrayList<>();
        List<Node> steps = new ArrayList<>();
        List<Integer> varyingSteps = new ArrayList<>();
        for (Node n : schedule) {
            if (!offsets.containsKey(n) && n.op().view(n) != null) { // reads an input or a parameter in place
                View v = n.op().view(n);
                Node source = n.input(v.input());
                viewed.put(n, viewed.getOrDefault(source, source));
                viewOffsets.put(n, viewOffsets.getOrDefault(source, 0) + v.offset());
                continue;
            }
            boolean readsInput = false;
            for (int k = 0; k < n.arity(); k++) {
                Binding b = this.inputs.get(storageOf(n.input(k)));
                if (b != null) {
                    readsInput = true;
                    b.readers.add(code.size());
                }
            }
            // Instructions reading an input are built once it is fed; one that computes nothing is dropped.
            Instruction i = readsInput ? unfed(n) : n.op().compile(n, buffers);
            if (i == null) continue;
            if (varyingNodes.contains(n)) varyingSteps.add(code.size());
            code.add(i);
            steps.add(n);
        }
        this.code = code.toArray(new Instruction[0]);
        this.steps = List.copyOf(steps);
        this.varying = new boolean[this.code.length];
        this.varyingSteps = varyingSteps.stream().mapToInt(Integer::intValue).toArray();
        for (int i : this.varyingSteps) varying[i] = true;
        this.varyingCode = new Instruction[this.varyingSteps.length];
        for (int i = 0; i < this.varyingSteps.length; i++) varyingCode[i] = this.code[this.varyingSteps[i]];
    }

    public void run() {
        enter();
        try {
            if (detectAnomaly) {
                runDetectingAnomaly();
            } else {
                for (Instruction i : code) i.run();
            }
        } finally {
            leave();
        }
    }

    /**
     * Anomaly detection, as {@code torch.autograd.set_detect_anomaly}: from now on {@link #run} checks every
     * instruction's inputs and outputs and throws a {@link NonFiniteException} at the first that produces NaN or
     * an infinity from finite inputs (or reads one from outside the program). A pass over every value per
     * instruction: for finding where a training run goes wrong, not for training. Off by default.
     */
    public void detectAnomaly(boolean on) {
        detectAnomaly = on;
    }

    public boolean detectsAnomaly() {
        return detectAnomaly;
    }

    /**
     * Runs the instructions that do not depend on the varying inputs the program was compiled with (all of
     * them when there are none). Together with {@link #runVarying} it does what {@link #run} does.
     */
    public void runInvariant() {
        enter();
        try {
            for (int i = 0; i < code.length; i++) {
                if (!varying[i]) code[i].run();
            }
        } finally {
            leave();
        }
    }

    /**
     * Runs only the instructions that depend on the varying inputs, reading the rest's values from the last
     * {@link #runInvariant} or {@link #run}: right as long as nothing else those depend on (parameters, other
     * inputs) has changed since.
     */
    public void runVarying() {
        enter();
        try {
            for (Instruction i : varyingCode) i.run();
        } finally {
            leave();
        }
    }

    private void enter() {
        if (!RUNNING.compareAndSet(this, 0, 1)) throw concurrentUse("run it");
        runner = Thread.currentThread();
    }

    private void leave() {
        runner = null;
        RUNNING.setVolatile(this, 0);
    }

    /** Feeding an input while another thread runs would change what that run reads halfway through. */
    private void checkNotRunning() {
        if ((int) RUNNING.getVolatile(this) != 0) throw concurrentUse("feed an input");
    }

    private IllegalStateException concurrentUse(String action) {
        Thread other = runner;
        return new IllegalStateException("cannot " + action + " on thread '" + Thread.currentThread().getName()
                + "': this program is running on thread '" + (other == null ? "?" : other.getName())
                + "'. A Program runs on one thread at a time (its arena holds one run's values): compile one program"
                + " per thread, or run them one after another.");
    }

    private void runDetectingAnomaly() {
        for (int i = 0; i < code.length; i++) {
            Node n = steps.get(i);
            String badInput = null;
            for (int k = 0; k < n.arity() && badInput == null; k++) {
                badInput = nonFinite(n.input(k));
                if (badInput != null && isComputedHere(n.input(k))) badInput = null; // reported where it was made
                if (badInput != null) {
                    throw new NonFiniteException(n, i, where(n, i) + " reads " + badInput + ", " + origin(n.input(k))
                            + "; the first non-finite value comes from outside the program");
                }
            }
            code[i].run();
            for (Node written : written(n)) {
                String bad = nonFinite(written);
                if (bad != null) {
                    throw new NonFiniteException(n, i, where(n, i) + " wrote " + bad + " while its inputs were finite"
                            + " (inputs: " + describeInputs(n) + ")");
                }
            }
        }
    }

    /** What an instruction writes: its output, or for an update the parameters and state it overwrites. */
    private static List<Node> written(Node n) {
        if (!n.op().hasSideEffects()) return List.of(n);
        List<Node> out = new ArrayList<>();
        for (int k : n.op().overwrittenInputs()) out.add(n.input(k));
        out.add(n);
        return out;
    }

    private boolean isComputedHere(Node n) {
        return offsets.containsKey(n) && steps.contains(n);
    }

    /** "NaN at element 37 of relu#40 [128x500]", or null when every element of the node is finite. */
    private String nonFinite(Node n) {
        if (n.dtype() != DType.FLOAT) return null;
        float[] a = array(n);
        int off = offsetOf(n), size = n.shape().numel();
        for (int e = 0; e < size; e++) {
            float v = a[off + e];
            if (!Float.isFinite(v)) return v + " at element " + e + " of " + n.describe();
        }
        return null;
    }

    private static String origin(Node n) {
        return switch (n.op().storage()) {
            case INPUT -> "an input of the program";
            case VARIABLE -> n.graph().parameters().contains(n) ? "a parameter" : "optimizer or other state";
            case CONSTANT -> "a constant";
            case COMPUTED -> "a value computed outside this program";
        };
    }

    /** "instruction 12 of 30, matmul_nn+bias [128x10] (near parameters 2.weight, 2.bias)". */
    private String where(Node n, int i) {
        Set<String> near = nearestParameters(n);
        return "instruction " + i + " of " + code.length + ", " + n.op().name() + " " + n.shape()
                + (near.isEmpty() ? "" : " (near parameters " + String.join(", ", near) + ")");
    }

    private static String describeInputs(Node n) {
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < n.arity(); k++) s.append(k == 0 ? "" : ", ").append(n.input(k).describe());
        return s.toString();
    }

    /**
     * The node's place in the model: the trainable parameters fewest steps up its inputs (a layer's weight and
     * bias for its forward ops, the next layer's for the gradients flowing back through it).
     */
    static Set<String> nearestParameters(Node n) {
        Set<Node> seen = new HashSet<>();
        List<Node> level = List.of(n);
        while (!level.isEmpty()) {
            Set<String> found = new TreeSet<>();
            Set<Node> next = new LinkedHashSet<>();
            for (Node m : level) {
                if (!seen.add(m)) continue;
                if (m.op().storage() == Storage.VARIABLE && m.graph().parameters().contains(m)) found.add(m.name());
                next.addAll(m.inputs());
            }
            if (!found.isEmpty()) return found;
            level = new ArrayList<>(next);
        }
        return Set.of();
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
        enter();
        try {
            for (int i = 0; i < code.length; i++) {
                long t0 = System.nanoTime();
                code[i].run();
                nanos[i] += System.nanoTime() - t0;
            }
        } finally {
            leave();
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
     * Reads a float input from {@code array[offset...]} in place, from the next run on, until bound again or
     * {@link #set}: the caller refills the array between runs (not between {@link #runInvariant} and
     * {@link #runVarying}, unless the input is a varying one). Reading the input back reads the array as it is now. Binding another array or offset rebuilds the
     * instructions that read the input (allocating); binding the same one again costs nothing. An input this
     * program does not read is accepted and ignored, as JAX ignores unused arguments.
     */
    public void bind(Node input, float[] array, int offset) {
        checkNotRunning();
        Binding b = binding(input, DType.FLOAT);
        checkRange(input, array.length, offset, "values");
        if (b != null) point(b, array, offset);
    }

    public void bind(Node input, float[] array) {
        bind(input, array, 0);
    }

    /**
     * Copies a float input in, from {@code src[srcOffset...]}, into an array the program keeps for it (made at
     * the first call). An input this program does not read is accepted and ignored.
     */
    public void set(Node input, float[] src, int srcOffset) {
        checkNotRunning();
        Binding b = binding(input, DType.FLOAT);
        int n = input.shape().numel();
        checkRange(input, src.length, srcOffset, "values");
        if (b != null) System.arraycopy(src, srcOffset, own(b, n), 0, n);
    }

    public void set(Node input, float[] src) {
        set(input, src, 0);
    }

    /**
     * Copies class labels in, from {@code src[srcOffset...]}, checking each is a valid class (or the ignore index
     * the labels were declared with, see {@link org.panagrad.graph.Graph#labelsIgnoring}).
     */
    public void setLabels(Node labels, int[] src, int srcOffset) {
        checkNotRunning();
        Binding b = binding(labels, DType.LABELS);
        Input declared = (Input) labels.op();
        int n = labels.shape().numel();
        checkRange(labels, src.length, srcOffset, "labels");
        for (int i = 0; i < n; i++) {
            int c = src[srcOffset + i];
            if (!declared.accepts(c)) {
                throw new IllegalArgumentException(labels.describe() + ": label " + c + " at index " + (srcOffset + i)
                        + " is outside [0, " + declared.classes() + ")" + declared.ignoreIndex().stream()
                        .mapToObj(k -> " and is not the ignore index " + k).findFirst().orElse(""));
            }
        }
        if (b == null) return;
        float[] own = own(b, n);
        for (int i = 0; i < n; i++) own[i] = src[srcOffset + i];
    }

    public void setLabels(Node labels, int[] src) {
        setLabels(labels, src, 0);
    }

    /** The input's binding, or null when the program does not read it. */
    private Binding binding(Node input, DType dtype) {
        if (input.op().storage() != Storage.INPUT || input.dtype() != dtype) {
            throw new IllegalArgumentException(input.describe() + " is not a " + (dtype == DType.LABELS ? "labels" : "float")
                    + " input");
        }
        return inputs.get(input);
    }

    private static void checkRange(Node input, int length, int offset, String what) {
        int n = input.shape().numel();
        if (offset < 0 || (long) offset + n > length) {
            throw new IllegalArgumentException(input.describe() + " needs " + n + " " + what + " from offset " + offset
                    + ", but the source holds " + length);
        }
    }

    /** The program's own array for an input, made once, which the input is then read from. */
    private float[] own(Binding b, int n) {
        if (b.own == null) b.own = new float[n];
        point(b, b.own, 0);
        return b.own;
    }

    private void point(Binding b, float[] array, int offset) {
        if (b.array == array && b.offset == offset) return;
        b.array = array;
        b.offset = offset;
        for (int i : b.readers) {
            Node n = steps.get(i);
            Instruction rebuilt = unfedInputs(n).isEmpty() ? n.op().compile(n, buffers) : unfed(n);
            code[i] = rebuilt == null ? () -> { } : rebuilt;
        }
        for (int i = 0; i < varyingSteps.length; i++) varyingCode[i] = code[varyingSteps[i]];
    }

    /** Stands in for an instruction until every input it reads is fed. */
    private Instruction unfed(Node n) {
        return () -> {
            throw new IllegalStateException("input " + unfedInputs(n) + " was not fed: set or bind it before running (read by "
                    + n.describe() + ")");
        };
    }

    /** The inputs n reads that are not fed yet, named and comma-separated; empty when all are. */
    private String unfedInputs(Node n) {
        StringBuilder missing = new StringBuilder();
        for (int k = 0; k < n.arity(); k++) {
            Node input = storageOf(n.input(k));
            Binding in = inputs.get(input);
            if (in != null && in.array == null) missing.append(missing.length() == 0 ? "" : ", ").append(input.describe());
        }
        return missing.toString();
    }

    /** Whether this program reads the input, or computes the node and keeps it readable. */
    public boolean reads(Node node) {
        Node src = storageOf(source(node));
        return inputs.containsKey(src) || offsets.containsKey(src);
    }

    /** The node whose memory n's values are in: n, or the input or parameter that n is a view of. */
    private Node storageOf(Node n) {
        return viewed.getOrDefault(n, n);
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

    /** Copies {@code length} values of an output, from its element {@code from} on, into dst from dstOffset on. */
    public void readRange(Node output, int from, float[] dst, int dstOffset, int length) {
        if (from < 0 || length < 0 || from + length > output.shape().numel()) {
            throw new IndexOutOfBoundsException("elements " + from + ".." + (from + length) + " of " + output.describe());
        }
        Node src = source(output);
        System.arraycopy(array(src), offsetOf(src) + from, dst, dstOffset, length);
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
        n = storageOf(n);
        if (n.op().storage() == Storage.VARIABLE) return store.get(n);
        Binding b = inputs.get(n);
        if (b != null) {
            if (b.array == null) throw new IllegalStateException("input " + n.describe() + " was not fed");
            return b.array;
        }
        if (!offsets.containsKey(n)) throw new IllegalArgumentException(n.describe() + " is not computed by this program");
        return arena;
    }

    private int offsetOf(Node n) {
        Integer view = viewOffsets.get(n);
        if (view != null) return offsetOf(viewed.get(n)) + view;
        if (n.op().storage() == Storage.VARIABLE) return 0;
        Binding b = inputs.get(n);
        return b != null ? b.offset : offsets.get(n);
    }

    /** Floats in the planned arena: every value the program computes (inputs and parameters are outside). */
    public int arenaSize() {
        return arena.length;
    }

    /** Floats the arena's values would take if each had its own memory: what the planner saves against. */
    public long naiveSize() {
        return naiveSize;
    }

    /** Floats of the inputs the program reads: held by the caller when bound, by the program once set. */
    public long inputSize() {
        long n = 0;
        for (Node in : inputs.keySet()) n += in.shape().numel();
        return n;
    }

    public ParameterStore store() {
        return store;
    }
}
