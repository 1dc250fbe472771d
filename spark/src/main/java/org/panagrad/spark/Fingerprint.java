package org.panagrad.spark;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.SoftmaxCrossEntropy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A short hash of what a JVM builds from a {@link ModelSpec}: the spec, then every node of the model's loss
 * graph for one example (op, shape, inputs, and names of the parameters) and the parameters' order. The
 * driver and every executor compute it from their own jars; two that differ (mixed Panagrad versions that
 * name, order or compose the model's parameters differently) would exchange parameter vectors that mean
 * different things, so a mismatch fails the job instead.
 */
public final class Fingerprint {
    private Fingerprint() {}

    public static String of(ModelSpec spec) {
        Graph g = new Graph();
        Classifier model = ModelZoo.build(spec, g);
        Node x = model.input(g, "x", 1);
        Node y = g.labels("y", 1, model.classes());
        SoftmaxCrossEntropy.of(model.logits(x), y);
        StringBuilder s = new StringBuilder("panagrad-spark model fingerprint 1\n").append(spec).append('\n');
        for (Node n : g.nodes()) {
            s.append(n.id()).append(' ').append(n.op().name()).append(' ').append(n.shape());
            for (Node in : n.inputs()) s.append(' ').append(in.id());
            s.append('\n');
        }
        for (Node p : model.parameters()) s.append("param ").append(p.name()).append(' ').append(p.shape()).append('\n');
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
