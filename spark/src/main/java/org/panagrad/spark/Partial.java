package org.panagrad.spark;

import java.io.Serializable;

/**
 * What partitions send back and treeAggregate combines: the sum of the per-example losses, the number of
 * examples, and a sum of per-example vectors (gradients or curvature products), in float as the engine computes
 * them. The empty partial (no vector yet) is the aggregation's zero, so tasks do not ship a zero vector.
 */
public final class Partial implements Serializable {
    double lossSum;
    long count;
    float[] vector;

    static Partial zero() {
        return new Partial();
    }

    /** this += other; returns this. Either side may be empty. */
    Partial merge(Partial other) {
        lossSum += other.lossSum;
        count += other.count;
        if (other.vector != null) {
            if (vector == null) {
                vector = other.vector;
            } else {
                float[] v = vector, o = other.vector;
                for (int i = 0; i < v.length; i++) v[i] += o[i];
            }
        }
        return this;
    }

    public double lossSum() {
        return lossSum;
    }

    public long count() {
        return count;
    }

    /** The summed vector, or null when no example contributed one. */
    public float[] vector() {
        return vector;
    }
}
