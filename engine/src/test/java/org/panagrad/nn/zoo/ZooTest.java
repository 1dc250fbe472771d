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

    @Test
    void lenet5IsTheIssuesSequentialNamedByIndex() {
        Graph g = new Graph();
        ZooModel m = Zoo.create("lenet5", g, ZooOptions.DEFAULT);
        List<StateEntry> state = m.module().state();
        assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "11.weight",
                "11.bias"), state.stream().map(StateEntry::name).toList());
        assertArrayEquals(new int[] {6, 1, 5, 5}, state.get(0).torchShape());
        assertArrayEquals(new int[] {120, 400}, state.get(4).torchShape());
        assertEquals(61706, state.stream().mapToLong(e -> e.node().shape().numel()).sum()); // PyTorch's count
        assertTrue(m.module().describe().startsWith("Sequential(Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)),"
                + " ReLU(), MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False), Conv2d(6, 16,"
                + " kernel_size=(5, 5), stride=(1, 1)), ReLU()"), m.module().describe());
        assertArrayEquals(new int[] {4, 10}, m.module().forward(m.input(g, "x", 4), Forward.train()).shape().dims());
    }

    @Test
    void resnet8IsNamedAsTorchvisionNamesResNets() {
        Graph g = new Graph();
        ZooModel m = Zoo.create("resnet8", g, ZooOptions.DEFAULT);
        List<String> names = m.module().state().stream().map(StateEntry::name).toList();
        assertEquals(56, names.size()); // as PyTorch's state_dict() of the same module
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.0.bn1.weight"), names.subList(0, 8));
        assertEquals(List.of("layer3.0.downsample.0.weight", "layer3.0.downsample.1.weight", "layer3.0.downsample.1.bias",
                "layer3.0.downsample.1.running_mean", "layer3.0.downsample.1.running_var",
                "layer3.0.downsample.1.num_batches_tracked", "fc.weight", "fc.bias"), names.subList(48, 56));
        long params = m.module().state().stream().filter(StateEntry::trainable).mapToLong(e -> e.node().shape().numel()).sum();
        assertEquals(77754, params); // PyTorch's count
        Forward f = Forward.train();
        assertArrayEquals(new int[] {3, 10}, m.module().forward(m.input(g, "x", 3), f).shape().dims());
        assertEquals(9, f.stateUpdates().size(), "one running-statistics update per batch norm");
    }
}
