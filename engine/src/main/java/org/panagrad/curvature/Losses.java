package org.panagrad.curvature;

import org.panagrad.graph.Graph;
import org.panagrad.graph.Input;
import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.ops.MeanSquaredError;
import org.panagrad.ops.Ops;
import org.panagrad.ops.SoftmaxCrossEntropy;

import java.util.ArrayList;
import java.util.List;

/**
 * What structure-exploiting curvature methods need of a loss that is a mean of per-sample terms: the number of
 * samples, and a symmetric factorisation of each sample's Hessian in its prediction, H_n = sum_c s_c s_c^T
 * (exactly, or in expectation over sampled columns). Softmax cross-entropy over [N, C] logits has
 * H_n = diag(p) - p p^T = sum_c s_c s_c^T with s_c = sqrt(p_c) (e_c - p), and E[(p - e_y)(p - e_y)^T] = H_n for
 * y drawn from p; mean squared error over [N, k] has H_n = (2/k) I. The Hessians are of the sample's own loss
 * l_n, whose mean over the batch is the loss.
 */
public final class Losses {
    private Losses() {}

    /** The number of samples (the prediction's first axis) of a per-sample mean loss; others fail naming the method. */
    public static int samples(String method, Node loss) {
        if (loss.op() instanceof SoftmaxCrossEntropy ce) {
            Node logits = loss.input(0);
            if (logits.shape().rank() < 2 || ce.classAxis() != 1) {
                throw new IllegalArgumentException(method + ": the cross-entropy " + loss.describe()
                        + " must have samples along axis 0 and classes along axis 1");
            }
            if (Input.ignoreIndexOf(loss.input(1)).isPresent()) {
                throw new IllegalArgumentException(method + ": labels with an ignore index (" + loss.input(1).describe()
                        + ") weight samples unequally, which is not supported");
            }
            return logits.shape().dim(0);
        }
        if (loss.op() instanceof MeanSquaredError) {
            Node prediction = loss.input(0);
            if (prediction.shape().rank() < 1) {
                throw new IllegalArgumentException(method + ": the loss " + loss.describe() + " has no sample axis");
            }
            return prediction.shape().dim(0);
        }
        throw new IllegalArgumentException(method + ": the loss " + loss.describe() + " (" + loss.op().name()
                + ") is not a per-sample mean this method knows; use softmax_cross_entropy or mse_loss");
    }

    /** The prediction the loss reads (logits, or the regression output). */
    public static Node prediction(Node loss) {
        return loss.input(0);
    }

    /** Checks the loss has a per-sample Hessian factorisation here: a rank-2 prediction [N, classes]. */
    static void requireRank2(String method, Node loss) {
        samples(method, loss);
        if (prediction(loss).shape().rank() != 2) {
            throw new IllegalArgumentException(method + ": the prediction " + prediction(loss).describe()
                    + " must have shape [samples, outputs]; one sample's several positions are not supported");
        }
    }

    /** The columns s_c, each [N, outputs], with H_n = sum_c s_c s_c^T for every sample n. */
    public static List<Node> hessianFactor(String method, Node loss) {
        requireRank2(method, loss);
        Node z = prediction(loss);
        int outputs = z.shape().dim(1);
        Graph g = loss.graph();
        List<Node> columns = new ArrayList<>();
        if (loss.op() instanceof SoftmaxCrossEntropy) {
            columns.addAll(crossEntropyFactor(z, Ops.softmax(z, 1)));
        } else {
            double s = Math.sqrt(2.0 / outputs);
            for (int c = 0; c < outputs; c++) {
                columns.add(Ops.broadcastTo(Ops.scale(unit(g, outputs, c), s), z.shape()));
            }
        }
        return columns;
    }

    /**
     * The columns s_c = sqrt(p_c) (e_c - p), each [N, classes], of softmax cross-entropy's Hessian in the logits
     * z, diag(p) - p p^T = sum_c s_c s_c^T, given p = softmax(z) along axis 1.
     */
    static List<Node> crossEntropyFactor(Node z, Node p) {
        int classes = z.shape().dim(1);
        List<Node> columns = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            columns.add(Ops.mul(Ops.sqrt(Ops.slice(p, 1, c, c + 1)), Ops.sub(unit(z.graph(), classes, c), p)));
        }
        return columns;
    }

    /** Each sample's Hessian H_n in its prediction as [N, outputs, outputs]. */
    public static Node hessian(String method, Node loss) {
        requireRank2(method, loss);
        Node z = prediction(loss);
        int n = z.shape().dim(0), k = z.shape().dim(1);
        Node eye = identity(loss.graph(), k);
        if (loss.op() instanceof SoftmaxCrossEntropy) {
            Node p = Ops.softmax(z, 1);
            Node column = Ops.reshape(p, n, k, 1), row = Ops.reshape(p, n, 1, k);
            return Ops.sub(Ops.mul(column, eye), Ops.mul(column, row));
        }
        return Ops.broadcastTo(Ops.scale(eye, 2.0 / k), n, k, k);
    }

    /** e_c as a [k] constant. */
    static Node unit(Graph g, int k, int c) {
        float[] e = new float[k];
        e[c] = 1;
        return g.constant("e" + c + "of" + k + "." + g.size(), Shape.of(k), e);
    }

    /** The k x k identity as a constant. */
    static Node identity(Graph g, int k) {
        float[] eye = new float[k * k];
        for (int i = 0; i < k; i++) eye[i * k + i] = 1;
        return g.constant("eye" + k + "." + g.size(), Shape.of(k, k), eye);
    }
}
