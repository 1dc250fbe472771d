package org.panagrad.nn.zoo;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.nn.Module;

/**
 * A model of the zoo built in a graph: its module (whose state dict names the checkpoint) and the shape of one
 * example it reads ([784] for an MLP on MNIST, [1, 28, 28] for a CNN), so callers build inputs of any batch size.
 */
public record ZooModel(String name, Module module, int[] exampleShape) {
    public ZooModel {
        exampleShape = exampleShape.clone();
    }

    @Override
    public int[] exampleShape() {
        return exampleShape.clone();
    }

    /** A float input named {@code inputName} holding {@code batch} examples. */
    public Node input(Graph g, String inputName, int batch) {
        int[] dims = new int[exampleShape.length + 1];
        dims[0] = batch;
        System.arraycopy(exampleShape, 0, dims, 1, exampleShape.length);
        return g.input(inputName, dims);
    }

    /** Floats per example. */
    public int exampleSize() {
        int n = 1;
        for (int d : exampleShape) n *= d;
        return n;
    }
}
