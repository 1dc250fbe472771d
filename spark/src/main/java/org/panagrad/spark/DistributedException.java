package org.panagrad.spark;

/** A distributed job failed; the message is the executor's (see {@link ShardException}) or, failing that, Spark's. */
public final class DistributedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DistributedException(String message, Throwable cause) {
        super(message, cause);
    }
}
