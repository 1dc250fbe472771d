package org.panagrad.nn;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.AttentionMask;
import org.panagrad.ops.Ops;
import org.panagrad.runtime.ParameterStore;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A pre-norm transformer encoder layer, named as torchvision's EncoderBlock: x + self_attention(ln_1(x)), then
 * y + mlp(ln_2(y)) with mlp.0 = Linear(E, mlpDim), exact GELU, mlp.3 = Linear(mlpDim, E). With a causal mask it is
 * a decoder-only (GPT-style) block.
 */
public final class EncoderBlock implements Module {
    private final String name;
    private final LayerNorm ln1, ln2;
    private final MultiheadAttention attention;
    private final Linear mlp0, mlp3;
    private final AttentionMask mask;

    private EncoderBlock(String name, LayerNorm ln1, MultiheadAttention attention, LayerNorm ln2, Linear mlp0, Linear mlp3,
                         AttentionMask mask) {
        this.name = name;
        this.ln1 = ln1;
        this.attention = attention;
        this.ln2 = ln2;
        this.mlp0 = mlp0;
        this.mlp3 = mlp3;
        this.mask = mask;
    }

    public static EncoderBlock create(Graph g, String name, int embed, int heads, int mlpDim, double eps, AttentionMask mask,
                                      boolean fused) {
        return create(g, name, embed, heads, mlpDim, eps, mask, fused, 0);
    }

    /** With dropout p on the attention probabilities of training passes (torchvision's attention_dropout). */
    public static EncoderBlock create(Graph g, String name, int embed, int heads, int mlpDim, double eps, AttentionMask mask,
                                      boolean fused, double attentionDropout) {
        return new EncoderBlock(name, LayerNorm.create(g, name + ".ln_1", eps, embed),
                MultiheadAttention.create(g, name + ".self_attention", embed, heads, fused, attentionDropout),
                LayerNorm.create(g, name + ".ln_2", eps, embed),
                Linear.create(g, name + ".mlp.0", embed, mlpDim), Linear.create(g, name + ".mlp.3", mlpDim, embed), mask);
    }

    @Override
    public Node forward(Node x, Forward f) {
        Node h = Ops.add(x, f.record(name + ".self_attention", attention, x, attention.apply(ln1.forward(x, f), mask, f.training())));
        Node m = mlp3.forward(Ops.gelu(mlp0.forward(ln2.forward(h, f), f)), f);
        return f.record(name, this, x, Ops.add(h, m));
    }

    @Override
    public List<StateEntry> state() {
        List<StateEntry> s = new ArrayList<>();
        for (Module m : List.of(ln1, attention, ln2, mlp0, mlp3)) s.addAll(m.state());
        return s;
    }

    /** LayerNorms at ones and zeros; attention as PyTorch's; the MLP's weights Xavier-uniform, biases zero (torchvision's MLPBlock draws them N(0, 1e-6)). */
    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        ln1.initialize(store, init, rnd);
        attention.initialize(store, init, rnd);
        ln2.initialize(store, init, rnd);
        for (Linear l : List.of(mlp0, mlp3)) {
            l.initialize(store, Init.XAVIER_UNIFORM, rnd);
            java.util.Arrays.fill(store.get(l.bias()), 0f);
        }
    }

    @Override
    public String describe() {
        return "EncoderBlock(" + attention.describe() + ", mlp " + mlp0.describe() + ", GELU, " + mlp3.describe() + ")";
    }
}
