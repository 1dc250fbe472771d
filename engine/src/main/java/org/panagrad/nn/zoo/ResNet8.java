package org.panagrad.nn.zoo;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.BasicBlock;
import org.panagrad.nn.BatchNorm2d;
import org.panagrad.nn.Conv2d;
import org.panagrad.nn.Forward;
import org.panagrad.nn.Init;
import org.panagrad.nn.Linear;
import org.panagrad.nn.Module;
import org.panagrad.nn.StateEntry;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A CIFAR-style ResNet-8 for 28x28 single-channel inputs, named as torchvision names ResNets: conv1 (3x3, 16, no
 * bias), bn1, ReLU; layer1.0 = BasicBlock(16, 16); layer2.0 = BasicBlock(16, 32, stride 2) and layer3.0 =
 * BasicBlock(32, 64, stride 2), each with a downsample (1x1 convolution, batch norm); global average pooling;
 * fc = Linear(64, 10).
 */
record ResNet8(Conv2d conv1, BatchNorm2d bn1, BasicBlock layer1, BasicBlock layer2, BasicBlock layer3, Linear fc)
        implements Module {
    static ZooModel create(Graph g, ZooOptions options) {
        ResNet8 net = new ResNet8(Conv2d.create(g, "conv1", 1, 16, 3, 1, 1, false), BatchNorm2d.create(g, "bn1", 16),
                BasicBlock.create(g, "layer1.0", 16, 16, 1), BasicBlock.create(g, "layer2.0", 16, 32, 2),
                BasicBlock.create(g, "layer3.0", 32, 64, 2), Linear.create(g, "fc", 64, 10));
        return new ZooModel("resnet8", net, new int[] {1, 28, 28});
    }

    private List<Module> children() {
        return List.of(conv1, bn1, layer1, layer2, layer3, fc);
    }

    @Override
    public Node forward(Node x, Forward f) {
        Node h = Ops.relu(bn1.forward(conv1.forward(x, f), f));
        h = layer3.forward(layer2.forward(layer1.forward(h, f), f), f);
        return fc.forward(Ops.flatten(Ops.adaptiveAvgPool2d1(h), 1), f);
    }

    @Override
    public List<StateEntry> state() {
        List<StateEntry> s = new ArrayList<>();
        for (Module m : children()) s.addAll(m.state());
        return s;
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        for (Module m : children()) m.initialize(store, init, rnd);
    }

    @Override
    public String describe() {
        StringBuilder s = new StringBuilder("ResNet(");
        for (int i = 0; i < children().size(); i++) s.append(i == 0 ? "" : ", ").append(children().get(i).describe());
        return s.append(')').toString();
    }
}
