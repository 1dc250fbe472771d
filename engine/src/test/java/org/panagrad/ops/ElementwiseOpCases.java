package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.panagrad.testing.OpCase.floats;

/** The unary elementwise ops at ranks 1 to 4, on odd sizes, each on the domain where it is smooth. */
public class ElementwiseOpCases implements OpCases {
    /** One shape per rank, with sizes 1, 3, 7 and 17 among them. */
    static final int[][] SHAPES = {{17}, {3, 7}, {7, 1, 3}, {3, 1, 17, 1}};

    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        for (int[] s : SHAPES) {
            String at = " " + Shape.of(s);
            add(cases, "neg" + at, Ops::neg, s).in(-1, 1);
            add(cases, "scale" + at, x -> Ops.scale(x, -2.5), s);
            add(cases, "exp" + at, Ops::exp, s).in(-2, 2);
            add(cases, "log" + at, Ops::log, s).in(0.5, 3);
            add(cases, "tanh" + at, Ops::tanh, s).in(-2, 2);
            add(cases, "sigmoid" + at, Ops::sigmoid, s).in(-3, 3);
            add(cases, "relu" + at, Ops::relu, s).awayFromZero();
            add(cases, "step" + at, x -> Step.of(x, 0.5), s).awayFromZero();
            add(cases, "sign" + at, Ops::sign, s).awayFromZero();
            add(cases, "abs" + at, Ops::abs, s).awayFromZero();
            add(cases, "sqrt" + at, Ops::sqrt, s).in(0.5, 3);
            add(cases, "rsqrt" + at, Ops::rsqrt, s).in(0.5, 3);
            add(cases, "softplus" + at, Ops::softplus, s).in(-4, 4);
            add(cases, "erf" + at, Ops::erf, s).in(-2, 2);
            add(cases, "gelu" + at, Ops::gelu, s).in(-3, 3);
            add(cases, "gelu tanh" + at, x -> Ops.gelu(x, "tanh"), s).in(-3, 3);
            add(cases, "gelu slope" + at, GeluSlope::of, s).in(-3, 3);
            add(cases, "gelu curvature" + at, GeluCurvature::of, s).in(-3, 3);
            add(cases, "pow 2" + at, x -> Ops.pow(x, 2), s);
            add(cases, "pow 2.5" + at, x -> Ops.pow(x, 2.5), s).in(0.5, 2);
        }
        // The rest of each op's domain, on one shape.
        add(cases, "softplus far from 0", Ops::softplus, SHAPES[1]).in(-30, 30);
        add(cases, "gelu in the tails", Ops::gelu, SHAPES[1]).in(-6, 6);
        add(cases, "gelu tanh in the tails", x -> Ops.gelu(x, "tanh"), SHAPES[1]).in(-6, 6);
        add(cases, "pow 3 of negatives", x -> Ops.pow(x, 3), SHAPES[1]).in(-2, -0.5);
        add(cases, "pow -1", x -> Ops.pow(x, -1), SHAPES[1]).in(0.5, 2);
        add(cases, "pow -0.5", x -> Ops.pow(x, -0.5), SHAPES[1]).in(0.5, 2);
        add(cases, "pow 1/3", x -> Ops.pow(x, 1.0 / 3), SHAPES[1]).in(0.5, 2);
        add(cases, "pow 0", x -> Ops.pow(x, 0), SHAPES[1]);
        add(cases, "pow 1", x -> Ops.pow(x, 1), SHAPES[1]);
        return cases;
    }

    private static OpCase add(List<OpCase> cases, String name, Function<Node, Node> op, int[] shape) {
        OpCase c = OpCase.of(name, x -> op.apply(x[0]), floats(shape));
        cases.add(c);
        return c;
    }
}
