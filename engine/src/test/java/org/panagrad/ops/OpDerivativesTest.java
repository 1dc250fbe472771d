package org.panagrad.ops;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.testing.GradCheck;
import org.panagrad.testing.Reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

/** Every op's VJP and JVP against finite differences in float64, to second order, on odd shapes. */
class OpDerivativesTest {

    /** Builds y from fresh inputs of the given shapes; lo..hi is the domain the inputs are drawn from. */
    private record Case(String name, int[][] shapes, double lo, double hi, Function<Node[], Node> f) {}

    private static Case c(String name, double lo, double hi, Function<Node[], Node> f, int[]... shapes) {
        return new Case(name, shapes, lo, hi, f);
    }

    private static int[] s(int... dims) {
        return dims;
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        cases.add(c("matmul", -1, 1, x -> Ops.matmul(x[0], x[1]), s(3, 4), s(4, 5)));
        cases.add(c("matmul A^T", -1, 1, x -> Ops.matmul(x[0], x[1], true, false), s(4, 3), s(4, 5)));
        cases.add(c("matmul B^T", -1, 1, x -> Ops.matmul(x[0], x[1], false, true), s(3, 4), s(5, 4)));
        cases.add(c("matmul A^T B^T", -1, 1, x -> Ops.matmul(x[0], x[1], true, true), s(4, 3), s(5, 4)));
        int[][][] broadcasts = {{s(3, 5), s(3, 5)}, {s(3, 5), s(5)}, {s(3, 5), s(1, 5)}, {s(3, 5), s(3, 1)},
                {s(3, 5), s()}, {s(5), s(3, 5)}, {s(3, 1), s(1, 5)}};
        for (int[][] b : broadcasts) {
            String shapes = Shape.of(b[0]) + " " + Shape.of(b[1]);
            cases.add(c("add " + shapes, -1, 1, x -> Ops.add(x[0], x[1]), b));
            cases.add(c("sub " + shapes, -1, 1, x -> Ops.sub(x[0], x[1]), b));
            cases.add(c("mul " + shapes, -1, 1, x -> Ops.mul(x[0], x[1]), b));
            cases.add(c("div " + shapes, 0.5, 2, x -> Ops.div(x[0], x[1]), b));
            cases.add(c("maximum " + shapes, -1, 1, x -> Ops.maximum(x[0], x[1]), b));
        }
        cases.add(c("neg", -1, 1, x -> Ops.neg(x[0]), s(3, 5)));
        cases.add(c("scale", -1, 1, x -> Ops.scale(x[0], -2.5), s(3, 5)));
        cases.add(c("exp", -1, 1, x -> Ops.exp(x[0]), s(3, 5)));
        cases.add(c("log", 0.5, 3, x -> Ops.log(x[0]), s(3, 5)));
        cases.add(c("tanh", -2, 2, x -> Ops.tanh(x[0]), s(3, 5)));
        cases.add(c("sigmoid", -3, 3, x -> Ops.sigmoid(x[0]), s(3, 5)));
        cases.add(c("relu", -1, 1, x -> Ops.relu(x[0]), s(3, 5)));
        cases.add(c("relu of a vector", -1, 1, x -> Ops.relu(x[0]), s(7)));
        cases.add(c("sum", -1, 1, x -> Ops.sum(x[0]), s(3, 5)));
        cases.add(c("sum axis 0", -1, 1, x -> Ops.sum(x[0], 0, false), s(3, 5)));
        cases.add(c("sum axis 0 keepdims", -1, 1, x -> Ops.sum(x[0], 0, true), s(3, 5)));
        cases.add(c("sum axis 1", -1, 1, x -> Ops.sum(x[0], 1, false), s(3, 5)));
        cases.add(c("sum axis 1 keepdims", -1, 1, x -> Ops.sum(x[0], 1, true), s(3, 5)));
        cases.add(c("sum of a vector", -1, 1, x -> Ops.sum(x[0], 0, false), s(7)));
        cases.add(c("mean", -1, 1, x -> Ops.mean(x[0]), s(3, 5)));
        cases.add(c("mean axis 1", -1, 1, x -> Ops.mean(x[0], 1, true), s(3, 5)));
        cases.add(c("reshape", -1, 1, x -> Ops.reshape(x[0], 5, 3), s(3, 5)));
        cases.add(c("reshape to a vector", -1, 1, x -> Ops.reshape(x[0], 15), s(3, 5)));
        cases.add(c("transpose", -1, 1, x -> Ops.transpose(x[0]), s(3, 5)));
        cases.add(c("softmax", -2, 2, x -> Ops.softmax(x[0]), s(3, 5)));
        cases.add(c("softmax of a vector", -2, 2, x -> Ops.softmax(x[0]), s(6)));
        cases.add(c("log_softmax", -2, 2, x -> Ops.logSoftmax(x[0]), s(3, 5)));
        cases.add(c("mse_loss", -1, 1, x -> MeanSquaredError.of(x[0], x[1]), s(3, 5), s(3, 5)));
        // A composite, to exercise rules meeting each other.
        cases.add(c("tanh(x W + b) summed", -1, 1, x -> Ops.sum(Ops.tanh(Ops.add(Ops.matmul(x[0], x[1]), x[2]))), s(3, 4), s(4, 5), s(5)));
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> everyOpAgreesWithFiniteDifferencesToSecondOrder() {
        return cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
            Random rnd = new Random(k.name().hashCode());
            Graph g = new Graph();
            Node[] xs = new Node[k.shapes().length];
            for (int i = 0; i < xs.length; i++) xs[i] = g.input("x" + i, k.shapes()[i]);
            Node y = k.f().apply(xs);
            Map<Node, double[]> feed = Reference.feed(rnd, List.of(xs), k.lo(), k.hi());
            if (k.name().startsWith("relu")) awayFromZero(feed.get(xs[0]));
            GradCheck.check(k.name(), y, xs, feed, rnd, 2);
        }));
    }

    @TestFactory
    Stream<DynamicTest> softmaxCrossEntropyAndItsFusedGradient() {
        return Stream.of(
                DynamicTest.dynamicTest("softmax_cross_entropy", () -> checkWithLabels(false)),
                DynamicTest.dynamicTest("softmax_cross_entropy_grad", () -> checkWithLabels(true)));
    }

    private static void checkWithLabels(boolean gradOp) {
        Random rnd = new Random(gradOp ? 7 : 8);
        Graph g = new Graph();
        Node z = g.input("z", 4, 5);
        Node labels = g.labels("y", 4, 5);
        Node y = gradOp ? SoftmaxCrossEntropyGrad.of(z, labels) : SoftmaxCrossEntropy.of(z, labels);
        Map<Node, double[]> feed = Reference.feed(rnd, List.of(z, labels), -2, 2);
        GradCheck.check(y.op().name(), y, new Node[] {z}, feed, rnd, 2);
    }

    private static void awayFromZero(double[] v) {
        for (int i = 0; i < v.length; i++) if (Math.abs(v[i]) < 0.05) v[i] = v[i] < 0 ? -0.05 : 0.05;
    }
}
