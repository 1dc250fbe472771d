package example;

import org.panagrad.analysis.CurvatureProduct;
import org.panagrad.analysis.HutchinsonTrace;
import org.panagrad.analysis.LinearOperator;
import org.panagrad.analysis.PowerIteration;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.io.Mnist;
import org.panagrad.io.MnistFiles;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.TrainingStep;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;
import java.nio.file.Path;
import java.util.List;

/** Trains an MLP on MNIST (pixels in [0, 1], labels 0-9) for an epoch, then its test loss and Hessian's top eigenvalue and trace. */
public final class TrainAndAnalyse {
    public static void main(String[] args) throws Exception {
        Mnist mnist = Mnist.load(MnistFiles.locate(args.length > 0 && !args[0].isEmpty() ? Path.of(args[0]) : null)); // else $MNIST_DIR
        int batch = 128, n = 1000;
        Graph g = new Graph();
        Mlp mlp = Mlp.create(g, Activation.RELU, 784, 128, 10);
        ParameterStore params = new ParameterStore();
        mlp.initialize(params, Init.TORCH_DEFAULT, 1);
        // Forward, backward and the Adam update as one compiled program, which reads each batch in place.
        Node x = g.input("x", batch, 784), y = g.labels("y", batch, 10);
        TrainingStep step = TrainingStep.compile(params, SoftmaxCrossEntropy.of(mlp.forward(x), y), mlp.parameters(),
                Adam.adam(LearningRateSchedule.constant(1e-3)), false);
        for (int start = 0; start + batch <= mnist.train().count(); start += batch) {
            step.program().bind(x, mnist.train().images(), start * 784);
            step.program().setLabels(y, mnist.train().labels(), start);
            step.run();
        }
        // The mean loss over the first n test images: another program over the same parameters.
        Node tx = g.input("test.x", n, 784), ty = g.labels("test.y", n, 10);
        Node loss = SoftmaxCrossEntropy.of(mlp.forward(tx), ty);
        Program eval = Compiler.compile(params, List.of(loss));
        eval.bind(tx, mnist.test().images(), 0);
        eval.setLabels(ty, mnist.test().labels(), 0);
        eval.run();
        System.out.printf("test loss on %d images after one epoch: %.4f%n", n, eval.scalar(loss));
        // Its Hessian as a linear operator: Hessian-vector products at this point, the forward pass run once.
        CurvatureProduct hvp = CurvatureProduct.compile(params, loss, mlp.parameters(), CurvatureProduct.Kind.HESSIAN_FORWARD_OVER_REVERSE);
        hvp.program().bind(tx, mnist.test().images(), 0);
        hvp.program().setLabels(ty, mnist.test().labels(), 0);
        LinearOperator hessian = hvp.atCurrentPoint();
        double top = PowerIteration.topEigenpairs(hessian, PowerIteration.Settings.pyHessian(7)).eigenvalues().eigenvalues()[0];
        double trace = HutchinsonTrace.estimate(hessian, HutchinsonTrace.Settings.pyHessian(7)).mean();
        System.out.printf("Hessian of the test loss: top eigenvalue %.4f, trace %.2f%n", top, trace);
    }
}
