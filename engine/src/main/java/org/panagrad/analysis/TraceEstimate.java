package org.panagrad.analysis;

/**
 * Hutchinson's estimate of the trace: the mean of z.Az over Rademacher vectors z.
 *
 * @param mean          the estimate of tr(A)
 * @param standardError sample standard deviation of the z.Az over sqrt(samples): the uncertainty of the mean
 * @param samples       how many vectors were drawn (operator products spent)
 * @param converged     whether the stopping rule fired before maxSamples
 * @param sampleValues  every z.Az in the order drawn, for a user's own statistics
 */
public record TraceEstimate(HutchinsonTrace.Settings settings, double mean, double standardError, int samples,
                            boolean converged, double[] sampleValues) {
}
