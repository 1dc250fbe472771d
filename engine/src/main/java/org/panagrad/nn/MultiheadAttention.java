package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.AttentionMask;
import org.panagrad.ops.Ops;
import org.panagrad.ops.StepCounter;
import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Multi-head self-attention over [B, T, E] (nn.MultiheadAttention with batch_first=True), with PyTorch's
 * parameters: in_proj_weight [3E, E] (queries, keys, values stacked, stored as PyTorch stores it and read
 * transposed by the GEMM), in_proj_bias [3E], out_proj.weight and out_proj.bias. The heads are split by a reshape
 * and one permute ([B, T, 3, H, E/H] to [3, B, H, T, E/H]), attend (fused by default) and are merged back.
 * Dropout p on the attention probabilities, as PyTorch's, in training passes only: those passes attend in the
 * composed form (the fused kernel has no mask inside); the mask is a function of (seed, step, element) with the
 * graph's {@link StepCounter} as the step, so a gradient and an HVP at one step drop the same weights.
 */
public final class MultiheadAttention implements Module {
    private final String name;
    private final int heads;
    private final Node inProjWeight, inProjBias;
    private final Linear outProj;
    private final boolean fused;
    private final double dropout;
    private final Node step;

    private MultiheadAttention(String name, int heads, Node inProjWeight, Node inProjBias, Linear outProj, boolean fused,
                               double dropout, Node step) {
        this.name = name;
        this.heads = heads;
        this.inProjWeight = inProjWeight;
        this.inProjBias = inProjBias;
        this.outProj = outProj;
        this.fused = fused;
        this.dropout = dropout;
        this.step = step;
    }

    /** Without dropout; fails here, while the model is built, unless {@code embed} divides into {@code heads} heads. */
    public static MultiheadAttention create(Graph g, String name, int embed, int heads, boolean fused) {
        return create(g, name, embed, heads, fused, 0);
    }

    /** With dropout p in [0, 1) on the attention probabilities of training passes. */
    public static MultiheadAttention create(Graph g, String name, int embed, int heads, boolean fused, double dropout) {
        if (heads < 1 || embed % heads != 0) {
            throw new IllegalArgumentException(name + ": embed_dim " + embed + " must be divisible by num_heads " + heads);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(name + ": dropout must be in [0, 1), got " + dropout);
        }
        return new MultiheadAttention(name, heads, g.parameter(name + ".in_proj_weight", 3 * embed, embed),
                g.parameter(name + ".in_proj_bias", 3 * embed), Linear.create(g, name + ".out_proj", embed, embed), fused,
                dropout, dropout > 0 ? StepCounter.of(g) : null);
    }

    public int embed() {
        return inProjWeight.shape().dim(1);
    }

    /** Self-attention of x [B, T, E] under the mask; {@code training} passes drop attention weights. */
    public Node apply(Node x, AttentionMask mask, boolean training) {
        int[] d = x.shape().dims();
        if (d.length != 3 || d[2] != embed()) {
            throw new IllegalArgumentException(name + ": expects [batch, tokens, " + embed() + "], got " + x.describe());
        }
        int b = d[0], t = d[1], e = d[2], dh = e / heads;
        Node qkv = Ops.add(Ops.matmul(x, inProjWeight, false, true), inProjBias);
        Node split = Ops.permute(Ops.reshape(qkv, b, t, 3, heads, dh), 2, 0, 3, 1, 4);
        Node q = Ops.select(split, 0, 0), k = Ops.select(split, 0, 1), v = Ops.select(split, 0, 2);
        Node o = training && dropout > 0 ? Ops.attention(q, k, v, mask, dropout, step, Dropout.seedOf(name + ".dropout"))
                : fused ? Ops.fusedAttention(q, k, v, mask) : Ops.attention(q, k, v, mask);
        return outProj.apply(Ops.reshape(Ops.permute(o, 0, 2, 1, 3), b, t, e));
    }


    @Override
    public Node forward(Node x, Forward f) {
        return f.record(name, this, x, apply(x, AttentionMask.NONE, f.training()));
    }

    @Override
    public List<StateEntry> state() {
        return List.of(StateEntry.same(name + ".in_proj_weight", inProjWeight, true),
                StateEntry.same(name + ".in_proj_bias", inProjBias, true), outProj.state().get(0), outProj.state().get(1));
    }

    /** PyTorch's _reset_parameters: in_proj_weight Xavier-uniform, biases zero, out_proj.weight as nn.Linear's. */
    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        int e = embed();
        Init.uniform(store.get(inProjWeight), Math.sqrt(6.0 / (e + 3 * e)), rnd);
        java.util.Arrays.fill(store.get(inProjBias), 0f);
        outProj.initialize(store, Init.TORCH_DEFAULT, rnd);
        java.util.Arrays.fill(store.get(outProj.bias()), 0f);
    }

    @Override
    public String describe() {
        return "MultiheadAttention(embed_dim=" + embed() + ", num_heads=" + heads + (dropout > 0 ? ", dropout=" + dropout : "")
                + ")";
    }
}
