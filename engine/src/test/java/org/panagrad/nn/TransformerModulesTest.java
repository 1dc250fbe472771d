package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Embedding's bounds, MultiheadAttention's build-time check, and vit-tiny's state dict as torchvision names it. */
class TransformerModulesTest {
    @Test
    void anEmbeddingIdOutsideTheVocabularyFailsNamingItsPositionAndTheSize() {
        Graph g = new Graph();
        Embedding e = Embedding.create(g, "embed", 10, 4);
        Node labels = g.integers("tokens", 10, 2, 5);
        Node rows = e.forward(labels, Forward.eval());
        // Programs check ids as they are fed (and the gather instruction checks again before reading: LayoutTest).
        Program q = Compiler.compile(new ParameterStore(), List.of(rows));
        IllegalArgumentException y = assertThrows(IllegalArgumentException.class,
                () -> q.setLabels(labels, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 12, 9}));
        assertTrue(y.getMessage().contains("label 12 at index 8") && y.getMessage().contains("[0, 10)"), y.getMessage());
        // The float64 reference checks as the instruction does, naming the id, its position and the vocabulary size.
        java.util.Map<Node, double[]> feed = new java.util.HashMap<>();
        feed.put(labels, new double[] {0, 1, 2, 3, 4, 5, 6, 7, 12, 9});
        feed.put(e.weight(), new double[40]);
        IndexOutOfBoundsException x = assertThrows(IndexOutOfBoundsException.class,
                () -> org.panagrad.runtime.ReferenceInterpreter.evaluate(rows, feed));
        assertTrue(x.getMessage().contains("index 12 at position [1, 3] of tokens [2x5] is outside [0, 10)"), x.getMessage());
    }

    @Test
    void anEmbeddingWidthThatHeadsDoNotDivideFailsAtBuild() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MultiheadAttention.create(new Graph(), "attn", 30, 4, true));
        assertEquals("attn: embed_dim 30 must be divisible by num_heads 4", e.getMessage());
    }

    @Test
    void vitTinyHasTorchvisionsStateDict() {
        Graph g = new Graph();
        VisionTransformer vit = VisionTransformer.vitTiny(g);
        List<StateEntry> state = vit.state();
        java.util.Map<String, int[]> shapes = new java.util.LinkedHashMap<>();
        for (StateEntry s : state) shapes.put(s.name(), s.torchShape());
        assertArrayEquals(new int[] {64, 1, 7, 7}, shapes.get("conv_proj.weight"));
        assertArrayEquals(new int[] {1, 1, 64}, shapes.get("class_token"));
        assertArrayEquals(new int[] {1, 17, 64}, shapes.get("encoder.pos_embedding"));
        String l3 = "encoder.layers.encoder_layer_3.";
        assertArrayEquals(new int[] {192, 64}, shapes.get(l3 + "self_attention.in_proj_weight"));
        assertArrayEquals(new int[] {192}, shapes.get(l3 + "self_attention.in_proj_bias"));
        assertArrayEquals(new int[] {64, 64}, shapes.get(l3 + "self_attention.out_proj.weight"));
        assertArrayEquals(new int[] {128, 64}, shapes.get(l3 + "mlp.0.weight"));
        assertArrayEquals(new int[] {64, 128}, shapes.get(l3 + "mlp.3.weight"));
        assertArrayEquals(new int[] {64}, shapes.get(l3 + "ln_2.bias"));
        assertArrayEquals(new int[] {10, 64}, shapes.get("heads.head.weight"));
        assertArrayEquals(new int[] {64}, shapes.get("encoder.ln.weight"));
        assertEquals(4 + 4 * 12 + 2 + 2, state.size());
        int count = 0;
        for (StateEntry s : state) count += s.node().shape().numel();
        assertEquals(3136 + 64 + 64 + 17 * 64 + 4 * (2 * 64 + 192 * 64 + 192 + 64 * 64 + 64 + 2 * 64 + 128 * 64 + 128 + 64 * 128 + 64)
                + 2 * 64 + 640 + 10, count);
        Node x = g.input("x", 2, 784);
        ParameterStore store = new ParameterStore();
        vit.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(1));
        Node logits = vit.forward(x, Forward.eval());
        assertArrayEquals(new int[] {2, 10}, logits.shape().dims());
    }
}
