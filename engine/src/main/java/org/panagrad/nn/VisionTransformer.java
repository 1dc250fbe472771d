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
 * torchvision's VisionTransformer for one-channel square images, with its state-dict names: conv_proj (a
 * Conv2d(1, E, p, stride p), computed as a reshape, a permute and a product with the same weights, stored as
 * [E, 1, p, p]), class_token [1, 1, E], encoder.pos_embedding [1, 1 + patches, E],
 * encoder.layers.encoder_layer_{i} ({@link EncoderBlock}), encoder.ln, heads.head. LayerNorms use eps 1e-6.
 * {@link #vitTiny} is the zoo's vit-tiny: 28 x 28 images, 7 x 7 patches, 4 layers of width 64, 4 heads, MLP 128.
 */
public final class VisionTransformer implements Module {
    private final int image, patch;
    private final Linear convProj;
    private final Node classToken;
    private final PositionalEmbedding position;
    private final List<EncoderBlock> layers;
    private final LayerNorm ln;
    private final Linear head;

    private VisionTransformer(int image, int patch, Linear convProj, Node classToken, PositionalEmbedding position,
                              List<EncoderBlock> layers, LayerNorm ln, Linear head) {
        this.image = image;
        this.patch = patch;
        this.convProj = convProj;
        this.classToken = classToken;
        this.position = position;
        this.layers = layers;
        this.ln = ln;
        this.head = head;
    }

    public static VisionTransformer create(Graph g, int image, int patch, int layers, int heads, int hidden, int mlpDim,
                                           int classes, boolean fusedAttention) {
        if (image % patch != 0) throw new IllegalArgumentException("image size " + image + " is not a multiple of the patch size " + patch);
        int patches = (image / patch) * (image / patch);
        List<EncoderBlock> blocks = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            blocks.add(EncoderBlock.create(g, "encoder.layers.encoder_layer_" + i, hidden, heads, mlpDim, 1e-6,
                    AttentionMask.NONE, fusedAttention));
        }
        return new VisionTransformer(image, patch, Linear.create(g, "conv_proj", patch * patch, hidden),
                g.parameter("class_token", 1, 1, hidden), PositionalEmbedding.create(g, "encoder.pos_embedding", patches + 1, hidden),
                blocks, LayerNorm.create(g, "encoder.ln", 1e-6, hidden), Linear.create(g, "heads.head", hidden, classes));
    }

    /** vit-tiny: 28 x 28, patch 7 (16 patches), 4 layers, 4 heads, width 64, MLP 128, 10 classes; fused attention. */
    public static VisionTransformer vitTiny(Graph g) {
        return create(g, 28, 7, 4, 4, 64, 128, 10, true);
    }

    /** Logits [B, classes] of images [B, image * image] or [B, 1, image, image]. */
    @Override
    public Node forward(Node x, Forward f) {
        int b = x.shape().dim(0), grid = image / patch, hidden = classToken.shape().dim(2);
        if (x.shape().numel() != b * image * image) {
            throw new IllegalArgumentException("vision transformer: expects [batch, " + image * image + "] or [batch, 1, " + image
                    + ", " + image + "] images, got " + x.describe());
        }
        // Pixel (r, c) = (pr * p + kr, pc * p + kc): patches in row-major grid order, each flattened as (kr, kc),
        // the order in which Conv2d's [E, 1, p, p] weight flattens.
        Node patches = Ops.reshape(Ops.permute(Ops.reshape(x, b, grid, patch, grid, patch), 0, 1, 3, 2, 4), b, grid * grid, patch * patch);
        Node tokens = f.record("conv_proj", convProj, patches, convProj.apply(patches));
        Node h = Ops.concat(1, Ops.broadcastTo(classToken, b, 1, hidden), tokens);
        h = position.forward(h, f);
        for (EncoderBlock layer : layers) h = layer.forward(h, f);
        return head.forward(Ops.select(ln.forward(h, f), 1, 0), f);
    }

    @Override
    public List<StateEntry> state() {
        int e = convProj.out(), k = patch * patch;
        List<StateEntry> s = new ArrayList<>();
        s.add(StateEntry.same("class_token", classToken, true));
        s.add(new StateEntry("conv_proj.weight", convProj.weight(), true, new int[] {e, 1, patch, patch}, "F32",
                w -> Linear.toTorchLayout(w, k, e), w -> Linear.fromTorchLayout(w, k, e)));
        s.add(convProj.state().get(1));
        s.addAll(position.state());
        for (EncoderBlock layer : layers) s.addAll(layer.state());
        s.addAll(ln.state());
        s.addAll(head.state());
        return s;
    }

    public List<Node> parameters() {
        return state().stream().filter(StateEntry::trainable).map(StateEntry::node).toList();
    }

    /** torchvision's init: conv_proj N(0, 1/fan_in) (torchvision truncates it at 2 std), class token and head zero. */
    @Override
    public void initialize(ParameterStore store, Init init, SplittableRandom rnd) {
        Init.normal(store.get(convProj.weight()), Math.sqrt(1.0 / (patch * patch)), rnd);
        java.util.Arrays.fill(store.get(convProj.bias()), 0f);
        java.util.Arrays.fill(store.get(classToken), 0f);
        position.initialize(store, init, rnd);
        for (EncoderBlock layer : layers) layer.initialize(store, init, rnd);
        ln.initialize(store, init, rnd);
        java.util.Arrays.fill(store.get(head.weight()), 0f);
        java.util.Arrays.fill(store.get(head.bias()), 0f);
    }

    @Override
    public String describe() {
        return "VisionTransformer(image_size=" + image + ", patch_size=" + patch + ", num_layers=" + layers.size()
                + ", hidden_dim=" + classToken.shape().dim(2) + ", classes=" + head.out() + ")";
    }
}
