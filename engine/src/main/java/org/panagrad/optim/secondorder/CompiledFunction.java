package org.panagrad.optim.secondorder;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.FlatParameters;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A {@link SmoothFunction} over the engine's compiled programs: the point is the parameters in the store, the
 * data the batch last fed to {@link #programs()}. Compiles the loss-and-gradient program, and for Newton-CG the
 * loss-only program and the curvature-product program on the objective's curvature loss.
 */
final class CompiledFunction implements SmoothFunction {
    private final FlatParameters flat;
    private final GradientProgram gradient;
    private final LossProgram lossOnly;
    private final CurvatureProduct curvature;
    private final List<Program> programs;

    /** @param curvatureKind the curvature Newton-CG probes, or null for a first-order optimizer */
    CompiledFunction(ParameterStore store, Objective objective, CurvatureProduct.Kind curvatureKind) {
        this.flat = new FlatParameters(store, objective.params());
        this.gradient = new GradientProgram(store, objective.loss(), objective.params());
        List<Program> ps = new ArrayList<>(List.of(gradient.program()));
        if (curvatureKind != null) {
            this.lossOnly = new LossProgram(store, objective.loss());
            this.curvature = CurvatureProduct.compile(store, objective.curvatureLoss(), objective.params(), curvatureKind);
            ps.add(lossOnly.program());
            ps.add(curvature.program());
        } else {
            this.lossOnly = null;
            this.curvature = null;
        }
        this.programs = Collections.unmodifiableList(ps);
    }

    /** The programs to feed the step's data. */
    List<Program> programs() {
        return programs;
    }

    @Override
    public int dimension() {
        return flat.dimension();
    }

    @Override
    public void read(float[] theta) {
        flat.read(theta);
    }

    @Override
    public void write(float[] theta) {
        flat.write(theta);
    }

    @Override
    public void addScaled(float alpha, float[] d) {
        flat.addScaled(alpha, d);
    }

    @Override
    public double valueAndGradient(float[] g) {
        return gradient.run(g);
    }

    @Override
    public double value() {
        return lossOnly != null ? lossOnly.run() : gradient.runLossOnly();
    }

    @Override
    public LinearOperator curvature() {
        if (curvature == null) throw new IllegalStateException("this function was compiled without curvature products");
        // Every product at this point shares the forward pass and the rest that does not depend on the vector.
        return curvature.atCurrentPoint();
    }
}
