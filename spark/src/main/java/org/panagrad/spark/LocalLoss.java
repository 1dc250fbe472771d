package org.panagrad.spark;

import org.panagrad.analysis.CurvatureProduct;

/**
 * The single-process {@link DatasetLoss}: the whole data set as one shard, evaluated in this JVM by one
 * {@link ShardEvaluator} in chunks; the reference the distributed results are tested and measured against.
 */
public final class LocalLoss implements DatasetLoss {
    private final ShardEvaluator evaluator;
    private final Shard data;

    public LocalLoss(ModelSpec spec, Shard data, int chunk) {
        this.evaluator = new ShardEvaluator(spec, chunk);
        this.data = data;
    }

    @Override
    public ModelSpec spec() {
        return evaluator.spec();
    }

    @Override
    public int dimension() {
        return evaluator.dimension();
    }

    @Override
    public float[] initialParameters(long seed) {
        return evaluator.initialParameters(seed);
    }

    @Override
    public float[] initialBuffers(long seed) {
        return evaluator.initialBuffers(seed);
    }

    @Override
    public void setBuffers(float[] buffers) {
        evaluator.writeBuffers(buffers);
    }

    @Override
    public double loss(float[] theta, Selection selection) {
        evaluator.setParameters(theta);
        Partial p = Partial.zero();
        evaluator.loss(data, selection, p);
        return mean(p, selection);
    }

    @Override
    public double lossAndGradient(float[] theta, Selection selection, float[] gradient) {
        evaluator.setParameters(theta);
        Partial p = Partial.zero();
        evaluator.lossAndGradient(data, selection, p);
        double loss = mean(p, selection);
        divide(p, gradient);
        return loss;
    }

    @Override
    public Curvature curvature(float[] theta, Selection selection, CurvatureProduct.Kind kind) {
        float[] point = theta.clone();
        return new Curvature() {
            @Override
            public int dimension() {
                return evaluator.dimension();
            }

            @Override
            public void apply(float[] v, float[] out) {
                evaluator.setParameters(point);
                Partial p = Partial.zero();
                evaluator.curvature(data, selection, kind, v, p);
                mean(p, selection);
                divide(p, out);
            }

            @Override
            public void close() {
            }
        };
    }

    static double mean(Partial p, Selection selection) {
        if (p.count == 0) throw DatasetLoss.emptySelection(selection);
        return p.lossSum / p.count;
    }

    /** out = p's vector / p's count. */
    static void divide(Partial p, float[] out) {
        float[] v = p.vector();
        if (out.length != v.length) {
            throw new IllegalArgumentException("expected a vector of " + v.length + " entries, got " + out.length);
        }
        float scale = 1f / p.count;
        for (int i = 0; i < out.length; i++) out[i] = v[i] * scale;
    }
}
