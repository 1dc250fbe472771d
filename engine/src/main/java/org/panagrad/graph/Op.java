package org.panagrad.graph;

/**
 * What a node computes. One implementation per op, holding everything about it in one place: its forward
 * definition in float64 (for the reference interpreter) and in float32 (an instruction over planned buffers),
 * and its derivative rules written as ordinary graph nodes, so that derivatives can be differentiated again.
 *
 * <p>Ops are immutable values: two nodes with equal ops and the same inputs compute the same thing, which is
 * what common-subexpression elimination relies on. Ops with identity (inputs, parameters) must not be equal
 * to one another.
 */
public interface Op {
    /** Short lower-case name, as shown in errors, graphs and profiles: "matmul", "relu". */
    String name();

    /**
     * Vector-Jacobian product: given the cotangent {@code g} of {@code y}, the cotangent of each input of y.
     * An entry may be null where that contribution is zero or the input is not differentiable.
     */
    Node[] vjp(Node y, Node g);

    /**
     * Jacobian-vector product: given tangents of y's inputs (null meaning zero), the tangent of y,
     * or null when it is zero.
     */
    Node jvp(Node y, Node[] tangents);

    /**
     * The batching rule (as JAX's vmap): y for k stacked values of some inputs at once, a node of shape
     * {@code [k] + y's shape} whose entry j is y computed from entry j of each stacked input. {@code inputs} are
     * y's inputs, each one with {@code stacked[i]} replaced by its stack of shape {@code [k] + its shape}.
     * Null where the op has no rule: the caller then computes y once per entry and concatenates (correct for
     * every op; the rule is there to turn k small products into one wide one).
     */
    default Node batched(Node y, Node[] inputs, boolean[] stacked, int k) {
        return null;
    }

    /** Evaluates y in float64 with plain loops: the reference every compiled program is tested against. */
    void reference(Node y, double[][] inputs, double[] out);

    /** The float32 instruction that computes y into its planned buffer. Called once, at compile time. */
    Instruction compile(Node y, Buffers buffers);

    /** Floating-point operations per run, for profiles. */
    default long flops(Node y) {
        return y.shape().numel();
    }

    /**
     * Index of an input whose buffer y may overwrite when that input is not needed afterwards, or -1.
     * Only ops whose kernels read each element before writing the same element may return one.
     */
    default int inPlaceInput(Node y) {
        return -1;
    }

    /**
     * Whether y is a view of one of its inputs: that input's elements from an offset on, in the same order (a
     * reshape; a contiguous slice). The memory planner then gives y no memory of its own when that input lives
     * in the arena: y shares it, and keeps it alive as long as y is read. Where the input lives elsewhere (a
     * program input, a parameter), y gets its own memory, so the op's instruction must copy unless it finds
     * both in the same place. Null for ops that compute their values.
     */
    default View view(Node y) {
        return null;
    }

    /** Where y's values live: computed into the arena unless the op is a leaf that says otherwise. */
    default Storage storage() {
        return Storage.COMPUTED;
    }

    /** Writes a {@link Storage#CONSTANT} node's values into {@code dst} from {@code offset} on, at compile time. */
    default void writeConstant(Node y, float[] dst, int offset) {
        throw new UnsupportedOperationException(name() + " is not a constant");
    }

    /** True for ops that write state outside the arena (optimizer updates): kept by dead-code elimination. */
    default boolean hasSideEffects() {
        return false;
    }

    /**
     * The inputs whose values an op with side effects overwrites; the schedule runs it after every other
     * reader of them.
     */
    default int[] overwrittenInputs() {
        return hasSideEffects() ? new int[] {0} : new int[0];
    }
}
