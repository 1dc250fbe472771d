package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ModuleTest {
    @Test
    void anMlpIsASequentialNamedAsPyTorchNamesIt() {
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.RELU, 4, 3, 2);
        assertEquals("Sequential(Linear(4, 3), ReLU(), Linear(3, 2))", mlp.describe());
        List<StateEntry> state = mlp.state();
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), state.stream().map(StateEntry::name).toList());
        assertArrayEquals(new int[] {3, 4}, state.get(0).torchShape()); // PyTorch's [out, in]
        assertArrayEquals(new int[] {4, 3}, state.get(0).node().shape().dims()); // ours, [in, out]
        assertEquals(mlp.parameters(), state.stream().map(StateEntry::node).toList());
    }

    @Test
    void theTorchLayoutRoundTrips() {
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.TANH, 4, 3);
        ParameterStore store = new ParameterStore();
        mlp.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(1));
        StateEntry w = mlp.state().get(0);
        float[] ours = store.get(w.node());
        float[] torch = w.toTorch().apply(ours);
        assertEquals(ours[1], torch[4]); // ours [0][1] (in 0, out 1) is PyTorch's [1][0]
        assertArrayEquals(ours, w.fromTorch().apply(torch));
    }

    @Test
    void aForwardPassRecordsItsLayerCalls() {
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.RELU, 4, 3, 2);
        Node x = g.input("x", 5, 4);
        Forward f = Forward.train();
        Node logits = mlp.forward(x, f);
        assertEquals(2, f.layerCalls().size());
        assertSame(x, f.layerCalls().get(0).input());
        assertSame(logits, f.layerCalls().get(1).output());
        assertEquals("2", f.layerCalls().get(1).name());
        assertThrows(IllegalArgumentException.class, () -> f.addStateUpdate(logits));
    }

    @Test
    void statefulModulesMustBeNamed() {
        Graph g = new Graph();
        Linear unnamed = Linear.create(g, "x", 2, 2);
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(g, "").add(unnamed));
    }
}
