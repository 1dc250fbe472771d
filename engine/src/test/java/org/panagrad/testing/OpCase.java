package org.panagrad.testing;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * One gradcheck case: an op applied to fresh inputs of given shapes, such as
 * {@code OpCase.of("add [3x1x7] [7]", x -> add(x[0], x[1]), floats(3, 1, 7), floats(7))}. The case's output node
 * is the op under test; the float inputs are differentiated, integer labels are fed as they are. Values are
 * drawn uniformly from the case's domain ([-1, 1] unless told), optionally kept away from a kink at 0, or all
 * distinct by a margin so that maxima never tie.
 */
public final class OpCase {
    /** An input of the case: floats (differentiated) or integer labels. */
    public record Arg(int[] dims, int classes, Integer ignoreIndex) {
        public boolean isLabels() {
            return classes > 0;
        }

        public Shape shape() {
            return Shape.of(dims);
        }

        @Override
        public String toString() {
            return (isLabels() ? "labels" : "floats") + Arrays.toString(dims);
        }
    }

    public static Arg floats(int... dims) {
        return new Arg(dims, 0, null);
    }

    public static Arg labels(int classes, int... dims) {
        return new Arg(dims, classes, null);
    }

    /** Labels that may hold ignoreIndex too: about a quarter of the positions do. */
    public static Arg labelsIgnoring(int classes, int ignoreIndex, int... dims) {
        return new Arg(dims, classes, ignoreIndex);
    }

    private final String name;
    private final Function<Node[], Node> op;
    private final Arg[] args;
    private double lo = -1, hi = 1;
    private boolean awayFromZero, distinct;

    private OpCase(String name, Function<Node[], Node> op, Arg[] args) {
        this.name = name;
        this.op = op;
        this.args = args;
    }

    public static OpCase of(String name, Function<Node[], Node> op, Arg... args) {
        return new OpCase(name, op, args);
    }

    /** Draws float inputs from [lo, hi] (positive ones for log, sqrt, ...). */
    public OpCase in(double lo, double hi) {
        this.lo = lo;
        this.hi = hi;
        return this;
    }

    /** Keeps every float input at least 0.05 from 0, where the op (relu, abs, sign) has a kink. */
    public OpCase awayFromZero() {
        this.awayFromZero = true;
        return this;
    }

    /** Makes every float value of every input distinct by a margin, so that maxima never tie. */
    public OpCase distinct() {
        this.distinct = true;
        return this;
    }

    public String name() {
        return name;
    }

    public List<Arg> args() {
        return List.of(args);
    }

    /** The case built in a fresh graph, with random values for its inputs. */
    public Built build(Random rnd) {
        Graph g = new Graph();
        Node[] inputs = new Node[args.length];
        List<Node> floats = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            Arg a = args[i];
            if (!a.isLabels()) {
                inputs[i] = g.input("x" + i, a.dims());
                floats.add(inputs[i]);
            } else if (a.ignoreIndex() == null) {
                inputs[i] = g.integers("x" + i, a.classes(), a.dims());
            } else {
                inputs[i] = g.labelsIgnoring("x" + i, a.classes(), a.ignoreIndex(), a.dims());
            }
        }
        Node y = op.apply(inputs);
        Map<Node, double[]> feed = new HashMap<>();
        int total = floats.stream().mapToInt(n -> n.shape().numel()).sum();
        double[] grid = distinct ? shuffledGrid(rnd, total) : null;
        int used = 0;
        for (int i = 0; i < args.length; i++) {
            int n = inputs[i].shape().numel();
            double[] v = new double[n];
            for (int e = 0; e < n; e++) {
                Arg a = args[i];
                if (a.isLabels()) {
                    boolean ignore = a.ignoreIndex() != null && rnd.nextInt(4) == 0 && e > 0; // one position always counts
                    v[e] = ignore ? a.ignoreIndex() : rnd.nextInt(a.classes());
                } else {
                    v[e] = distinct ? grid[used++] : lo + (hi - lo) * rnd.nextDouble();
                    if (awayFromZero && Math.abs(v[e]) < 0.05) v[e] += v[e] < 0 ? -0.05 : 0.05;
                }
            }
            feed.put(inputs[i], v);
        }
        return new Built(y, floats.toArray(new Node[0]), feed);
    }

    /** n values spread evenly over [lo, hi], in random order: neighbours are (hi - lo) / n apart. */
    private double[] shuffledGrid(Random rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * (i + 0.5) / n;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    /** A built case: the op's output, the float inputs to differentiate, values for every input. */
    public record Built(Node y, Node[] xs, Map<Node, double[]> feed) {}

    @Override
    public String toString() {
        return name;
    }
}
