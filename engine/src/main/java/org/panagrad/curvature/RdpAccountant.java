package org.panagrad.curvature;

/**
 * Rényi differential privacy of DP-SGD: the sampled Gaussian mechanism (each example in a step's batch with
 * probability q, Gaussian noise of standard deviation sigma times the clipping norm), composed over steps, and
 * converted to (epsilon, delta), as TensorFlow Privacy's and Opacus' RDP accountants compute it.
 *
 * <p>For order alpha, the mechanism's RDP is log(A_alpha) / (alpha - 1) with A_alpha = E_{z ~ mu0}[(mu(z) /
 * mu0(z))^alpha], mu0 = N(0, sigma^2), mu = (1 - q) mu0 + q N(1, sigma^2) (Mironov, Talwar and Zhang 2019,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism"). For integer alpha that is the finite binomial
 * sum sum_k C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2)); for fractional alpha the paper's
 * two infinite series split at z0 = sigma^2 log(1/q - 1) + 1/2, summed in log space until their terms fall below
 * e^-30. RDP adds over steps; epsilon is the minimum over the orders of the conversion chosen.
 */
public final class RdpAccountant {
    /** How RDP at order alpha becomes epsilon for a delta. */
    public enum Conversion {
        /** eps = rdp + log(1/delta) / (alpha - 1) (Mironov 2017, Proposition 3): TF Privacy until 2020. */
        CLASSIC,
        /**
         * eps = rdp + log((alpha - 1) / alpha) - (log(delta) + log(alpha)) / (alpha - 1) (Balle et al. 2020,
         * Theorem 21): tighter, as Opacus and TF Privacy compute it today.
         */
        IMPROVED
    }

    /** The orders Opacus and TF Privacy use by default: 1.1, 1.2, ..., 10.9 and 11, 12, ..., 63. */
    public static final double[] DEFAULT_ORDERS = defaultOrders();

    private final double q, sigma;
    private final double[] orders, rdpPerStep, total;
    private long steps;

    /**
     * An accountant for steps that sample each example with probability {@code samplingRate} (batch size over
     * dataset size) and add noise of {@code noiseMultiplier} times the clipping norm.
     */
    public RdpAccountant(double samplingRate, double noiseMultiplier, double[] orders) {
        if (!(samplingRate > 0 && samplingRate <= 1)) {
            throw new IllegalArgumentException("the sampling rate must be in (0, 1], got " + samplingRate);
        }
        if (!(noiseMultiplier > 0)) throw new IllegalArgumentException("the noise multiplier must be positive, got " + noiseMultiplier);
        for (double a : orders) {
            if (!(a > 1)) throw new IllegalArgumentException("RDP orders must be above 1, got " + a);
        }
        this.q = samplingRate;
        this.sigma = noiseMultiplier;
        this.orders = orders.clone();
        this.rdpPerStep = new double[orders.length];
        for (int i = 0; i < orders.length; i++) rdpPerStep[i] = rdp(q, sigma, orders[i]);
        this.total = new double[orders.length];
    }

    public RdpAccountant(double samplingRate, double noiseMultiplier) {
        this(samplingRate, noiseMultiplier, DEFAULT_ORDERS);
    }

    /** Records {@code count} more steps. */
    public void step(long count) {
        if (count < 0) throw new IllegalArgumentException("steps must not be negative, got " + count);
        steps += count;
        for (int i = 0; i < orders.length; i++) total[i] = rdpPerStep[i] * steps;
    }

    public long steps() {
        return steps;
    }

