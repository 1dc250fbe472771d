package org.panagrad.demo;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.io.Dataset;

/** The tests' reference curvature: a reverse-over-reverse HVP program over the first n images of a data set in one batch. */
final class ReferenceHessian {
    private ReferenceHessian() {}

    static CurvatureProduct over(Model model, Dataset data, int n, String name) {
        Model.Batch b = model.batch(name, n);
        CurvatureProduct hvp = CurvatureProduct.compile(model.store, b.loss(), model.parameters(),
                CurvatureProduct.Kind.HESSIAN_REVERSE_OVER_REVERSE);
        hvp.program().set(b.images(), data.images(), 0);
        hvp.program().setLabels(b.labels(), data.labels(), 0);
        return hvp;
    }
}
