package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.panagrad.ops.Ops.adaptiveAvgPool2d1;
import static org.panagrad.ops.Ops.avgPool2d;
import static org.panagrad.ops.Ops.conv2d;
import static org.panagrad.ops.Ops.conv2dSame;
import static org.panagrad.ops.Ops.flatten;
import static org.panagrad.ops.Ops.maxPool2d;
import static org.panagrad.ops.Ops.tanh;
import static org.panagrad.testing.OpCase.floats;

/**
 * Convolutions and pooling (rank 4 only, NCHW) at odd sizes: stride, padding (same included, with its extra
 * zero after), dilation, groups and depthwise, 1 x 1 kernels read in place, bias; the gradients' own ops as
 * outputs, so that their rules meet finite differences too; max pooling on distinct values (no ties under the
 * differences), with padding; and a small network through all of them.
 */
public class ConvOpCases implements OpCases {
    private static OpCase c(String name, Function<Node[], Node> f, OpCase.Arg... args) {
        return OpCase.of(name + " " + Arrays.stream(args).map(a -> Shape.of(a.dims()).toString())
                .collect(Collectors.joining(" ")), f, args);
    }

    private static int[] p(int... v) {
        return v;
    }

    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        cases.add(c("conv2d", x -> conv2d(x[0], x[1], null), floats(2, 3, 7, 5), floats(4, 3, 3, 2)));
        cases.add(c("conv2d with bias, stride 2, padding 1", x -> conv2d(x[0], x[1], x[2], p(2), p(1), p(1), 1),
                floats(1, 2, 7, 7), floats(3, 2, 3, 3), floats(3)));
        cases.add(c("conv2d dilated, padding 2x1, stride 1x2", x -> conv2d(x[0], x[1], null, p(1, 2), p(2, 1), p(2), 1),
                floats(1, 2, 7, 6), floats(2, 2, 3, 2)));
        cases.add(c("conv2d in 2 groups", x -> conv2d(x[0], x[1], x[2], p(1), p(1), p(1), 2),
                floats(1, 4, 5, 5), floats(6, 2, 3, 3), floats(6)));
        cases.add(c("conv2d depthwise", x -> conv2d(x[0], x[1], null, p(1), p(1), p(1), 3),
                floats(2, 3, 5, 5), floats(3, 1, 3, 3)));
        cases.add(c("conv2d 1x1", x -> conv2d(x[0], x[1], null), floats(2, 3, 3, 5), floats(4, 3, 1, 1)));
        cases.add(c("conv2d 1x1 stride 2 (a downsample)", x -> conv2d(x[0], x[1], null, p(2), p(0), p(1), 1),
                floats(1, 3, 5, 5), floats(2, 3, 1, 1)));
        cases.add(c("conv2d padding same, even kernel", x -> conv2dSame(x[0], x[1], x[2], p(1), 1),
                floats(1, 2, 5, 4), floats(3, 2, 4, 3), floats(3)));
        cases.add(c("conv2d input gradient, stride 2", x -> Conv2dInputGrad.of(x[0], x[1], new ConvGeometry(2, 2, 1, 0, 1, 1, 1), 6, 5),
                floats(2, 4, 3, 2), floats(4, 3, 3, 2)));
        cases.add(c("conv2d weight gradient, 2 groups", x -> Conv2dWeightGrad.of(x[0], x[1], new ConvGeometry(1, 1, 1, 1, 1, 1, 2), 3, 3),
                floats(2, 4, 5, 3), floats(2, 2, 5, 3)));

        cases.add(c("unfold 3x2, stride 2x1, padding 1, dilation 1x2, 2 groups",
                x -> Ops.unfold(x[0], 3, 2, new ConvGeometry(2, 1, 1, 1, 1, 2, 2)), floats(2, 4, 6, 5)));
        cases.add(c("unfold channel-major 3x2, stride 2x1, padding 1, dilation 1x2, 2 groups",
                x -> Ops.unfoldChannelMajor(x[0], 3, 2, new ConvGeometry(2, 1, 1, 1, 1, 2, 2)), floats(2, 4, 6, 5)));
        cases.add(c("patch gram 3x2, padding 1x2, dilation 1x2, with ones",
                x -> Ops.patchGram(x[0], 3, 2, new ConvGeometry(1, 1, 1, 2, 1, 2, 1), true), floats(2, 2, 5, 4)));
        cases.add(c("patch gram 2x2 without ones", x -> Ops.patchGram(x[0], 2, 2, ConvGeometry.DEFAULT, false), floats(1, 2, 3, 4)));
        cases.add(c("unfold 2x2 into a convolution", x -> conv2d(Ops.unfold(x[0], 2, 2, ConvGeometry.DEFAULT), x[1], null),
                floats(1, 2, 4, 3), floats(3, 8, 1, 1)));

        cases.add(c("max_pool2d 2", x -> maxPool2d(x[0], 2), floats(2, 3, 6, 5)).distinct());
        cases.add(c("max_pool2d 3 stride 2 padding 1", x -> maxPool2d(x[0], p(3), p(2), p(1)), floats(1, 2, 7, 7)).distinct());
        PoolGeometry three = new PoolGeometry(3, 2, 2, 1, 1, 0);
        cases.add(c("max_pool2d scatter", x -> MaxPool2dScatter.of(x[0], x[1], three), floats(1, 2, 5, 4), floats(1, 2, 3, 3)).distinct());
        cases.add(c("max_pool2d gather", x -> MaxPool2dGather.of(x[0], x[1], three), floats(1, 2, 5, 4), floats(1, 2, 5, 4)).distinct());
        cases.add(c("avg_pool2d 2", x -> avgPool2d(x[0], p(2), null, p(0)), floats(2, 3, 6, 5)));
        cases.add(c("avg_pool2d 3 stride 2 padding 1", x -> avgPool2d(x[0], p(3, 2), p(2, 1), p(1, 1)), floats(1, 2, 7, 5)));
        cases.add(c("avg_pool2d adjoint", x -> AvgPool2dAdjoint.of(x[0], three, Shape.of(1, 2, 5, 4)), floats(1, 2, 3, 3)));
        cases.add(c("global average pool", x -> adaptiveAvgPool2d1(x[0]), floats(2, 3, 5, 3)));

        cases.add(c("conv, tanh, max pool, conv, global pool, flatten", x -> flatten(adaptiveAvgPool2d1(
                conv2d(maxPool2d(tanh(conv2d(x[0], x[1], x[2], p(1), p(1), p(1), 1)), 2), x[3], null, p(2), p(1), p(1), 1)), 1),
                floats(2, 1, 6, 6), floats(3, 1, 3, 3), floats(3), floats(2, 3, 3, 3)).distinct());
        return cases;
    }
}
