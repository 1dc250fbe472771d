package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.BatchNorm2d;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.ops.ChannelAffine;
import org.panagrad.ops.Ops;
import org.panagrad.ops.fused.FusedConv;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import org.panagrad.runtime.ReferenceInterpreter;
import org.panagrad.testing.Reference;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batch norm folded into the convolution before it in evaluation programs (one convolution with the scaled
 * weights, its new bias and a following ReLU in the GEMM), with and without the convolution's own bias, against
 * the float64 reference of the unfolded graph; training programs keep the batch statistics and are not folded.
 */
class BatchNormFoldingTest {
    @Test
    void evaluationProgramsFoldBatchNormIntoTheConvolution() {
        for (boolean bias : new boolean[] {false, true}) {
            Graph g = new Graph();
            Conv2d conv = Conv2d.create(g, "conv", 3, 5, 3, 2, 1, bias);
            BatchNorm2d bn = BatchNorm2d.create(g, "bn", 5);
            Node x = g.input("x", 2, 3, 9, 7);
            Node y = Ops.relu(bn.forward(conv.forward(x, Forward.eval()), Forward.eval()));
            ParameterStore store = new ParameterStore();
            conv.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(1));
            bn.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(2));
            Random rnd = new Random(3);
            Map<Node, double[]> feed = new HashMap<>();
            for (Node v : List.of(bn.weight(), bn.bias(), bn.runningMean())) feed.put(v, Reference.random(rnd, 5, -1, 1));
            feed.put(bn.runningVar(), Reference.random(rnd, 5, 0.2, 2));
            feed.put(x, Reference.random(rnd, x.shape().numel(), -1, 1));
            feed.forEach((n, v) -> {
                for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
                if (n != x) store.set(n, Reference.toFloat(v));
            });
            feed.put(conv.weight(), Reference.toDouble(store.get(conv.weight())));
            if (bias) feed.put(conv.bias(), Reference.toDouble(store.get(conv.bias())));

            Program p = Compiler.compile(store, List.of(y));
            p.set(x, Reference.toFloat(feed.get(x)));
            p.run();
            List<String> ops = p.instructionNodes().stream().map(n -> n.op().getClass().getSimpleName()).toList();
            assertTrue(ops.contains("FusedConv") && !ops.contains("ChannelAffine") && !ops.contains("Relu"), ops.toString());
            assertTrue(p.instructionNodes().stream().anyMatch(n -> n.op() instanceof FusedConv f && f.relu()), ops.toString());
            Reference.assertClose("folded, bias " + bias, ReferenceInterpreter.evaluate(y, feed), Reference.toDouble(p.get(y)), 1e-4, 1e-5);

            Node trained = bn.forward(conv.forward(x, Forward.train()), Forward.train());
            List<String> training = Compiler.compile(store, List.of(trained)).instructionNodes().stream()
                    .map(n -> n.op().getClass().getSimpleName()).toList();
            assertTrue(training.contains(ChannelAffine.class.getSimpleName()), training.toString());
        }
    }
}
