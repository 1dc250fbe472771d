package org.panagrad.analysis;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.fused.ContainsProduct;
import org.panagrad.runtime.Program;
import org.panagrad.testing.SmallModel;
import org.panagrad.testing.SteadyState;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Products at a fixed point ({@link CurvatureProduct#atCurrentPoint}) rerun only what depends on the vector,
 * and must give exactly what a full run gives, product after product and after the point moves.
 */
class CurvatureProductAtPointTest {

    @ParameterizedTest
    @EnumSource(CurvatureProduct.Kind.class)
    void productsAtAPointAreBitIdenticalToFullRuns(CurvatureProduct.Kind kind) {
        SmallModel m = new SmallModel(Activation.TANH, false, 11, 7, 5, 9, 4);
        CurvatureProduct product = HessianSpectrumOfASmallModelTest.compile(m, kind);
        Random rnd = new Random(3);
        float[][] vs = new float[4][];
        for (int i = 0; i < vs.length; i++) vs[i] = random(rnd, product.dimension());

        float[][] full = new float[vs.length][product.dimension()];
        for (int i = 0; i < vs.length; i++) product.apply(vs[i], full[i]);
        float loss = product.loss();
        float[] gradient = new float[product.dimension()];
        product.gradient(gradient);

        LinearOperator atPoint = product.atCurrentPoint();
        assertEquals(product.dimension(), atPoint.dimension());
        // Out of order and repeated: nothing a product leaves behind may leak into the next.
        for (int i : new int[] {2, 0, 3, 1, 2}) {
            float[] out = new float[product.dimension()];
            atPoint.apply(vs[i], out);
            assertArrayEquals(full[i], out, kind + " product " + i);
        }
        assertEquals(loss, product.loss());
        float[] again = new float[product.dimension()];
        product.gradient(again);
        assertArrayEquals(gradient, again);

        // The point moves: a new call follows it.
        Node w = m.params[0];
        float[] weights = product.program().store().get(w);
        for (int i = 0; i < weights.length; i++) weights[i] *= 0.5f;
        float[] moved = new float[product.dimension()], movedAtPoint = new float[product.dimension()];
        product.apply(vs[1], moved);
        assertFalse(java.util.Arrays.equals(full[1], moved), "halving a weight changes the product");
        product.atCurrentPoint().apply(vs[1], movedAtPoint);
        assertArrayEquals(moved, movedAtPoint);
    }

    /** The forward product of the first layer (the data times the weight) does not depend on v. */
    @ParameterizedTest
    @EnumSource(CurvatureProduct.Kind.class)
    void theForwardPassIsNotRerun(CurvatureProduct.Kind kind) {
        SmallModel m = new SmallModel(Activation.RELU, false, 5, 16, 12, 20, 3);
        CurvatureProduct product = HessianSpectrumOfASmallModelTest.compile(m, kind);
        Program p = product.program();
        List<Node> steps = p.instructionNodes();
        int varying = 0, firstLayer = -1;
        for (int i = 0; i < steps.size(); i++) {
            if (p.isVarying(i)) varying++;
            Node n = steps.get(i);
            boolean product2d = n.op() instanceof MatMul || n.op() instanceof ContainsProduct;
            if (product2d && n.input(0) == m.x && n.input(1) == m.params[0]) firstLayer = i;
        }
        assertTrue(firstLayer >= 0, "x W0 is an instruction: " + steps);
        assertFalse(p.isVarying(firstLayer), "x W0 is rerun for every vector");
        assertTrue(varying > 0 && varying < steps.size(), varying + " of " + steps.size());
    }

    @Test
    void productsAtAPointAllocateNothing() {
        SmallModel m = new SmallModel(Activation.RELU, false, 2, 8, 6, 10, 3);
        CurvatureProduct product = HessianSpectrumOfASmallModelTest.compile(m, CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
        float[] v = random(new Random(1), product.dimension()), out = new float[v.length];
        assertEquals(0, SteadyState.allocatedBytes(() -> product.atCurrentPoint().apply(v, out), 200));
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
