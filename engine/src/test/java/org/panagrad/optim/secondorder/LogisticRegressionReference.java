package org.panagrad.optim.secondorder;

import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.SimpleValueChecker;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunctionGradient;
import org.apache.commons.math3.optim.nonlinear.scalar.gradient.NonLinearConjugateGradientOptimizer;

/**
 * L2-regularized multinomial logistic regression written out in double precision, independently of the engine,
 * and minimised by Commons Math's nonlinear conjugate gradient: the optimum the engine's optimizers must find.
 * Parameters are laid out as the engine's: W [features x classes] row-major, then b [classes].
 */
final class LogisticRegressionReference {
    private final float[] x;
    private final int[] y;
    private final int n, features, classes;
    private final double l2;

    LogisticRegressionReference(float[] x, int[] y, int features, int classes, double l2) {
        this.x = x;
        this.y = y;
        this.n = y.length;
        this.features = features;
        this.classes = classes;
        this.l2 = l2;
    }

    int dimension() {
        return classes * features + classes;
    }

    double value(double[] theta) {
        double loss = 0;
        double[] z = new double[classes];
        for (int i = 0; i < n; i++) {
            double lse = logits(theta, i, z);
            loss += lse - z[y[i]];
        }
        return loss / n + 0.5 * l2 * dot(theta, theta);
    }

    double[] gradient(double[] theta) {
        double[] g = new double[dimension()];
        double[] z = new double[classes];
        int bOff = classes * features;
        for (int i = 0; i < n; i++) {
            double lse = logits(theta, i, z);
            for (int c = 0; c < classes; c++) {
                double r = (Math.exp(z[c] - lse) - (c == y[i] ? 1 : 0)) / n;
                for (int j = 0; j < features; j++) g[j * classes + c] += r * x[i * features + j];
                g[bOff + c] += r;
            }
        }
        for (int k = 0; k < g.length; k++) g[k] += l2 * theta[k];
        return g;
    }

    /** Fills z with the logits of example i and returns their log-sum-exp. */
    private double logits(double[] theta, int i, double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            double s = theta[classes * features + c];
            for (int j = 0; j < features; j++) s += theta[j * classes + c] * x[i * features + j];
            z[c] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) sum += Math.exp(z[c] - max);
        return max + Math.log(sum);
    }

    /**
     * The optimum, by Polak-Ribiere nonlinear conjugate gradient with a tight line search, restarted from its
     * last point until the gradient is below {@code gradientTolerance}; if 5 restarts do not get there (its line
     * search stalls near 1e-7), finished by plain gradient descent.
     */
    PointValuePair solve(double gradientTolerance) {
        double[] start = new double[dimension()];
        PointValuePair best = null;
        for (int restart = 0; restart < 5; restart++) {
            NonLinearConjugateGradientOptimizer opt = new NonLinearConjugateGradientOptimizer(
                    NonLinearConjugateGradientOptimizer.Formula.POLAK_RIBIERE, new SimpleValueChecker(1e-15, 1e-15),
                    1e-12, 1e-14, 1e-3);
            best = opt.optimize(new MaxEval(200_000), new ObjectiveFunction(this::value),
                    new ObjectiveFunctionGradient(this::gradient), GoalType.MINIMIZE, new InitialGuess(start));
            start = best.getPoint();
            double[] g = gradient(start);
            if (Math.sqrt(dot(g, g)) < gradientTolerance) return best;
        }
        return polish(start, gradientTolerance);
    }

    /**
     * Plain gradient descent with the safe step 1/L, where L bounds the Hessian's largest eigenvalue (softmax
     * cross-entropy has logit curvature at most 1/2, and the data's Gram matrix at most its trace): strongly
     * convex, so it converges linearly, to far below float precision.
     */
    private PointValuePair polish(double[] theta, double gradientTolerance) {
        double trace = 0;
        for (float v : x) trace += (double) v * v;
        double lipschitz = 0.5 * (trace + n) / n + l2;
        theta = theta.clone();
        for (int it = 0; it < 1_000_000; it++) {
            double[] g = gradient(theta);
            if (Math.sqrt(dot(g, g)) < gradientTolerance) break;
            for (int k = 0; k < theta.length; k++) theta[k] -= g[k] / lipschitz;
        }
        return new PointValuePair(theta, value(theta));
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
