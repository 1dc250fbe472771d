package org.panagrad.compiler;

import org.panagrad.graph.Node;
import org.panagrad.ops.Concat;
import org.panagrad.ops.Pad;

import java.util.ArrayList;
import java.util.List;

/**
 * The sum of two zero paddings that place their operands side by side along one axis, as one padding of their
 * concatenation: the VJP of slices that split a tensor along an axis (q, k and v from one projection; the parts
 * of a fused attention's flat gradient) is a pad per slice summed by adds, which wrote the whole output once per
 * part and read it back per add; the concatenation writes each part once. Repeated sums flatten: a side that is
 * itself a pad of a concatenation along the axis contributes the concatenation's operands.
 */
final class AdjacentPads {
    private AdjacentPads() {}

    /** a + b (the add node n) as pad(concat(...)) where a and b are such paddings, else n. */
    static Node merge(Node n) {
        Placed a = Placed.of(n.input(0)), b = Placed.of(n.input(1));
        if (a == null || b == null || a.axis != b.axis || !n.input(0).shape().equals(n.shape())
                || !n.input(1).shape().equals(n.shape()) || n.input(0).dtype() != n.input(1).dtype()) {
            return n;
        }
        Placed first = a.start <= b.start ? a : b, second = first == a ? b : a;
        if (first.start + first.length != second.start) return n;
        List<Node> parts = new ArrayList<>(first.parts);
        parts.addAll(second.parts);
        int rank = n.shape().rank();
        int[] before = new int[rank], after = new int[rank];
        before[first.axis] = first.start;
        after[first.axis] = n.shape().dim(first.axis) - second.start - second.length;
        Node joined = Concat.of(first.axis, parts.toArray(Node[]::new));
        return before[first.axis] == 0 && after[first.axis] == 0 ? joined : Pad.of(joined, before, after);
    }

    /** A pad by steps of 1 along one axis only: its operands (the concatenation's, if it pads one along that axis), where they start and their length. */
    private record Placed(int axis, int start, int length, List<Node> parts) {
        static Placed of(Node x) {
            if (!(x.op() instanceof Pad pad)) return null;
            Node in = x.input(0);
            int axis = -1;
            for (int d = 0; d < x.shape().rank(); d++) {
                if (pad.steps().get(d) != 1) return null;
                if (in.shape().dim(d) == x.shape().dim(d)) continue;
                if (axis >= 0) return null;
                axis = d;
            }
            if (axis < 0) return null;
            List<Node> parts = in.op() instanceof Concat c && c.axis() == axis ? in.inputs() : List.of(in);
            return new Placed(axis, pad.starts().get(axis), in.shape().dim(axis), parts);
        }
    }
}
