package org.panagrad.curvature;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.graph.Node;
import org.panagrad.nn.LayerCall;
import org.panagrad.graph.Op;
import org.panagrad.ops.Relu;
import org.panagrad.ops.Sigmoid;
import org.panagrad.ops.Softplus;
import org.panagrad.ops.Tanh;
import org.panagrad.ops.Ops;
import org.panagrad.ops.StopGradient;

import java.util.ArrayList;
import java.util.List;

/**
 * The exact diagonal of the Hessian of an MLP's loss, as graph nodes. A weight W[i, j] of a Linear layer z = a W + b
 * enters only z_j, linearly, so d^2 L / dW[i, j]^2 = sum_n a_{n,i}^2 (H_n)_{jj}, with H_n sample n's Hessian
 * in z. That Hessian is backpropagated densely, [N, out, out] per layer: through a Linear H_a = W H_z W^T, and
 * through an elementwise activation a = phi(z), H_z = phi' H_a phi'^T + diag(phi'' * dL/da), the last term being
 * what the Gauss-Newton matrix leaves out. phi' and phi'' * dL/da come from the activation's own derivative
 * rules (a JVP of ones, and a JVP of its VJP), so every elementwise activation works.
 */
final class MlpHessianDiagonal {
    private static final String METHOD = "exact Hessian diagonal";

    private MlpHessianDiagonal() {}

    /** Per call, the weight and bias diagonals; the calls must form a chain from the input to the loss. */
    static List<Node[]> build(Node loss, List<LayerCall> calls) {
        List<LayerCall> chain = chain(loss, calls);
        int samples = Losses.samples(METHOD, loss);
        List<Node[]> result = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) result.add(null);
        // The mean loss: each sample's Hessian counts 1/N.
        Node h = Ops.scale(Losses.hessian(METHOD, loss), 1.0 / samples);
        Node diag = Ops.sum(Ops.mul(h, Losses.identity(loss.graph(), h.shape().dim(2))), 2, false);
        for (int l = chain.size() - 1; l >= 0; l--) {
            LayerCall c = chain.get(l);
            Node a = c.input();
            result.set(calls.indexOf(c), new Node[] {Ops.matmul(Ops.mul(a, a), diag, true, false), Ops.sum(diag, 0, false)});
            if (l == 0) break;
            Node w = LinearLayers.weight(c);
            // diag(W H W^T)_i = sum_j (W H)_ij W_ij: N products of [in, out] x [out, out], not [in, in] ones.
            Node diagA = Ops.sum(Ops.mul(Ops.matmul(w, h), w), 2, false);
            // The full H_a only where a layer further down needs it.
            boolean fullBelow = l - 1 > 0;
            Node ha = fullBelow ? Ops.matmul(w, Ops.matmul(h, w, false, true)) : null;
            Node below = chain.get(l - 1).output();
            if (a == below) {
                h = ha;
                diag = diagA;
                continue;
            }
            Node ones = loss.graph().fill(1, below.shape());
            Node slope = Autodiff.jvp(new Node[] {a}, new Node[] {below}, new Node[] {ones})[0];
            Node gradA = StopGradient.of(Autodiff.grad(loss, a)[0]);
            Node firstOrder = Autodiff.vjp(a, gradA, below)[0];
            Node curvature = Autodiff.jvp(new Node[] {firstOrder}, new Node[] {below}, new Node[] {ones})[0];
            diag = Ops.add(Ops.mul(diagA, Ops.mul(slope, slope)), curvature);
            if (fullBelow) {
                int width = below.shape().dim(1), n = below.shape().dim(0);
                Node outer = Ops.mul(Ops.reshape(slope, n, width, 1), Ops.reshape(slope, n, 1, width));
                Node residual = Ops.mul(Ops.reshape(curvature, n, width, 1), Losses.identity(loss.graph(), width));
                h = Ops.add(Ops.mul(ha, outer), residual);
            }
        }
        return result;
    }

    /** The calls in order from the input, checked to be Linear layers on [N, features] joined by elementwise activations. */
    private static List<LayerCall> chain(Node loss, List<LayerCall> calls) {
        Losses.requireRank2(METHOD, loss);
        List<LayerCall> chain = new ArrayList<>(calls);
        chain.sort((x, y) -> Integer.compare(x.output().id(), y.output().id()));
        for (int l = 0; l < chain.size(); l++) {
            LayerCall c = chain.get(l);
            if (c.input().shape().rank() != 2) {
                throw new IllegalArgumentException(METHOD + " supports MLPs on [samples, features]: layer '" + c.name()
                        + "' reads " + c.input().describe());
            }
            Node expectedAbove = l + 1 < chain.size() ? chain.get(l + 1).input() : Losses.prediction(loss);
            boolean direct = expectedAbove == c.output();
            boolean activation = expectedAbove.arity() == 1 && expectedAbove.input(0) == c.output()
                    && elementwise(expectedAbove.op()) && l + 1 < chain.size();
            if (!direct && !activation) {
                throw new IllegalArgumentException(METHOD + " supports MLPs (Linear layers joined by elementwise activations): "
                        + "the output of layer '" + c.name() + "' reaches " + expectedAbove.describe() + " another way");
            }
        }
        return chain;
    }

    /** The activations known to act on each element alone; others would make the dense recursion wrong. */
    private static boolean elementwise(Op op) {
        return op instanceof Relu || op instanceof Tanh || op instanceof Sigmoid || op instanceof Softplus;
    }
}
