package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.ConvGeometry;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * PyTorch's nn.Conv2d on [N, C, H, W]: weight [out, in / groups, kh, kw] (PyTorch's layout, stored as it is) and
 * an optional bias [out]. Initialised as PyTorch's reset_parameters: weight and bias uniform in +-1/sqrt(fan_in),
 * fan_in = in / groups * kh * kw.
 */
public record Conv2d(String name, Node weight, Node bias, ConvGeometry geometry) implements Module {
    /** A square kernel with one stride and one padding for both axes, no dilation, one group. */
    public static Conv2d create(Graph g, String name, int in, int out, int kernel, int stride, int padding, boolean bias) {
        return create(g, name, in, out, kernel, stride, padding, 1, 1, bias);
    }

    public static Conv2d create(Graph g, String name, int in, int out, int kernel, int stride, int padding, int dilation,
                                int groups, boolean bias) {
        ConvGeometry geometry = ConvGeometry.of(new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups);
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException(name + ": in_channels " + in + " and out_channels " + out
                    + " must both be divisible by groups " + groups);
        }
        return new Conv2d(name, g.parameter(name + ".weight", out, in / groups, kernel, kernel),
                bias ? g.parameter(name + ".bias", out) : null, geometry);
    }

    public int inChannels() {
        return weight.shape().dim(1) * geometry.groups();
    }

    public int outChannels() {
        return weight.shape().dim(0);
    }

    @Override
    public Node forward(Node x, Forward f) {
        return f.record(name, this, x, Ops.conv2d(x, weight, bias, geometry));
    }

    @Override
    public List<StateEntry> state() {
        List<StateEntry> s = new ArrayList<>(List.of(StateEntry.same(name + ".weight", weight, true)));
        if (bias != null) s.add(StateEntry.same(name + ".bias", bias, true));
        return s;
    }

    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        int receptive = weight.shape().dim(2) * weight.shape().dim(3);
        int fanIn = weight.shape().dim(1) * receptive, fanOut = outChannels() / geometry.groups() * receptive;
        init.weights(store.get(weight), fanIn, fanOut, rnd);
        if (bias != null) init.bias(store.get(bias), fanIn, rnd);
    }

    /** PyTorch's repr: "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))". */
    @Override
    public String describe() {
        ConvGeometry c = geometry;
        StringBuilder s = new StringBuilder("Conv2d(" + inChannels() + ", " + outChannels() + ", kernel_size="
                + pair(weight.shape().dim(2), weight.shape().dim(3)) + ", stride=" + pair(c.strideH(), c.strideW()));
        if (c.padH() != 0 || c.padW() != 0) s.append(", padding=").append(pair(c.padH(), c.padW()));
        if (c.dilationH() != 1 || c.dilationW() != 1) s.append(", dilation=").append(pair(c.dilationH(), c.dilationW()));
        if (c.groups() != 1) s.append(", groups=").append(c.groups());
        if (bias == null) s.append(", bias=False");
        return s.append(')').toString();
    }

    static String pair(int a, int b) {
        return "(" + a + ", " + b + ")";
    }
}
