package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.graph.Op;
import org.panagrad.ops.fused.FusedElementwise;
import org.panagrad.kernels.ElementwiseChain;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;

/**
 * Runs chains of elementwise ops as one pass ({@link FusedElementwise}): an elementwise op takes in an elementwise
 * input of its own shape that nothing else reads, so the input is never stored. Second-order programs are full of
 * such chains (layer norm's backward differentiated again is a dozen multiplies and adds per row), each op of which
 * was a pass over memory. An input of a smaller shape (a per-row statistic broadcast along the row) stays an input
 * of the chain rather than being recomputed per element. It runs after {@link Fusion}, whose epilogue fusions (a bias
 * into its GEMM, the ReLU mask) save more and so come first.
 * <p>
 * With {@code varying} inputs ({@link Compiler#compile(org.panagrad.runtime.ParameterStore, List, Compiler.Options, Set)}),
 * an input computed from the rest only is not taken into a chain that depends on them: it would be recomputed on
 * every varying run instead of once.
 */
final class ElementwiseFusion {
    /** At most this many steps per chain (one scratch row of {@link ElementwiseChain} each) and this many inputs. */
    static final int MAX_STEPS = 12, MAX_LEAVES = 8;

    private ElementwiseFusion() {}

    static List<Node> run(List<Node> outputs, Set<Node> varying) {
        if (Boolean.getBoolean("chain.off")) return outputs;
        int[] uses = Rewrite.useCounts(outputs);
        BitSet dependent = dependents(outputs, varying);
        return Rewrite.apply(outputs, (original, n) -> fuse(original, n, uses, dependent));
    }

    private static Node fuse(Node original, Node n, int[] uses, BitSet dependent) {
        if (!FusedElementwise.fusible(n.op())) return n;
        Chain c = new Chain();
        int[] refs = new int[2];
        boolean absorbed = false;
        for (int i = 0; i < n.arity(); i++) {
            Node in = n.input(i), was = original.input(i);
            boolean absorb = uses[was.id()] == 1 && in.shape().equals(n.shape())
                    && (in.op() instanceof FusedElementwise || FusedElementwise.fusible(in.op()))
                    && (dependent.get(was.id()) || !dependent.get(original.id()))
                    && c.fits(in);
            refs[i] = absorb ? c.inline(in) : c.leaf(in);
            absorbed |= absorb;
        }
        if (!absorbed) return n;
        if (Boolean.getBoolean("chain.denseOnly")) {
            for (Node l : c.leaves) if (!l.shape().equals(n.shape()) && l.shape().numel() != 1) return n;
        }
        c.step(n.op(), refs[0], n.arity() > 1 ? refs[1] : ElementwiseChain.CONSTANT);
        return n.graph().node(new FusedElementwise(c.ops.toArray(new Op[0]), c.a(), c.b()), n.shape(), c.leaves.toArray(new Node[0]));
    }

    /** The nodes that depend on a varying input, by id. */
    private static BitSet dependents(List<Node> outputs, Set<Node> varying) {
        BitSet result = new BitSet();
        if (varying.isEmpty()) return result;
        BitSet reachable = Rewrite.reachable(outputs);
        List<Node> all = outputs.get(0).graph().nodes();
        for (int id = reachable.nextSetBit(0); id >= 0; id = reachable.nextSetBit(id + 1)) {
            Node n = all.get(id);
            boolean d = varying.contains(n);
            for (int i = 0; i < n.arity() && !d; i++) d = result.get(n.input(i).id());
            if (d) result.set(id);
        }
        return result;
    }

    /** A chain being built: its leaves (each node once) and steps. */
    private static final class Chain {
        final List<Node> leaves = new ArrayList<>();
        final List<Op> ops = new ArrayList<>();
        final List<int[]> operands = new ArrayList<>();

        int leaf(Node x) {
            int i = leaves.indexOf(x);
            if (i >= 0) return i;
            leaves.add(x);
            return leaves.size() - 1;
        }

        /** Whether x's steps and new leaves still fit, counting the step that will read it and the other operand. */
        boolean fits(Node x) {
            int steps = x.op() instanceof FusedElementwise ? ((FusedElementwise) x.op()).size() : 1;
            return ops.size() + steps + 1 <= MAX_STEPS && leaves.size() + x.arity() + 1 <= MAX_LEAVES;
        }

        /** Appends x's steps (x's leaves as this chain's); returns the reference to x's value. */
        int inline(Node x) {
            if (!(x.op() instanceof FusedElementwise)) {
                int ra = leaf(x.input(0)), rb = x.arity() > 1 ? leaf(x.input(1)) : ElementwiseChain.CONSTANT;
                return step(x.op(), ra, rb);
            }
            FusedElementwise f = (FusedElementwise) x.op();
            int base = ops.size();
            int[] leafOf = new int[x.arity()];
            for (int i = 0; i < leafOf.length; i++) leafOf[i] = leaf(x.input(i));
            for (int k = 0; k < f.size(); k++) {
                step(f.step(k), map(f.a(k), leafOf, base), map(f.b(k), leafOf, base));
            }
            return -1 - (ops.size() - 1);
        }

        private static int map(int ref, int[] leafOf, int base) {
            if (ref == ElementwiseChain.CONSTANT) return ref;
            return ref >= 0 ? leafOf[ref] : -1 - (base + (-1 - ref));
        }

        int step(Op op, int ra, int rb) {
            ops.add(op);
            operands.add(new int[] {ra, rb});
            return -1 - (ops.size() - 1);
        }

        int[] a() {
            return operands.stream().mapToInt(o -> o[0]).toArray();
        }

        int[] b() {
            return operands.stream().mapToInt(o -> o[1]).toArray();
        }
    }
}
