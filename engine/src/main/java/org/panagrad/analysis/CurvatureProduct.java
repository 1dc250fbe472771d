package org.panagrad.analysis;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;

/**
 * A compiled curvature-vector product over all parameters as one flat vector (parameters in the given order,
 * each row-major): Hessian-vector by either mode, or Gauss-Newton-vector. The same run also yields the loss
 * and the gradient. Feed the data through {@link #program()}; {@link #apply} allocates nothing.
 */
public final class CurvatureProduct implements LinearOperator {
    public enum Kind {
        HESSIAN_REVERSE_OVER_REVERSE, HESSIAN_FORWARD_OVER_REVERSE, GAUSS_NEWTON
    }

    private final Program program;
    private final Node loss;
    private final Node[] v, product, grads;
    private final int dimension;

    private CurvatureProduct(Program program, Node loss, Node[] v, Node[] product, Node[] grads) {
        this.program = program;
        this.loss = loss;
        this.v = v;
        this.product = product;
        this.grads = grads;
        int n = 0;
        for (Node p : v) n += p.shape().numel();
        this.dimension = n;
    }

    public static CurvatureProduct compile(ParameterStore store, Node loss, List<Node> params, Kind kind) {
        Node[] ps = params.toArray(new Node[0]);
        Node[] v = new Node[ps.length];
        for (int i = 0; i < ps.length; i++) {
            v[i] = loss.graph().input("v." + kind.name().toLowerCase() + "." + loss.id() + "." + ps[i].name(), ps[i].shape().dims());
        }
        Node[] product;
        switch (kind) {
            case HESSIAN_REVERSE_OVER_REVERSE: product = Autodiff.hvpReverseOverReverse(loss, ps, v); break;
            case HESSIAN_FORWARD_OVER_REVERSE: product = Autodiff.hvpForwardOverReverse(loss, ps, v); break;
            default: product = Autodiff.ggnVectorProduct(loss, ps, v);
        }
        Node[] grads = Autodiff.grad(loss, ps);
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(product));
        outputs.addAll(List.of(grads));
        return new CurvatureProduct(Compiler.compile(store, outputs), loss, v, product, grads);
    }

    /** out = C v, for the curvature C at the current parameters and the data fed to the program. */
    @Override
    public void apply(float[] vector, float[] out) {
        checkLength(vector);
        checkLength(out);
        int off = 0;
        for (Node vi : v) {
            program.set(vi, vector, off);
            off += vi.shape().numel();
        }
        program.run();
        off = 0;
        for (Node p : product) {
            program.readInto(p, out, off);
            off += p.shape().numel();
        }
    }

    /** The loss of the last {@link #apply}. */
    public float loss() {
        return program.scalar(loss);
    }

    /** The gradient of the last {@link #apply}, flat. */
    public void gradient(float[] out) {
        checkLength(out);
        int off = 0;
        for (Node g : grads) {
            program.readInto(g, out, off);
            off += g.shape().numel();
        }
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /** The program, to feed its data inputs. */
    public Program program() {
        return program;
    }

    private void checkLength(float[] a) {
        if (a.length != dimension) {
            throw new IllegalArgumentException("a vector over these parameters has " + dimension + " entries, got " + a.length);
        }
    }
}
