package org.panagrad.spark;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * What partitions send back and treeAggregate combines: the sum of the per-example losses, the number of
 * examples, and a sum of per-example vectors (gradients or curvature products). Vectors travel as floats, as the
 * engine computes them; merging sums in double, so that the result does not depend on the order in which Spark
 * hands partials to the driver (they come as tasks finish: a float sum would differ in its last bits from run
 * to run, and Newton-CG or L-BFGS would amplify that). The empty partial (no vector yet) is the aggregation's
 * zero, so tasks do not ship a zero vector.
 */
public final class Partial implements Serializable {
    private static final long serialVersionUID = 1L;

    double lossSum;
    long count;
    float[] vector;
    /** The running sum while merging; rounded into {@link #vector} before the partial travels or is read. */
    private transient double[] sum;

    static Partial zero() {
        return new Partial();
    }

    /** this += other; returns this. Either side may be empty. */
    Partial merge(Partial other) {
        lossSum += other.lossSum;
        count += other.count;
        if (other.vector == null && other.sum == null) return this;
        if (vector == null && sum == null) {
            other.round();
            vector = other.vector;
            return this;
        }
        if (sum == null) {
            sum = new double[vector.length];
            for (int i = 0; i < sum.length; i++) sum[i] = vector[i];
        }
        if (other.sum != null) {
            for (int i = 0; i < sum.length; i++) sum[i] += other.sum[i];
        } else {
            float[] o = other.vector;
            for (int i = 0; i < sum.length; i++) sum[i] += o[i];
        }
        return this;
    }

    /** Rounds a running sum into the float vector. */
    private void round() {
        if (sum == null) return;
        if (vector == null || vector.length != sum.length) vector = new float[sum.length];
        for (int i = 0; i < sum.length; i++) vector[i] = (float) sum[i];
        sum = null;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        round();
        out.defaultWriteObject();
    }

    public double lossSum() {
        return lossSum;
    }

    public long count() {
        return count;
    }

    /** The summed vector, or null when no example contributed one. */
    public float[] vector() {
        round();
        return vector;
    }
}
