package org.panagrad.nn.zoo;

import org.panagrad.graph.Graph;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.Flatten;
import org.panagrad.nn.Linear;
import org.panagrad.nn.MaxPool2d;
import org.panagrad.nn.Sequential;

/**
 * LeNet-5 for 28x28 inputs as an nn.Sequential whose indices name its state dict:
 * 0 Conv2d(1,6,5,padding=2), 1 ReLU, 2 MaxPool2d(2), 3 Conv2d(6,16,5), 4 ReLU, 5 MaxPool2d(2), 6 Flatten,
 * 7 Linear(400,120), 8 ReLU, 9 Linear(120,84), 10 ReLU, 11 Linear(84,10).
 */
final class LeNet5 {
    private LeNet5() {}

    static ZooModel create(Graph g, ZooOptions options) {
        Sequential net = Sequential.builder(g, "")
                .add((graph, name) -> Conv2d.create(graph, name, 1, 6, 5, 1, 2, true))
                .add(Activation.RELU)
                .add(MaxPool2d.of(2))
                .add((graph, name) -> Conv2d.create(graph, name, 6, 16, 5, 1, 0, true))
                .add(Activation.RELU)
                .add(MaxPool2d.of(2))
                .add(new Flatten())
                .add((graph, name) -> Linear.create(graph, name, 400, 120))
                .add(Activation.RELU)
                .add((graph, name) -> Linear.create(graph, name, 120, 84))
                .add(Activation.RELU)
                .add((graph, name) -> Linear.create(graph, name, 84, 10))
                .build();
        return new ZooModel("lenet5", net, new int[] {1, 28, 28});
    }
}
