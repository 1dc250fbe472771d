package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.kernels.CounterHash;
import org.panagrad.kernels.SymmetricGemm;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.Linear;
import org.panagrad.ops.Ops;
import org.panagrad.ops.fused.ScaledGram;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A compiled program that backpropagates chosen vectors u_k from the logits of a classifier (softmax
 * cross-entropy) to the output s of each Linear layer, without the weight gradients: per example n it yields
 * the layer's augmented input a_n = [x_n, 1] and the output gradients g_nk = (ds/dlogits)^T u_nk. Everything the
 * Kronecker methods need follows from them (BackPACK's extensions do the same with hooks):
 * <ul>
 *   <li>{@link Vectors#HESSIAN_FACTOR}: u_c = sqrt(p_c) (e_c - p) for each class c, the symmetric factorisation
 *       diag(p) - p p^T = sum_c u_c u_c^T of the loss Hessian in the logits: sum_c g g^T is exact (KFLR);</li>
 *   <li>{@link Vectors#SAMPLED}: u = p - e_y with y drawn from the model's own p, one vector whose outer product
 *       has the same expectation (K-FAC, and the Monte Carlo Fisher);</li>
 *   <li>{@link Vectors#JACOBIAN}: u_c = e_c, the rows of the Jacobian of the logits (Laplace's predictive).</li>
 * </ul>
 * With {@code factors}, the program also forms A = sum_n a_n a_n^T / B and G = sum_nk g_nk g_nk^T / B: the
 * Kronecker factors of the Gauss-Newton (or Fisher) matrix of the mean loss, exact at B = 1. Feed the images to
 * {@link #program()}, then {@link #run}; nothing allocates.
 *
 * <p>A Conv2d (one group) has one row per example and output position t: its unfolded input patch a_nt (with a 1
 * for the bias) and its output gradient g_nkt. Its factors are KFC's (Grosse and Martens 2016, their Omega and
 * Gamma): A = sum_nt a_nt a_nt^T / B sums over the P positions and G = sum_nkt g_nkt g_nkt^T / (B P) averages over
 * them, so that A ⊗ G approximates sum_n (sum_t a_nt ⊗ g_nkt)(...)^T / B, the curvature of the mean loss, under
 * their assumptions (spatially homogeneous, uncorrelated derivatives). A convolution in G groups is G such layers
 * side by side: one pair of factors per group, A_g over group g's patch (and the 1) and G_g over its O/G outputs;
 * its per-example input rows are the groups' augmented rows side by side ({@link #readInputs}), its output
 * gradient rows those of all its outputs, group g's in columns g O/G to (g + 1) O/G. Linear layers on [batch, in]
 * inputs and Conv2d layers are supported; any other layer fails at construction, naming the layer and the method.
 */
public final class LayerBackprop {
    /** Which vectors are backpropagated from the logits. */
    public enum Vectors {
        HESSIAN_FACTOR, SAMPLED, JACOBIAN;

        /** How many vectors per example, for C classes. */
        int count(int classes) {
            return this == SAMPLED ? 1 : classes;
        }
    }

    private final Program program;
    private final Vectors vectors;
    private final List<StructuredLayer> layers;
    private final int[] positions, inputSizes, outputSizes, groups;
    private final int batch, classes;
    private final Node probabilities, oneHot;
    private final Node[] inputs, grads, inputFactors, gradFactors;
    private final float[] p, sampled;

    private LayerBackprop(Program program, Vectors vectors, List<StructuredLayer> layers, int batch, int classes,
                          Node probabilities, Node oneHot, Node[] inputs, Node[] grads, Node[] inputFactors,
                          Node[] gradFactors, int[] positions, int[] inputSizes, int[] outputSizes, int[] groups) {
        this.positions = positions;
        this.inputSizes = inputSizes;
        this.outputSizes = outputSizes;
        this.groups = groups;
        this.program = program;
        this.vectors = vectors;
        this.layers = layers;
        this.batch = batch;
        this.classes = classes;
        this.probabilities = probabilities;
        this.oneHot = oneHot;
        this.inputs = inputs;
        this.grads = grads;
        this.inputFactors = inputFactors;
        this.gradFactors = gradFactors;
        this.p = new float[batch * classes];
        this.sampled = new float[batch * classes];
    }

    /**
     * @param logits     [batch, classes], the input of a softmax cross-entropy
     * @param layers     the layer calls (from {@code Forward.layerCalls()}) to backpropagate to, in parameter order
     * @param method     the method asking, for the message when a layer is not supported ("KFAC", "EKFAC", ...)
     * @param factors    whether to form the Kronecker factors A and G in the program
     * @param perExample whether the per-example inputs and output gradients are outputs (EKFAC, diagonals)
     */
    public static LayerBackprop compile(ParameterStore store, Node logits, List<LayerCall> layers, Vectors vectors,
                                        String method, boolean factors, boolean perExample) {
        if (logits.shape().rank() != 2) {
            throw new IllegalArgumentException(method + ": the logits must be [batch, classes], got " + logits.describe());
        }
        if (layers.isEmpty()) throw new IllegalArgumentException(method + ": no layers to compute curvature for");
        for (LayerCall call : layers) requireSupported(call, method);
        int batch = logits.shape().dim(0), classes = logits.shape().dim(1);
        var g = logits.graph();
        Node probabilities = Ops.softmax(logits, 1);
        Node oneHot = vectors == Vectors.SAMPLED ? g.input(method + ".sampled_one_hot" + g.size(), batch, classes) : null;
        List<Node> cotangents = new ArrayList<>();
        switch (vectors) {
            case SAMPLED -> cotangents.add(Ops.sub(probabilities, oneHot));
            case JACOBIAN -> {
                for (int k = 0; k < classes; k++) {
                    cotangents.add(Ops.broadcastTo(Losses.unit(g, classes, k), batch, classes));
                }
            }
            case HESSIAN_FACTOR -> cotangents.addAll(Losses.crossEntropyFactor(logits, probabilities));
        }
        List<StructuredLayer> structures = new ArrayList<>();
        for (LayerCall call : layers) structures.add(StructuredLayers.of(call));
        Node[] outputsOfLayers = new Node[layers.size()];
        for (int l = 0; l < outputsOfLayers.length; l++) outputsOfLayers[l] = layers.get(l).output();
        List<Node[]> perVector = new ArrayList<>();
        for (Node u : cotangents) perVector.add(Autodiff.vjp(logits, u, outputsOfLayers));
        int n = layers.size();
        Node[] inputs = new Node[n], grads = new Node[n], inputFactors = new Node[n], gradFactors = new Node[n];
        int[] positions = new int[n], inputSizes = new int[n], outputSizes = new int[n], groups = new int[n];
        Set<Node> outputs = new LinkedHashSet<>();
        outputs.add(probabilities);
        for (int l = 0; l < n; l++) {
            StructuredLayer layer = structures.get(l);
            positions[l] = layer.positions();
            Node rows = layer.inputRows();
            groups[l] = layer.groups();
            int r = rows.shape().dim(0);
            // A grouped layer's rows are its groups' augmented rows side by side, [r, G p]; the factors take them as [G, r, p].
            Node grouped = groups[l] == 1 ? null : byGroup(rows, groups[l], layer.bias() != null);
            inputSizes[l] = rows.shape().dim(1) / groups[l] + (layer.bias() == null ? 0 : 1);
            if (grouped != null) inputs[l] = Ops.reshape(grouped, r, groups[l] * inputSizes[l]);
            else inputs[l] = layer.bias() == null ? rows : Ops.concat(1, rows, g.fill(1, Shape.of(r, 1)));
            Node[] gs = new Node[perVector.size()];
            for (int k = 0; k < gs.length; k++) gs[k] = layer.gradientRows(perVector.get(k)[l]);
            grads[l] = gs.length == 1 ? gs[0] : Ops.concat(0, gs);
            outputSizes[l] = grads[l].shape().dim(1);
            if (factors) {
                // KFC (Grosse and Martens 2016): A sums over positions, G averages over them.
                if (layer instanceof Conv2dStructure conv && groups[l] == 1) {
                    List<Node> ds = new ArrayList<>();
                    for (Node[] v : perVector) ds.add(v[l]);
                    Node inputGram = conv.inputGram(), gradGram = conv.gradientGram(ds);
                    inputFactors[l] = Ops.scale(inputGram, 1.0 / batch);
                    gradFactors[l] = Ops.scale(gradGram, 1.0 / ((double) batch * positions[l]));
                } else {
                    inputFactors[l] = factor(groups[l] == 1 ? inputs[l] : Ops.permute(grouped, 1, 0, 2), 1.0 / batch);
                    gradFactors[l] = factor(groups[l] == 1 ? grads[l] : byGroup(grads[l], groups[l]),
                            1.0 / ((double) batch * positions[l]));
                }
                outputs.add(inputFactors[l]);
                outputs.add(gradFactors[l]);
            }
            if (perExample) {
                outputs.add(inputs[l]);
                outputs.add(grads[l]);
            }
        }
        Set<Node> varying = oneHot == null ? Set.of() : Set.of(oneHot);
        Program program = Compiler.compile(store, new ArrayList<>(outputs), Compiler.Options.ALL, varying);
        return new LayerBackprop(program, vectors, List.copyOf(structures), batch, classes, probabilities, oneHot, inputs,
                grads, inputFactors, gradFactors, positions, inputSizes, outputSizes, groups);
    }

    /**
     * c X^T X for rows X [rows, n], or each group's for [groups, rows, n]. A matrix wide enough for the symmetric
     * kernel gets its upper triangle only ({@link ScaledGram#upperOf}: zero below the diagonal, no mirror in the
     * per-step program); {@link #readFactors} mirrors it, {@link #readUpperFactors} does not.
     */
    private static Node factor(Node x, double c) {
        if (ScaledGram.applies(x, true)) return ScaledGram.upperOf(x, true, c);
        return Ops.scale(Ops.matmul(x, x, true, false), c);
    }

    /**
     * Rows [r, G m] as [r, G, m] (group g's columns g m to (g + 1) m), each group's with a 1 appended for a bias:
     * [r, G, m + 1].
     */
    private static Node byGroup(Node rows, int groups, boolean bias) {
        int r = rows.shape().dim(0), m = rows.shape().dim(1) / groups;
        Node grouped = Ops.reshape(rows, r, groups, m);
        return bias ? Ops.concat(2, grouped, rows.graph().fill(1, Shape.of(r, groups, 1))) : grouped;
    }

    /** Gradient rows [r, G m] as G matrices [G, r, m]. */
    private static Node byGroup(Node rows, int groups) {
        return Ops.permute(byGroup(rows, groups, false), 1, 0, 2);
    }

    /** Fails unless the Kronecker structure of this layer is known: a Linear on [batch, in] or any Conv2d. */
    static void requireSupported(LayerCall call, String method) {
        if (!StructuredLayers.supports(call)) {
            throw new IllegalArgumentException(method + " does not support layer '" + call.name() + "' ("
                    + call.layer().describe() + "): supported layers are Linear and Conv2d");
        }
        if (call.layer() instanceof Linear && call.input().shape().rank() != 2) {
            throw new IllegalArgumentException(method + " does not support layer '" + call.name() + "' ("
                    + call.layer().describe() + ") on " + call.input().describe() + ": only [batch, in] inputs");
        }
    }

    /** The program, to feed its images. */
    public Program program() {
        return program;
    }

    /** Runs on the images fed; with sampled vectors, draws each example's label from its predicted p with rnd. */
    public void run(SplittableRandom rnd) {
        run(rnd, 0);
    }

    /**
     * {@link #run(SplittableRandom)} with the draws of {@code new SplittableRandom(seed)}, without making one: the
     * K-FAC optimizer seeds each factor update by its step (a resumed run draws what an uninterrupted one did),
     * and a steady-state step allocates nothing.
     */
    public void run(long seed) {
        run(null, seed);
    }

    private void run(SplittableRandom rnd, long seed) {
        if (vectors != Vectors.SAMPLED) {
            program.run();
            return;
        }
        program.runInvariant();
        program.read(probabilities, p);
        java.util.Arrays.fill(sampled, 0f);
        for (int n = 0; n < batch; n++) {
            double u = rnd != null ? rnd.nextDouble() : splitMix(seed += CounterHash.GOLDEN_GAMMA), cumulative = 0;
            int y = classes - 1;
            for (int c = 0; c < classes; c++) {
                cumulative += p[n * classes + c];
                if (u < cumulative) {
                    y = c;
                    break;
                }
            }
            sampled[n * classes + y] = 1;
        }
        program.set(oneHot, sampled);
        program.runVarying();
    }

    /**
     * Runs with the given labels instead of sampled ones: the output gradients are then those of each example's
     * own loss, g_n = ds/dlogits^T (p_n - e_{y_n}), and a_n ⊗ g_n is its per-example gradient (influence functions).
     */
    public void runWithLabels(int[] labels, int offset) {
        if (vectors != Vectors.SAMPLED) throw new IllegalStateException("labels replace sampled vectors only");
        program.runInvariant();
        java.util.Arrays.fill(sampled, 0f);
        for (int n = 0; n < batch; n++) {
            int y = labels[offset + n];
            if (y < 0 || y >= classes) throw new IllegalArgumentException("label " + y + " of example " + (offset + n)
                    + " is not one of the " + classes + " classes");
            sampled[n * classes + y] = 1;
        }
        program.set(oneHot, sampled);
        program.runVarying();
    }

    /** The uniform double SplittableRandom draws at this state: its mix64 output's top 53 bits. */
    static double splitMix(long state) {
        return (CounterHash.mix64(state) >>> 11) * 0x1.0p-53;
    }

    /** Draws new labels and recomputes only what depends on them (another Monte Carlo sample, same batch). */
    public void resample(SplittableRandom rnd) {
        if (vectors != Vectors.SAMPLED) throw new IllegalStateException("only sampled vectors can be drawn again");
        run(rnd);
    }

    public int batch() {
        return batch;
    }

    public int classes() {
        return classes;
    }

    /** Vectors per example: 1 (sampled) or the number of classes. */
    public int vectorsPerExample() {
        return vectors.count(classes);
    }

    public Vectors vectors() {
        return vectors;
    }

    /** The layers, in the order given. */
    public List<LayerCall> layers() {
        return StructuredLayers.calls(layers);
    }

    List<StructuredLayer> structures() {
        return layers;
    }

    /** How layer l stores its parameters. */
    KroneckerBlock.Layout layout(int l) {
        return layers.get(l).layout();
    }

    /** Rows per example of layer l: its output positions (1 for a Linear layer, OH OW for a Conv2d). */
    public int positions(int l) {
        return positions[l];
    }

    /** Layer l's fan-in (of one group), + 1 with a bias (the bias row): the size of its factor A (of each group's). */
    public int inputSize(int l) {
        return inputSizes[l];
    }

    /** Layer l's outputs (all groups'): G is this size, or each group's G this size / groups. */
    public int outputSize(int l) {
        return outputSizes[l];
    }

    /** Layer l's groups: 1, or a grouped convolution's, which has one pair of factors per group. */
    public int groups(int l) {
        return groups[l];
    }

    /** The softmax probabilities of the last run, [batch, classes]. */
    public void readProbabilities(float[] out) {
        program.read(probabilities, out);
    }

    /**
     * A and G of layer l for the last run ({@code factors} must have been asked for); a grouped layer's are its
     * groups' factors one after another ({@link #groups}: G x p^2 and G x (q/G)^2 floats). Whole matrices: the lower
     * triangles the program leaves out are copied here from the upper ones.
     */
    public void readFactors(int l, float[] a, float[] g) {
        readUpperFactors(l, a, g);
        int qg = outputSizes[l] / groups[l];
        for (int gr = 0; gr < groups[l]; gr++) {
            SymmetricGemm.mirrorUpper(inputSizes[l], a, gr * inputSizes[l] * inputSizes[l]);
            SymmetricGemm.mirrorUpper(qg, g, gr * qg * qg);
        }
    }

    /**
     * {@link #readFactors} without the lower triangles: each factor's elements on and above its diagonal, below it
     * zero or the mirror image (the program forms wide factors' upper triangles only, {@link #factor}).
     */
    void readUpperFactors(int l, float[] a, float[] g) {
        if (inputFactors[l] == null) throw new IllegalStateException("this program was compiled without the factors");
        program.read(inputFactors[l], a);
        program.read(gradFactors[l], g);
    }

    /**
     * The augmented input rows [batch * positions, in + 1] of layer l, example n's rows n * positions on; a
     * grouped layer's are [batch * positions, groups (in + 1)], group g's (in + 1) columns from g (in + 1) on.
     */
    public void readInputs(int l, float[] out) {
        program.read(inputs[l], out);
    }

    /**
     * The output-gradient rows of layer l, [vectors * batch * positions, out]: vector k of example n starts at row
     * (k * batch + n) * positions.
     */
    public void readGradients(int l, float[] out) {
        program.read(grads[l], out);
    }
}
