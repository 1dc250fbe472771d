package org.panagrad.analysis;

import org.panagrad.autodiff.Batching;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A compiled curvature product with a block of k vectors at once, C V for V of shape [P, k]: the single product
 * of {@link CurvatureProduct} batched over a leading block axis ({@link Batching}), so that its products become
 * GEMMs with k times as many rows or entries and the instruction overhead is paid once per block. Column j of
 * the result equals the single product with vector j up to float rounding (the sums run in another order).
 * Its runs also yield the loss. Feed the data through {@link #program()}; {@link #apply} and the operator of {@link #atCurrentPoint} allocate
 * nothing.
 */
public final class BlockCurvatureProduct implements BlockLinearOperator {
    private final Program program;
    private final Node loss;
    private final Node[] v, product;
    private final int k, dimension;
    private final int[] sizes;
    // The block of each parameter, [k] + its shape, as the program reads it and writes its product.
    private final float[][] in, out;
    private final BlockLinearOperator atPoint = new BlockLinearOperator() {
        @Override
        public int dimension() {
            return dimension;
        }

        @Override
        public int blockSize() {
            return k;
        }

        @Override
        public void apply(float[][] vectors, float[][] products) {
            gather(vectors, products);
            program.runVarying();
            scatter(products);
        }
    };

    private BlockCurvatureProduct(Program program, Node loss, Node[] v, Node[] product, int k) {
        this.program = program;
        this.loss = loss;
        this.v = v;
        this.product = product;
        this.k = k;
        this.sizes = new int[v.length];
        this.in = new float[v.length][];
        this.out = new float[v.length][];
        int n = 0;
        for (int i = 0; i < v.length; i++) {
            sizes[i] = v[i].shape().numel() / k;
            n += sizes[i];
            in[i] = new float[k * sizes[i]];
            out[i] = new float[k * sizes[i]];
            program.bind(v[i], in[i]);
        }
        this.dimension = n;
    }

    /** The product of the given kind for blocks of {@code blockSize} vectors over the parameters, flat in their order. */
    public static BlockCurvatureProduct compile(ParameterStore store, Node loss, List<Node> params,
                                                CurvatureProduct.Kind kind, int blockSize) {
        if (blockSize < 1) throw new IllegalArgumentException("a block holds at least one vector, got " + blockSize);
        Node[] ps = params.toArray(new Node[0]);
        Node[] single = CurvatureProduct.vectorInputs(loss, ps, 0);
        Node[] block = CurvatureProduct.vectorInputs(loss, ps, blockSize);
        Node[] product = Batching.stacked(CurvatureProduct.products(kind, loss, ps, single), single, block);
        List<Node> outputs = new ArrayList<>(List.of(product));
        outputs.add(loss);
        Program program = Compiler.compile(store, outputs, Compiler.Options.ALL, Set.of(block));
        return new BlockCurvatureProduct(program, loss, block, product, blockSize);
    }

    /** out[j] = C vectors[j], at the current parameters and the data fed to the program. */
    @Override
    public void apply(float[][] vectors, float[][] products) {
        gather(vectors, products);
        program.run();
        scatter(products);
    }

    /**
     * The products at the current parameters and data, for many blocks: runs what does not depend on the
     * vectors once now and returns an operator whose {@code apply} reruns only the rest, as
     * {@link CurvatureProduct#atCurrentPoint} does. The same object at every call.
     */
    public BlockLinearOperator atCurrentPoint() {
        program.runInvariant();
        return atPoint;
    }

    private void gather(float[][] vectors, float[][] products) {
        checkBlock(vectors, products, k, dimension);
        for (int j = 0; j < k; j++) {
            int off = 0;
            for (int i = 0; i < v.length; i++) {
                System.arraycopy(vectors[j], off, in[i], j * sizes[i], sizes[i]);
                off += sizes[i];
            }
        }
    }

    private void scatter(float[][] products) {
        for (int i = 0; i < v.length; i++) program.readInto(product[i], out[i], 0);
        for (int j = 0; j < k; j++) {
            int off = 0;
            for (int i = 0; i < v.length; i++) {
                System.arraycopy(out[i], j * sizes[i], products[j], off, sizes[i]);
                off += sizes[i];
            }
        }
    }

    static void checkBlock(float[][] vectors, float[][] products, int k, int dimension) {
        if (vectors.length != k || products.length != k) {
            throw new IllegalArgumentException("a block of this operator holds " + k + " vectors, got "
                    + vectors.length + " vectors and " + products.length + " outputs");
        }
        for (int j = 0; j < k; j++) {
            if (vectors[j].length != dimension || products[j].length != dimension) {
                throw new IllegalArgumentException("a vector over these parameters has " + dimension + " entries; vector "
                        + j + " has " + vectors[j].length + " and its output " + products[j].length);
            }
        }
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int blockSize() {
        return k;
    }

    /** The loss at the point of the last {@link #apply} or {@link #atCurrentPoint}. */
    public float loss() {
        return program.scalar(loss);
    }

    /** The program, to feed its data inputs. */
    public Program program() {
        return program;
    }
}
