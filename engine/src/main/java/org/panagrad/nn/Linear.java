package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/**
 * y = x W + b with W of shape [in, out], the layout of JAX/Flax's Dense kernel. PyTorch's nn.Linear stores
 * the transpose, [out, in]; {@link #toTorchLayout} and {@link #fromTorchLayout} convert at the edges
 * (checkpoints), so the files stay PyTorch's.
 * <p>
 * Why [in, out]: the forward product then reads W along its contiguous rows, and GEMM packs it with plain
 * vector copies. With [out, in] every forward pass transposes W while packing it; measured on the two layer-1
 * GEMMs of a training step in one JVM (forward and fused weight update, JDK 17), [in, out] was 3% faster for
 * 784-500-10 at batch 128 and 9% for 784-128-10 at batch 64; the weight update costs the same either way.
 */
public record Linear(String name, Node weight, Node bias) implements Module {
    public static Linear create(Graph g, String prefix, int in, int out) {
        return new Linear(prefix, g.parameter(prefix + ".weight", in, out), g.parameter(prefix + ".bias", out));
    }

    public int in() {
        return weight.shape().dim(0);
    }

    public int out() {
        return weight.shape().dim(1);
    }

    /**
     * x W + b for x of shape [..., in], as PyTorch's nn.Linear: [..., out]. Compiled, the leading axes fold into
     * the rows of one GEMM with the bias (and a following ReLU) in its epilogue, whatever the rank.
     */
    public Node apply(Node x) {
        int rank = x.shape().rank();
        if (rank > 0 && x.shape().dim(rank - 1) != in()) {
            // Checked here rather than left to matmul, whose message names the weight but not the layer.
            throw new IllegalArgumentException("Linear layer " + name + " (" + describe() + ") takes rows of " + in()
                    + " features, but its input " + x.describe() + " has rows of " + x.shape().dim(rank - 1));
        }
        return Ops.add(Ops.matmul(x, weight), bias);
    }

    @Override
    public Node forward(Node x, Forward f) {
        return f.record(name, this, x, apply(x));
    }

    @Override
    public List<StateEntry> state() {
        int in = in(), out = out();
        return List.of(new StateEntry(name + ".weight", weight, true, new int[] {out, in}, "F32",
                        w -> toTorchLayout(w, in, out), w -> fromTorchLayout(w, in, out)),
                StateEntry.same(name + ".bias", bias, true));
    }

    @Override
    public String describe() {
        return "Linear(" + in() + ", " + out() + ")";
    }

    /**
     * Draws the weights in PyTorch's [out, in] order and stores their transpose, so a seed gives the same
     * model as PyTorch's layout would (and as earlier versions did).
     */
    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        float[] torchOrder = new float[in() * out()];
        init.weights(torchOrder, in(), out(), rnd);
        store.set(weight, fromTorchLayout(torchOrder, in(), out()));
        init.bias(store.get(bias), in(), rnd);
    }

    /** A weight of shape [in, out] as PyTorch's nn.Linear stores it: [out, in]. */
    public static float[] toTorchLayout(float[] w, int in, int out) {
        return transpose(w, in, out);
    }

    /** A PyTorch nn.Linear weight of shape [out, in] in this layer's layout, [in, out]. */
    public static float[] fromTorchLayout(float[] torchWeight, int in, int out) {
        return transpose(torchWeight, out, in);
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        if (x.length != rows * cols) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " matrix needs " + rows * cols
                    + " values, got " + x.length);
        }
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
        }
        return t;
    }
}