    /** Epsilon for {@code delta} after the steps recorded so far. */
    public double epsilon(double delta, Conversion conversion) {
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < orders.length; i++) {
            double a = orders[i], eps = switch (conversion) {
                case CLASSIC -> total[i] - Math.log(delta) / (a - 1);
                case IMPROVED -> total[i] + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
            };
            best = Math.min(best, eps);
        }
        return Math.max(0, best);
    }

    /** The RDP of one step of the sampled Gaussian mechanism at order alpha. */
    static double rdp(double q, double sigma, double alpha) {
        if (q == 1) return alpha / (2 * sigma * sigma);
        double logA = alpha == Math.rint(alpha) ? logAInteger(q, sigma, (int) alpha) : logAFractional(q, sigma, alpha);
        return logA / (alpha - 1);
    }

    private static double logAInteger(double q, double sigma, int alpha) {
        double logA = Double.NEGATIVE_INFINITY;
        for (int k = 0; k <= alpha; k++) {
            double term = logBinomial(alpha, k) + k * Math.log(q) + (alpha - k) * Math.log1p(-q)
                    + (k * (double) k - k) / (2 * sigma * sigma);
            logA = logAdd(logA, term);
        }
        return logA;
    }

    /** The two series of Mironov, Talwar and Zhang (2019), Section 3.3, in log space with signed terms. */
    private static double logAFractional(double q, double sigma, double alpha) {
        double pos0 = Double.NEGATIVE_INFINITY, neg0 = Double.NEGATIVE_INFINITY;
        double pos1 = Double.NEGATIVE_INFINITY, neg1 = Double.NEGATIVE_INFINITY;
        double z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5, s2 = 2 * sigma * sigma, root2sigma = Math.sqrt(2) * sigma;
        for (int k = 0; ; k++) {
            double j = alpha - k;
            double logCoefficient = logAbsGeneralizedBinomial(alpha, k);
            boolean negative = generalizedBinomialNegative(alpha, k);
            double t0 = logCoefficient + k * Math.log(q) + j * Math.log1p(-q) + (k * (double) k - k) / s2
                    + Math.log(0.5) + logErfc((k - z0) / root2sigma);
            double t1 = logCoefficient + j * Math.log(q) + k * Math.log1p(-q) + (j * j - j) / s2
                    + Math.log(0.5) + logErfc((z0 - j) / root2sigma);
            if (negative) {
                neg0 = logAdd(neg0, t0);
                neg1 = logAdd(neg1, t1);
            } else {
                pos0 = logAdd(pos0, t0);
                pos1 = logAdd(pos1, t1);
            }
            if (Math.max(t0, t1) < -30 && k > alpha) break;
            if (k > 100_000) throw new ArithmeticException("RDP series at order " + alpha + " did not converge");
        }
        return logAdd(logSub(pos0, neg0), logSub(pos1, neg1));
    }

    /** log |C(alpha, k)| for real alpha and integer k >= 0. */
    private static double logAbsGeneralizedBinomial(double alpha, int k) {
        double s = 0;
        for (int i = 0; i < k; i++) s += Math.log(Math.abs(alpha - i)) - Math.log(i + 1);
        return s;
    }

    /** Whether C(alpha, k) = prod_{i<k} (alpha - i) / (i + 1) is negative: an odd count of negative factors. */
    private static boolean generalizedBinomialNegative(double alpha, int k) {
        int negatives = 0;
        for (int i = 0; i < k; i++) if (alpha - i < 0) negatives++;
        return (negatives & 1) == 1;
    }

    private static double logBinomial(int n, int k) {
        double s = 0;
        for (int i = 0; i < k; i++) s += Math.log(n - i) - Math.log(i + 1);
        return s;
    }

    static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) return b;
        if (b == Double.NEGATIVE_INFINITY) return a;
        double hi = Math.max(a, b), lo = Math.min(a, b);
        return hi + Math.log1p(Math.exp(lo - hi));
    }

    /** log(e^a - e^b) for a >= b. */
    static double logSub(double a, double b) {
        if (b == Double.NEGATIVE_INFINITY) return a;
        if (b > a) throw new ArithmeticException("RDP series: a negative partial sum (" + a + " < " + b + ")");
        return a + Math.log(-Math.expm1(b - a));
    }

    /** log(erfc(x)): a power series of erf for |x| < 2.5, Lentz's continued fraction beyond (no underflow). */
    static double logErfc(double x) {
        if (x < -2.5) return Math.log(2 - Math.exp(logErfcLarge(-x)));
        if (x < 2.5) return Math.log(1 - erfSeries(x));
        return logErfcLarge(x);
    }

    private static double erfSeries(double x) {
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 200; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /**
     * log erfc(x) for x >= 2.5 from erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))),
     * evaluated by the modified Lentz method.
     */
    private static double logErfcLarge(double x) {
        double tiny = 1e-300, f = x, c = x, d = 0;
        for (int n = 1; n < 500; n++) {
            double a = n / 2.0;
            d = x + a * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return -x * x - 0.5 * Math.log(Math.PI) - Math.log(f);
    }

    private static double[] defaultOrders() {
        double[] o = new double[99 + 52];
        for (int x = 1; x < 100; x++) o[x - 1] = 1 + x / 10.0;
        for (int a = 12; a < 64; a++) o[99 + a - 12] = a;
        return o;
    }
}
