package org.panagrad.analysis;

import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;

import java.util.List;

/** Parameters seen as one flat vector, in list order: what second-order methods and line searches work on. */
public final class FlatParameters {
    private final List<Node> params;
    private final int dimension;
    /** The store's arrays, which never move: looping over them allocates no iterator. */
    private final float[][] values;

    public FlatParameters(ParameterStore store, List<Node> params) {
        this.params = List.copyOf(params);
        int n = 0;
        for (Node p : params) n += p.shape().numel();
        this.dimension = n;
        this.values = new float[params.size()][];
        for (int i = 0; i < values.length; i++) values[i] = store.get(params.get(i));
    }

    public int dimension() {
        return dimension;
    }

    public void read(float[] out) {
        int off = 0;
        for (float[] v : values) {
            System.arraycopy(v, 0, out, off, v.length);
            off += v.length;
        }
    }

    public void write(float[] in) {
        int off = 0;
        for (float[] v : values) {
            System.arraycopy(in, off, v, 0, v.length);
            off += v.length;
        }
    }

    /** params += alpha * direction, in place. */
    public void addScaled(float alpha, float[] direction) {
        int off = 0;
        for (float[] v : values) {
            for (int i = 0; i < v.length; i++) v[i] += alpha * direction[off + i];
            off += v.length;
        }
    }

    public List<Node> parameters() {
        return params;
    }
}
