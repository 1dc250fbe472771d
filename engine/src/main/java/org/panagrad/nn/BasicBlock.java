package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * torchvision's ResNet BasicBlock: conv1 (3x3, the block's stride), bn1, ReLU, conv2 (3x3), bn2, plus the shortcut
 * (the input, or downsample.0 = a 1x1 convolution with the stride and downsample.1 = batch norm when the shape
 * changes), then ReLU. Convolutions have no bias, as torchvision's.
 */
public record BasicBlock(String name, Conv2d conv1, BatchNorm2d bn1, Conv2d conv2, BatchNorm2d bn2, Conv2d downConv,
                         BatchNorm2d downBn) implements Module {
    public static BasicBlock create(Graph g, String name, int in, int out, int stride) {
        Conv2d downConv = null;
        BatchNorm2d downBn = null;
        if (stride != 1 || in != out) {
            downConv = Conv2d.create(g, name + ".downsample.0", in, out, 1, stride, 0, false);
            downBn = BatchNorm2d.create(g, name + ".downsample.1", out);
        }
        return new BasicBlock(name, Conv2d.create(g, name + ".conv1", in, out, 3, stride, 1, false),
                BatchNorm2d.create(g, name + ".bn1", out), Conv2d.create(g, name + ".conv2", out, out, 3, 1, 1, false),
                BatchNorm2d.create(g, name + ".bn2", out), downConv, downBn);
    }

    @Override
    public Node forward(Node x, Forward f) {
        Node h = Ops.relu(bn1.forward(conv1.forward(x, f), f));
        h = bn2.forward(conv2.forward(h, f), f);
        Node shortcut = downConv == null ? x : downBn.forward(downConv.forward(x, f), f);
        return Ops.relu(Ops.add(h, shortcut));
    }

    private List<Module> children() {
        List<Module> c = new ArrayList<>(List.of(conv1, bn1, conv2, bn2));
        if (downConv != null) c.addAll(List.of(downConv, downBn));
        return c;
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
        StringBuilder s = new StringBuilder("BasicBlock(conv1=" + conv1.describe() + ", bn1=" + bn1.describe()
                + ", relu=ReLU(inplace=True), conv2=" + conv2.describe() + ", bn2=" + bn2.describe());
        if (downConv != null) s.append(", downsample=Sequential(").append(downConv.describe()).append(", ").append(downBn.describe()).append(')');
        return s.append(')').toString();
    }
}
