package org.panagrad.curvature;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RDP accountant against the figures TensorFlow Privacy published for its MNIST tutorial
 * (tensorflow/privacy, tutorials/README.md, "Select Parameters" table and "Expected Output", 2019-2020 versions:
 * N = 60,000, batches of 256, delta = 1e-5, computed by compute_dp_sgd_privacy.py with the classic conversion):
 * noise 1.1 for 60 epochs gives eps = 3.01 (1.03 after epoch 1, 1.11 after epoch 2); noise 1.3 for 15 epochs
 * 1.19; noise 0.7 for 45 epochs 7.10.
 * Steps are ceil(epochs * N / batch), as that script counts them.
 */
class RdpAccountantTest {
    private static final double Q = 256.0 / 60000, DELTA = 1e-5;

    private static double epsilon(double sigma, int epochs, RdpAccountant.Conversion conversion) {
        RdpAccountant a = new RdpAccountant(Q, sigma);
        a.step((long) Math.ceil(epochs * 60000.0 / 256));
        return a.epsilon(DELTA, conversion);
    }

    @Test
    void matchesTensorFlowPrivacysPublishedMnistFigures() {
        assertEquals(3.01, epsilon(1.1, 60, RdpAccountant.Conversion.CLASSIC), 0.005);
        assertEquals(1.19, epsilon(1.3, 15, RdpAccountant.Conversion.CLASSIC), 0.005);
        assertEquals(7.10, epsilon(0.7, 45, RdpAccountant.Conversion.CLASSIC), 0.005);
        assertEquals(1.03, epsilon(1.1, 1, RdpAccountant.Conversion.CLASSIC), 0.005);
        assertEquals(1.11, epsilon(1.1, 2, RdpAccountant.Conversion.CLASSIC), 0.005);
    }

    @Test
    void theImprovedConversionIsTighter() {
        double classic = epsilon(1.1, 60, RdpAccountant.Conversion.CLASSIC);
        double improved = epsilon(1.1, 60, RdpAccountant.Conversion.IMPROVED);
        assertTrue(improved < classic && improved > 0.8 * classic, improved + " vs " + classic);
    }

    @Test
    void integerAndFractionalOrdersAgreeWhereTheyMeet() {
        // The fractional series at an order just off an integer approaches the integer order's finite sum.
        for (int alpha : new int[] {2, 5, 11, 32}) {
            double exact = RdpAccountant.rdp(Q, 1.1, alpha), near = RdpAccountant.rdp(Q, 1.1, alpha + 1e-7);
            assertEquals(exact, near, 1e-5 * exact, "order " + alpha);
        }
        // Without subsampling the mechanism is the Gaussian mechanism: alpha / (2 sigma^2).
        assertEquals(3 / (2 * 0.8 * 0.8), RdpAccountant.rdp(1, 0.8, 3), 1e-12);
    }

    /**
     * The series against the definition integrated numerically: A_alpha = integral of mu0(z)^(1 - alpha) mu(z)^alpha dz,
     * mu0 = N(0, sigma^2), mu = (1 - q) mu0 + q N(1, sigma^2), by the trapezoidal rule on [-40, 40] with step
     * 1e-3 (spectrally accurate for a smooth integrand that vanishes at both ends).
     */
    @Test
    void theSeriesEqualTheDefiningIntegral() {
        for (double sigma : new double[] {0.7, 1.1, 2.0}) {
            for (double alpha : new double[] {1.5, 2, 3.7, 8, 12.5, 32}) {
                double q = 0.01;
                double a = 0, h = 1e-3;
                for (int i = -40_000; i <= 40_000; i++) {
                    double z = i * h;
                    double log0 = -z * z / (2 * sigma * sigma), log1 = -(z - 1) * (z - 1) / (2 * sigma * sigma);
                    double logMu = RdpAccountant.logAdd(Math.log1p(-q) + log0, Math.log(q) + log1);
                    a += h * Math.exp((1 - alpha) * log0 + alpha * logMu) / (Math.sqrt(2 * Math.PI) * sigma);
                }
                assertEquals(Math.log(a) / (alpha - 1), RdpAccountant.rdp(q, sigma, alpha), 1e-9 + 1e-6 * Math.log(a) / (alpha - 1),
                        "sigma " + sigma + ", order " + alpha);
            }
        }
    }

    @Test
    void epsilonGrowsWithStepsAndChecksItsArguments() {
        RdpAccountant a = new RdpAccountant(Q, 1.1);
        a.step(235);
        double one = a.epsilon(DELTA, RdpAccountant.Conversion.IMPROVED);
        a.step(235);
        assertTrue(a.epsilon(DELTA, RdpAccountant.Conversion.IMPROVED) > one);
        assertEquals(470, a.steps());
        assertThrows(IllegalArgumentException.class, () -> a.epsilon(0, RdpAccountant.Conversion.CLASSIC));
        assertThrows(IllegalArgumentException.class, () -> new RdpAccountant(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new RdpAccountant(0.1, -1));
    }

    @Test
    void logErfcAcrossItsRange() {
        // Values of erfc from its definition's high-precision tables (Abramowitz and Stegun 7.1).
        assertEquals(Math.log(1.0), RdpAccountant.logErfc(0), 1e-15);
        assertEquals(Math.log(0.157299207050285), RdpAccountant.logErfc(1), 1e-12);
        assertEquals(Math.log(4.677734981047266e-3), RdpAccountant.logErfc(2), 1e-11);
        assertEquals(Math.log(2.209049699858544e-5), RdpAccountant.logErfc(3), 1e-10);
        assertEquals(Math.log(2 - 0.157299207050285), RdpAccountant.logErfc(-1), 1e-12);
        assertEquals(Math.log(1.5374597944280349e-12), RdpAccountant.logErfc(5), 1e-9);
    }
}
