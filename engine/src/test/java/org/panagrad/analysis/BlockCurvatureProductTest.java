package org.panagrad.analysis;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;
import org.panagrad.testing.SteadyState;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Column j of a block product C V equals the single product C v_j, for every kind of curvature. */
class BlockCurvatureProductTest {

    @ParameterizedTest
    @EnumSource(CurvatureProduct.Kind.class)
    void eachColumnIsTheSingleProductOfItsVector(CurvatureProduct.Kind kind) {
        for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) {
            SmallModel m = new SmallModel(act, false, 11, 7, 5, 9, 4);
            CurvatureProduct single = HessianSpectrumOfASmallModelTest.compile(m, kind);
            int k = 3;
            BlockCurvatureProduct block = compile(m, kind, k);
            assertEquals(single.dimension(), block.dimension());
            float[][] vs = random(new Random(5), k, single.dimension());
            float[][] out = new float[k][single.dimension()], atPoint = new float[k][single.dimension()];
            block.apply(vs, out);
            block.atCurrentPoint().apply(vs, atPoint);
            for (int j = 0; j < k; j++) {
                float[] expected = new float[single.dimension()];
                single.apply(vs[j], expected);
                Reference.assertClose(kind + " " + act + " column " + j, Reference.toDouble(expected),
                        Reference.toDouble(out[j]), 1e-5, 1e-6);
                assertArrayEquals(out[j], atPoint[j], "at the point, column " + j);
            }
        }
    }

    @Test
    void blocksAtAPointAllocateNothing() {
        SmallModel m = new SmallModel(Activation.RELU, false, 2, 8, 6, 10, 3);
        BlockCurvatureProduct block = compile(m, CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE, 4);
        float[][] vs = random(new Random(1), 4, block.dimension()), out = new float[4][block.dimension()];
        assertEquals(0, SteadyState.allocatedBytes(() -> block.atCurrentPoint().apply(vs, out), 200));
    }

    @Test
    void aBlockOfTheWrongSizeFails() {
        SmallModel m = new SmallModel(Activation.RELU, false, 2, 8, 6, 10, 3);
        BlockCurvatureProduct block = compile(m, CurvatureProduct.Kind.GAUSS_NEWTON, 2);
        float[][] three = new float[3][block.dimension()];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> block.apply(three, three));
        assertEquals(true, e.getMessage().contains("holds 2 vectors"), e.getMessage());
    }

    static BlockCurvatureProduct compile(SmallModel m, CurvatureProduct.Kind kind, int k) {
        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        BlockCurvatureProduct product = BlockCurvatureProduct.compile(store, m.loss, List.of(m.params), kind, k);
        product.program().set(m.x, Reference.toFloat(m.feed.get(m.x)));
        double[] labels = m.feed.get(m.labels);
        int[] classes = new int[labels.length];
        for (int i = 0; i < labels.length; i++) classes[i] = (int) labels[i];
        product.program().setLabels(m.labels, classes);
        return product;
    }

    static float[][] random(Random rnd, int k, int n) {
        float[][] v = new float[k][n];
        for (float[] row : v) for (int i = 0; i < n; i++) row[i] = (float) rnd.nextGaussian();
        return v;
    }
}
