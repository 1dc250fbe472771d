package org.panagrad.optim;

import org.junit.jupiter.api.Test;
import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;
import org.panagrad.testing.SmallModel;

import java.util.HashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GradientStatisticsTest {
    @Test
    void statisticsDescribeTheGradientsOfTheLastStep() {
        SmallModel m = new SmallModel(Activation.RELU, false, 8, 16, 6, 12, 4);
        ParameterStore store = new ParameterStore();
        for (Node p : m.params) store.set(p, Reference.toFloat(m.feed.get(p)));
        TrainingStep step = TrainingStep.compile(store, m.loss, List.of(m.params), Sgd.plain(t -> 0.1), true);
        org.panagrad.compiler.CompiledProgramTestAccess.feed(step.program(), m);
        // The gradients of the first step are taken at the initial parameters.
        Node[] grads = Autodiff.grad(m.loss, m.params);
        var expected = ReferenceInterpreter.evaluate(List.of(grads), new HashMap<>(m.feed));
        step.run();
        List<GradientStatistics.Entry> stats = new GradientStatistics(step).compute();
        for (int i = 0; i < grads.length; i++) {
            double[] g = expected.get(grads[i]);
            double norm = Math.sqrt(Reference.dot(g, g)), sum = 0;
            int zeros = 0;
            for (double v : g) {
                sum += v;
                if (Math.abs(v) < 1e-12) zeros++;
            }
            GradientStatistics.Entry e = stats.get(i);
            assertEquals(m.params[i].name(), e.parameter());
            assertEquals(norm, e.norm(), 1e-5 * (1 + norm));
            assertEquals(sum / g.length, e.mean(), 1e-6);
            assertEquals(Reference.maxAbs(g), e.maxAbs(), 1e-5);
            assertEquals((double) zeros / g.length, e.zeroFraction(), 1e-9, m.params[i].name());
        }
    }

    @Test
    void withoutKeptGradientsThereIsNothingToDescribe() {
        SmallModel m = new SmallModel(Activation.RELU, false, 8, 16, 6, 12, 4);
        TrainingStep step = TrainingStep.compile(new ParameterStore(), m.loss, List.of(m.params), Sgd.plain(t -> 0.1), false);
        assertThrows(IllegalStateException.class, () -> new GradientStatistics(step));
    }
}
