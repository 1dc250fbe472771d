package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;

import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Linear layer whose in_features differ from the width reaching it (issue 19's "an fc whose input width does
 * not match the flattened size") fails when the graph is built, naming the layer, its input and both widths.
 */
class LinearInputWidthTest {
    /** Conv2d(1,6,5,padding=2), ReLU, MaxPool2d(2), Flatten, then a Linear sized for lenet5's 400, not this 1176. */
    private static Sequential convThenLinear(Graph g, int inFeatures) {
        return Sequential.builder(g, "")
                .add((graph, name) -> Conv2d.create(graph, name, 1, 6, 5, 1, 2, true))
                .add(Activation.RELU)
                .add(MaxPool2d.of(2))
                .add(new Flatten())
                .add((graph, name) -> Linear.create(graph, name, inFeatures, 10))
                .build();
    }

    @Test
    void aLinearThatDoesNotFitTheFlattenedSizeFailsAtGraphBuildNamingLayerInputAndBothWidths() {
        Graph g = new Graph();
        Sequential net = convThenLinear(g, 400);
        Node x = g.input("x", 3, 1, 28, 28);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(x, Forward.train()));
        // 6 channels of 14x14 after the pool: 1176 features per image.
        assertMessage("Linear layer 4 (Linear(400, 10)) takes rows of 400 features, but its input ", " [3x1176] has rows of 1176",
                e.getMessage());
    }

    @Test
    void theRightWidthBuildsTheModel() {
        Graph g = new Graph();
        Node logits = convThenLinear(g, 1176).forward(g.input("x", 3, 1, 28, 28), Forward.eval());
        assertArrayEquals(new int[] {3, 10}, logits.shape().dims());
    }

    @Test
    void aMissingFlattenIsNamedTheSameWay() {
        Graph g = new Graph();
        Sequential net = Sequential.builder(g, "features")
                .add((graph, name) -> Conv2d.create(graph, name, 1, 4, 3, 1, 1, false))
                .add((graph, name) -> Linear.create(graph, name, 4 * 8 * 8, 10))
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(g.input("x", 2, 1, 8, 8), Forward.train()));
        assertMessage("Linear layer features.1 (Linear(256, 10)) takes rows of 256 features, but its input ",
                " [2x4x8x8] has rows of 8", e.getMessage());
    }

    /** The message around the input's node name (an op and a graph-wide id, such as reshape#12). */
    private static void assertMessage(String before, String after, String message) {
        assertTrue(message.matches(Pattern.quote(before) + "[a-z0-9_]+#\\d+" + Pattern.quote(after)), message);
    }
}
