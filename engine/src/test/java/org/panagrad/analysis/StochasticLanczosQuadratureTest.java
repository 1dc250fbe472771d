package org.panagrad.analysis;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StochasticLanczosQuadratureTest {

    @Test
    void asManyStepsAsTheDimensionRecoverEveryEigenvalue() {
        double[] lambda = PowerIterationTest.spectrum(24, -3, 4, 9, -6);
        ExplicitOperator a = ExplicitOperator.withSpectrum(21, lambda);
        SpectralQuadrature q = StochasticLanczosQuadrature.run(a, new StochasticLanczosQuadrature.Settings(1, 40, 3));
        assertEquals(24, q.steps()[0], "capped at the dimension");
        assertEquals(24, q.products());
        assertEquals(24, a.products);
        assertArrayEquals(a.eigenvalues, q.nodes()[0], 1e-4);
        double sum = 0;
        for (double w : q.weights()[0]) {
            assertTrue(w > 0);
            sum += w;
        }
        assertEquals(1, sum, 1e-12);
    }

    @Test
    void anInvariantKrylovSpaceStopsEarlyWithTheExactRule() {
        // Three distinct eigenvalues: the Krylov space of any start vector is invariant after three steps.
        double[] lambda = new double[30];
        for (int i = 0; i < 30; i++) lambda[i] = i % 3 == 0 ? -2 : i % 3 == 1 ? 1 : 5;
        ExplicitOperator a = ExplicitOperator.withSpectrum(22, lambda);
        SpectralQuadrature q = StochasticLanczosQuadrature.run(a, new StochasticLanczosQuadrature.Settings(2, 20, 4));
        for (int r = 0; r < 2; r++) {
            assertEquals(3, q.steps()[r]);
            assertArrayEquals(new double[] {-2, 1, 5}, q.nodes()[r], 1e-5);
        }
        assertEquals(6, q.products());
    }

    @Test
    void theMomentsAndTheDensityMatchTheSpectrum() {
        int n = 300;
        double[] lambda = PowerIterationTest.spectrum(n, -1, 3, 20, 12);
        ExplicitOperator a = ExplicitOperator.withSpectrum(23, lambda);
        int runs = 8;
        SpectralQuadrature q = StochasticLanczosQuadrature.run(a, new StochasticLanczosQuadrature.Settings(runs, 40, 5));

        // Each run's rule integrates polynomials up to degree 79 exactly for its start vector v = z / sqrt(n),
        // so moment(p) averages z.A^p z / n over Rademacher z: Hutchinson's estimate of tr(A^p) / n.
        assertEquals(1, q.moment(0), 1e-12);
        double meanError = Math.sqrt(a.hutchinsonVariance() / runs) / n;
        assertEquals(a.trace() / n, q.moment(1), 4 * meanError);
        // Exactly, against the same start vectors (the runs draw them in turn from SplittableRandom(seed)):
        SplittableRandom rnd = new SplittableRandom(5);
        float[] z = new float[n];
        double first = 0, second = 0;
        for (int r = 0; r < runs; r++) {
            Vectors.fillRademacher(rnd, z);
            double[] az = a.times(z);
            for (int i = 0; i < n; i++) {
                first += az[i] * z[i] / n / runs;
                second += az[i] * az[i] / n / runs;
            }
        }
        assertEquals(first, q.moment(1), 1e-5 * Math.abs(first));
        assertEquals(second, q.moment(2), 1e-5 * second);

        // The extreme Ritz values converge first: the outliers exactly, the bulk edge nearly.
        assertEquals(20, q.maxNode(), 1e-4);
        assertEquals(-1, q.minNode(), 0.05);
        assertTrue(q.minNode() >= -1 - 1e-4);

        SpectralDensity d = SpectralDensity.of(q, 2000);
        double sigma = 0.01 * (q.maxNode() - q.minNode());
        assertEquals(sigma, d.sigma(), 1e-12);
        assertEquals(q.minNode() - 4 * sigma, d.grid()[0], 1e-12);
        assertEquals(q.maxNode() + 4 * sigma, d.grid()[1999], 1e-9);
        assertEquals(1, d.moment(0), 1e-12);
        for (double x : d.density()) assertTrue(x >= 0);
        // A symmetric kernel keeps the mean and adds sigma^2 to the second moment.
        assertEquals(q.moment(1), d.moment(1), 1e-3 * Math.abs(q.moment(1)));
        assertEquals(q.moment(2) + sigma * sigma, d.moment(2), 1e-3 * q.moment(2));
        // The bulk of uniform mass on [-1, 3] carries 298/300 of the weight: its density is about 1/4 in the middle.
        int middle = nearest(d.grid(), 1.0);
        assertEquals(0.25, d.density()[middle], 0.1);
    }

    @Test
    void theSameSeedGivesTheSameRules() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(24, PowerIterationTest.spectrum(50, 0, 1, 3));
        StochasticLanczosQuadrature.Settings s = new StochasticLanczosQuadrature.Settings(2, 10, 9);
        SpectralQuadrature first = StochasticLanczosQuadrature.run(a, s), second = StochasticLanczosQuadrature.run(a, s);
        assertArrayEquals(first.nodes()[1], second.nodes()[1]);
        assertArrayEquals(first.weights()[1], second.weights()[1]);
    }

    @Test
    void oneStepIsTheRayleighQuotientOfTheStartVector() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(25, PowerIterationTest.spectrum(16, -1, 1, 2));
        SpectralQuadrature q = StochasticLanczosQuadrature.run(a, new StochasticLanczosQuadrature.Settings(1, 1, 2));
        assertEquals(1, q.nodes()[0].length);
        assertEquals(1, q.weights()[0][0]);
        SpectralDensity d = SpectralDensity.of(q, 101);
        assertEquals(1, d.moment(0), 1e-12);
        assertEquals(q.nodes()[0][0], d.moment(1), 1e-9);
    }

    private static int nearest(double[] grid, double x) {
        int best = 0;
        for (int i = 1; i < grid.length; i++) if (Math.abs(grid[i] - x) < Math.abs(grid[best] - x)) best = i;
        return best;
    }
}
