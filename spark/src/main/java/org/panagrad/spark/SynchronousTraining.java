package org.panagrad.spark;

/**
 * Synchronous data-parallel training: at every step each partition computes the gradient over its slice of the
 * global batch ({@link StratifiedBatches}), treeAggregate sums them, and the driver applies the update
 * ({@link FlatUpdate}) to the mean, then broadcasts the new parameters with the next step. This is single-process
 * training at the global batch size, step for step; run on a {@link LocalLoss}, the same loop is the reference.
 * It steps on the evaluation-mode loss of {@link DatasetLoss}, so it takes models without running statistics
 * (without batch norm), for which that is the training loss; {@link BarrierTraining} trains any model.
 */
public final class SynchronousTraining {
    private final DatasetLoss loss;
    private final StratifiedBatches batches;
    private final FlatUpdate update;
    private final float[] theta, g;
    private long epoch;
    private int stepInEpoch;
    private long steps;

    public SynchronousTraining(DatasetLoss loss, StratifiedBatches batches, FlatUpdate update, float[] theta) {
        if (loss.initialBuffers(0).length > 0) {
            throw new IllegalArgumentException(loss.spec() + " has running statistics (batch norm), which a step on the "
                    + "evaluation-mode loss would not train: use BarrierTraining");
        }
        this.loss = loss;
        this.batches = batches;
        this.update = update;
        this.theta = theta.clone();
        this.g = new float[theta.length];
    }

    /** One step on the next global batch; returns its mean loss before the update. */
    public double step() {
        Selection batch = batches.batch(epoch, stepInEpoch);
        double f = loss.lossAndGradient(theta, batch, g);
        update.apply(theta, g);
        steps++;
        if (++stepInEpoch == batches.stepsPerEpoch()) {
            stepInEpoch = 0;
            epoch++;
        }
        return f;
    }

    public float[] parameters() {
        return theta;
    }

    public long steps() {
        return steps;
    }

    public long epoch() {
        return epoch;
    }
}
