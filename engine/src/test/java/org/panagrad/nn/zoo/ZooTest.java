package org.panagrad.nn.zoo;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Forward;
import org.panagrad.nn.StateEntry;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The zoo's models: names, state dicts and shapes as the issue fixes them, so they compare with PyTorch layer for layer. */
class ZooTest {
    @Test
    void mlpIsTodaysMlpWithItsWidths() {
        Graph g = new Graph();
        ZooModel m = Zoo.create("mlp", g, new ZooOptions(new int[] {784, 30, 10}, Activation.TANH));
        assertEquals("Sequential(Linear(784, 30), Tanh(), Linear(30, 10))", m.module().describe());
        Node logits = m.module().forward(m.input(g, "x", 5), Forward.eval());
        assertArrayEquals(new int[] {5, 10}, logits.shape().dims());
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), m.module().state().stream().map(StateEntry::name).toList());
    }

    @Test
    void anUnknownNameListsTheZoo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Zoo.create("vgg", new Graph(), ZooOptions.DEFAULT));
        assertTrue(e.getMessage().startsWith("unknown model 'vgg' (the zoo has mlp"), e.getMessage());
    }
}
