package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.optim.Sgd;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Phases of a training step's instructions when reshapes (views, which have no instruction) sit inside the forward pass. */
class CompiledNodesTest {
    @Test
    void everyInstructionTheLossDependsOnIsForwardThroughViews() {
        Graph g = new Graph();
        Node x = g.input("x", 4, 6), labels = g.labels("y", 4, 3);
        Node w1 = g.parameter("w1", 6, 8), w2 = g.parameter("w2", 8, 3);
        Node h = Ops.reshape(Ops.relu(Ops.reshape(Ops.matmul(x, w1), 4, 2, 4)), 4, 8);
        Node loss = Ops.crossEntropy(Ops.matmul(h, w2), labels);
        TrainingStep step = TrainingStep.compile(new ParameterStore(), loss, List.of(w1, w2),
                Sgd.plain(org.panagrad.optim.LearningRateSchedule.constant(0.1)), false);
        CompiledNodes phases = new CompiledNodes(step.program(), loss);
        Set<Node> upstream = new HashSet<>();
        collect(step.program().sourceOf(loss), upstream);
        int forward = 0, backward = 0;
        for (Node n : step.program().instructionNodes()) {
            CompiledNodes.Phase p = phases.phase(n);
            if (upstream.contains(n)) {
                assertEquals(CompiledNodes.Phase.FORWARD, p, n.describe());
                forward++;
            } else if (p == CompiledNodes.Phase.BACKWARD) {
                backward++;
            }
        }
        assertTrue(forward >= 3, "x·w1, relu, h·w2 and the loss: " + forward);
        assertTrue(backward >= 1, "the gradients");
        assertEquals(CompiledNodes.Phase.FORWARD, phases.phase(step.program().instructionNodes().get(0)), "x·w1 comes first");
    }

    private static void collect(Node n, Set<Node> into) {
        if (into.add(n)) for (Node in : n.inputs()) collect(in, into);
    }
}
