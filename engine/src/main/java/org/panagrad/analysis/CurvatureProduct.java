package org.panagrad.analysis;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A compiled curvature-vector product over all parameters as one flat vector (parameters in the given order,
 * each row-major): Hessian-vector by either mode, or Gauss-Newton-vector. The same run also yields the loss
 * and the gradient. Feed the data through {@link #program()}; {@link #apply} allocates nothing.
 */
public final class CurvatureProduct implements LinearOperator {
    /** Which curvature the product applies: the Hessian by either autodiff mode, or the Gauss-Newton matrix. */
    public enum Kind {
        HESSIAN_REVERSE_OVER_REVERSE, HESSIAN_FORWARD_OVER_REVERSE, GAUSS_NEWTON
    }

    private final Program program;
    private final Node loss;
    private final Node[] v, product, grads;
    private final int dimension;
    private final LinearOperator atPoint = new LinearOperator() {
        @Override
        public void apply(float[] vector, float[] out) {
            setVector(vector);
            checkLength(out);
            program.runVarying();
            readProduct(out);
        }

        @Override
        public int dimension() {
            return dimension;
        }
    };

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

    /** A product whose runs also yield the loss and the gradient (see {@link #gradient}). */
    public static CurvatureProduct compile(ParameterStore store, Node loss, List<Node> params, Kind kind) {
        return compile(store, loss, params, kind, true);
    }

    /**
     * A product; with {@code withGradient} false its runs compute only what the product needs (the loss and
     * the gradient are then not readable), which is what benchmarks and eigen-solvers want.
     */
    public static CurvatureProduct compile(ParameterStore store, Node loss, List<Node> params, Kind kind,
                                           boolean withGradient) {
        Node[] ps = params.toArray(new Node[0]);
        Node[] v = vectorInputs(loss, ps, 0);
        Node[] product = products(kind, loss, ps, v);
        Node[] grads = Autodiff.grad(loss, ps);
        List<Node> outputs = new ArrayList<>(List.of(product));
        if (withGradient) {
            outputs.add(loss);
            outputs.addAll(List.of(grads));
        }
        Program program = Compiler.compile(store, outputs, Compiler.Options.ALL, Set.of(v));
        return new CurvatureProduct(program, loss, v, product, withGradient ? grads : null);
    }

    /**
     * Inputs shaped like the parameters, with a leading axis of length {@code block} when it is positive: the
     * vectors a product multiplies. The graph's size makes the names unique, so one loss can have several products.
     */
    static Node[] vectorInputs(Node loss, Node[] params, int block) {
        Node[] v = new Node[params.length];
        for (int i = 0; i < params.length; i++) {
            String name = "v" + loss.graph().size() + "." + params[i].name();
            v[i] = loss.graph().input(name, block > 0 ? params[i].shape().withLeading(block).dims() : params[i].shape().dims());
        }
        return v;
    }

    /** The nodes of C v for each parameter, for the curvature of the given kind. */
    static Node[] products(Kind kind, Node loss, Node[] params, Node[] v) {
        return switch (kind) {
            case HESSIAN_REVERSE_OVER_REVERSE -> Autodiff.hvpReverseOverReverse(loss, params, v);
            case HESSIAN_FORWARD_OVER_REVERSE -> Autodiff.hvpForwardOverReverse(loss, params, v);
            case GAUSS_NEWTON -> Autodiff.ggnVectorProduct(loss, params, v);
        };
    }

    /** out = C v, for the curvature C at the current parameters and the data fed to the program. */
    @Override
    public void apply(float[] vector, float[] out) {
        setVector(vector);
        checkLength(out);
        program.run();
        readProduct(out);
    }

    /**
     * The product at the current parameters and data, for many vectors: runs what does not depend on v (the
     * forward pass, the loss, the gradient, everything the product reuses) once now, and returns an operator
     * whose {@code apply} reruns only the instructions that depend on v, as {@code jax.linearize} does. For
     * a 784-500-10 MLP that is two of the three large GEMMs of a Hessian-vector product. Its products are
     * bit-identical to {@link #apply}'s. It stays tied to this point: after the parameters or the fed data
     * change, call this again (power iteration, Lanczos and CG keep one point for all their products).
     * The operator is the same object at every call, so a loop that calls this allocates nothing.
     */
    public LinearOperator atCurrentPoint() {
        program.runInvariant();
        return atPoint;
    }

    private void setVector(float[] vector) {
        checkLength(vector);
        int off = 0;
        for (Node vi : v) {
            program.set(vi, vector, off);
            off += vi.shape().numel();
        }
    }

    private void readProduct(float[] out) {
        int off = 0;
        for (Node p : product) {
            program.readInto(p, out, off);
            off += p.shape().numel();
        }
    }

    /** The loss of the last {@link #apply}, when compiled with the gradient. */
    public float loss() {
        requireGradient();
        return program.scalar(loss);
    }

    /** The gradient of the last {@link #apply}, flat, when compiled with the gradient. */
    public void gradient(float[] out) {
        requireGradient();
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

    private void requireGradient() {
        if (grads == null) {
            throw new IllegalStateException("this curvature product was compiled without the loss and gradient");
        }
    }

    private void checkLength(float[] a) {
        if (a.length != dimension) {
            throw new IllegalArgumentException("a vector over these parameters has " + dimension + " entries, got " + a.length);
        }
    }
}
