package org.panagrad.analysis;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The result records are plain data: Gson writes them as they are and reads them back. */
class ResultsAsJsonTest {
    private final Gson gson = new Gson();
    private final ExplicitOperator a = ExplicitOperator.withSpectrum(31, PowerIterationTest.spectrum(20, -1, 1, 4, -3));

    @Test
    void topEigenvaluesRoundTripWithoutTheEigenvectors() {
        TopEigenvalues top = PowerIteration.topEigenpairs(a, new PowerIteration.Settings(2, 300, 1e-6, 1)).eigenvalues();
        String json = gson.toJson(top);
        JsonObject tree = gson.fromJson(json, JsonObject.class);
        assertEquals(2, tree.getAsJsonObject("settings").get("count").getAsInt());
        assertFalse(json.contains("eigenvectors"));
        TopEigenvalues back = gson.fromJson(json, TopEigenvalues.class);
        assertArrayEquals(top.eigenvalues(), back.eigenvalues());
        assertArrayEquals(top.iterations(), back.iterations());
        assertArrayEquals(top.converged(), back.converged());
        assertArrayEquals(top.residualNorms(), back.residualNorms());
        assertEquals(top.settings(), back.settings());
    }

    @Test
    void traceRoundTrips() {
        TraceEstimate t = HutchinsonTrace.estimate(a, HutchinsonTrace.Settings.pyHessian(3));
        TraceEstimate back = gson.fromJson(gson.toJson(t), TraceEstimate.class);
        assertEquals(t.mean(), back.mean());
        assertEquals(t.standardError(), back.standardError());
        assertEquals(t.samples(), back.samples());
        assertEquals(t.settings(), back.settings());
        assertArrayEquals(t.sampleValues(), back.sampleValues());
    }

    @Test
    void quadratureAndDensityRoundTrip() {
        SpectralQuadrature q = StochasticLanczosQuadrature.run(a, new StochasticLanczosQuadrature.Settings(2, 8, 4));
        SpectralQuadrature qBack = gson.fromJson(gson.toJson(q), SpectralQuadrature.class);
        assertArrayEquals(q.nodes()[1], qBack.nodes()[1]);
        assertArrayEquals(q.weights()[0], qBack.weights()[0]);
        assertArrayEquals(q.steps(), qBack.steps());
        assertEquals(q.settings(), qBack.settings());
        SpectralDensity d = SpectralDensity.of(q, 50);
        SpectralDensity dBack = gson.fromJson(gson.toJson(d), SpectralDensity.class);
        assertArrayEquals(d.grid(), dBack.grid());
        assertArrayEquals(d.density(), dBack.density());
        assertEquals(d.sigma(), dBack.sigma());
    }
}
