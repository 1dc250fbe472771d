package org.panagrad.spark;

/**
 * A failure on an executor while it evaluated a partition: the message names the partition, its example range
 * and the executor's own message. The driver rethrows it as a {@link DistributedException} with that message,
 * so the user reads what went wrong where, not Spark's "Job aborted due to stage failure".
 */
public final class ShardException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ShardException(String message, Throwable cause) {
        super(message, cause);
    }
}
