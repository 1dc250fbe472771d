package org.panagrad.analysis;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PowerIterationTest {

    /** Outliers first, then a bulk spread evenly over [lo, hi]. */
    static double[] spectrum(int n, double lo, double hi, double... outliers) {
        double[] s = new double[n];
        System.arraycopy(outliers, 0, s, 0, outliers.length);
        int bulk = n - outliers.length;
        for (int i = 0; i < bulk; i++) s[outliers.length + i] = lo + (hi - lo) * i / Math.max(1, bulk - 1);
        return s;
    }

    @Test
    void findsTheLargestMagnitudesFirstIncludingANegativeOne() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(1, spectrum(60, -2, 2, 10, -7, 5));
        PowerIteration.Eigenpairs result = PowerIteration.topEigenpairs(a, new PowerIteration.Settings(3, 500, 1e-7, 42));
        TopEigenvalues top = result.eigenvalues();
        double[] expected = {10, -7, 5};
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], top.eigenvalues()[i], 1e-4, "eigenvalue " + i);
            assertTrue(top.converged()[i], "eigenvalue " + i + " converged");
            assertTrue(top.iterations()[i] < 500, "iterations " + top.iterations()[i]);
            assertTrue(top.residualNorms()[i] < 1e-2, "residual " + top.residualNorms()[i]);
            assertTrue(a.alignment(result.eigenvectors()[i], expected[i]) > 0.9999, "eigenvector " + i);
            assertEquals(1, Vectors.norm(result.eigenvectors()[i]), 1e-6);
            for (int j = 0; j < i; j++) {
                assertEquals(0, Vectors.dot(result.eigenvectors()[i], result.eigenvectors()[j]), 1e-4, "orthogonal " + i + "," + j);
            }
        }
        int total = 0;
        for (int t : top.iterations()) total += t;
        assertEquals(total, top.products());
        assertEquals(total, a.products);
    }

    @Test
    void theSameSeedGivesTheSameResultBitForBit() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(2, spectrum(40, -1, 1, 4, 3));
        PowerIteration.Settings s = new PowerIteration.Settings(2, 200, 1e-5, 7);
        PowerIteration.Eigenpairs first = PowerIteration.topEigenpairs(a, s), second = PowerIteration.topEigenpairs(a, s);
        assertArrayEquals(first.eigenvalues().eigenvalues(), second.eigenvalues().eigenvalues());
        assertArrayEquals(first.eigenvalues().iterations(), second.eigenvalues().iterations());
        assertArrayEquals(first.eigenvectors()[1], second.eigenvectors()[1]);
    }

    @Test
    void theCapIsReportedAsNotConverged() {
        // A ratio of 0.99 between the two largest needs hundreds of iterations; three are not enough.
        ExplicitOperator a = ExplicitOperator.withSpectrum(3, spectrum(30, -0.5, 0.5, 1.0, 0.99));
        TopEigenvalues top = PowerIteration.topEigenpairs(a, new PowerIteration.Settings(1, 3, 1e-9, 1)).eigenvalues();
        assertFalse(top.converged()[0]);
        assertEquals(3, top.iterations()[0]);
    }

    @Test
    void oppositeEigenvaluesOfEqualMagnitudeShowInTheResidual() {
        // With +5 and -5 on top, the Rayleigh quotient is constant while the vector never settles:
        // the convergence flag cannot tell, the residual norm does.
        ExplicitOperator a = ExplicitOperator.withSpectrum(4, spectrum(20, -1, 1, 5, -5));
        TopEigenvalues top = PowerIteration.topEigenpairs(a, new PowerIteration.Settings(1, 100, 1e-6, 3)).eigenvalues();
        assertTrue(top.residualNorms()[0] > 0.5, "residual " + top.residualNorms()[0]);
        assertTrue(Math.abs(top.eigenvalues()[0]) < 5 - 1e-2, "a mixture, not an eigenvalue: " + top.eigenvalues()[0]);
    }

    @Test
    void aZeroOperatorConvergesToZero() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(5, new double[8]);
        TopEigenvalues top = PowerIteration.topEigenpairs(a, new PowerIteration.Settings(2, 50, 1e-3, 1)).eigenvalues();
        assertArrayEquals(new double[] {0, 0}, top.eigenvalues());
        assertArrayEquals(new boolean[] {true, true}, top.converged());
    }

    @Test
    void moreEigenpairsThanTheDimensionIsAnError() {
        ExplicitOperator a = ExplicitOperator.withSpectrum(6, 1, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PowerIteration.topEigenpairs(a, new PowerIteration.Settings(4, 10, 1e-3, 1)));
        assertTrue(e.getMessage().contains("4 eigenpairs") && e.getMessage().contains("dimension 3"), e.getMessage());
    }
}
