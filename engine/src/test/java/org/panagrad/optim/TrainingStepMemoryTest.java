package org.panagrad.optim;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.panagrad.compiler.Compiler;
import org.panagrad.compiler.MemoryPlan;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The planned arena of a training step against the naive sum of its buffers (the target: at most
 * 60%), and against the lower bound no planner can beat: the largest total size of buffers live at one step.
 * The input batch is an argument outside the arena; what gets it to 60% is the hidden layer's gradient
 * written over its activation (see {@link org.panagrad.ops.fused.MaskedProduct}).
 */
class TrainingStepMemoryTest {
    @ParameterizedTest
    @CsvSource({"784-500-10, 128", "784-128-10, 64", "784-300-100-10, 256"})
    void arenaIsAtMost60PercentOfTheNaiveSumAndWithinAFewPercentOfThePeakLiveSet(String layers, int batch) {
        Graph g = new Graph();
        int[] widths = Mlp.parseWidths(layers);
        Mlp mlp = Mlp.create(g, Activation.RELU, widths);
        Node x = g.input("x", batch, widths[0]);
        Node loss = SoftmaxCrossEntropy.of(mlp.forward(x), g.labels("y", batch, widths[widths.length - 1]));
        Optimizer sgd = Sgd.momentum(LearningRateSchedule.constant(0.1), 0.9, false);
        TrainingStep step = TrainingStep.compile(new ParameterStore(), loss, mlp.parameters(), sgd, false);
        Program p = step.program();

        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(step.updates());
        MemoryPlan plan = Compiler.planOnly(outputs, Compiler.Options.ALL);
        int steps = 0;
        for (MemoryPlan.Allocation a : plan.allocations()) steps = Math.max(steps, a.last() + 1);
        long peak = 0;
        for (int s = 0; s < steps; s++) {
            long live = 0;
            for (MemoryPlan.Allocation a : plan.allocations()) {
                boolean handedOver = a.inPlaceOf() != null && a.first() == s; // shares its donor's memory now
                if (a.first() <= s && s <= a.last() && !handedOver) live += a.size();
            }
            peak = Math.max(peak, live);
        }
        System.out.printf("%s batch %d: arena %d floats, peak live %d, naive %d (arena/naive %.3f)%n",
                layers, batch, p.arenaSize(), peak, p.naiveSize(), (double) p.arenaSize() / p.naiveSize());
        assertTrue(p.arenaSize() <= 0.6 * p.naiveSize(), "arena " + p.arenaSize() + " vs naive " + p.naiveSize());
        assertEquals((long) batch * widths[0] + batch, p.inputSize(), "the images and labels, outside the arena");
        assertTrue(p.arenaSize() <= peak * 1.02 + 16L * plan.allocations().size(),
                "arena " + p.arenaSize() + " vs peak live set " + peak);
    }
}
