package org.panagrad.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.Dataset;
import org.panagrad.io.Mnist;
import org.panagrad.nn.Activation;
import org.panagrad.nn.Init;
import org.panagrad.nn.Mlp;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.optim.Adam;
import org.panagrad.optim.LearningRateSchedule;
import org.panagrad.optim.TrainingStep;
import org.panagrad.optim.secondorder.AdaHessian;
import org.panagrad.optim.secondorder.BatchFeeder;
import org.panagrad.optim.secondorder.ClosureOptimizer;
import org.panagrad.optim.secondorder.Lbfgs;
import org.panagrad.optim.secondorder.NewtonCg;
import org.panagrad.optim.secondorder.Objective;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains MNIST 784-500-10 (ReLU) with Adam, Newton-CG (Hessian-free, Gauss-Newton) and AdaHessian (optionally
 * L-BFGS) from the same initialisation and the same shuffles; logs training loss (mean minibatch loss of the
 * epoch), test loss and test accuracy per epoch against cumulative training wall-clock (evaluation excluded);
 * writes a CSV, a PNG plot and prints a markdown table.
 * <pre>
 * java --add-modules jdk.incubator.vector -Djava.awt.headless=true -cp bench/target/benchmarks.jar \
 *     org.panagrad.bench.SecondOrderComparison --data ../shared/data/mnist --epochs 3 --out bench/results
 * </pre>
 */
public final class SecondOrderComparison {
    private static final int[] WIDTHS = {784, 500, 10};
    private static final int EVAL_BATCH = 1000;

    /** One optimizer's settings, as printed in the table. */
    record Config(String name, int batch, String settings) {}

    record Row(String optimizer, int epoch, double seconds, double trainLoss, double testLoss, double testAccuracy) {}

    public static void main(String[] args) throws IOException {
        Map<String, String> opts = parse(args);
        Path data = opts.containsKey("data") ? Path.of(opts.get("data")) : null;
        int epochs = Integer.parseInt(opts.getOrDefault("epochs", "3"));
        int trainLimit = Integer.parseInt(opts.getOrDefault("train-limit", "60000"));
        long seed = Long.parseLong(opts.getOrDefault("seed", "42"));
        Path out = Path.of(opts.getOrDefault("out", "bench/results"));
        String[] which = opts.getOrDefault("optimizers", "adam,newton-cg,adahessian").split(",");
        int cgIterations = Integer.parseInt(opts.getOrDefault("cg-iterations", "20"));
        double adaLr = Double.parseDouble(opts.getOrDefault("adahessian-lr", "0.05"));
        int newtonBatch = Integer.parseInt(opts.getOrDefault("newton-batch", "1000"));

        Mnist mnist = Mnist.load(data);
        Dataset train = mnist.train();
        int n = Math.min(trainLimit, train.count());
        System.out.printf(Locale.ROOT, "MNIST %d training images (of %d), %d test images; %d epochs; seed %d%n",
                n, train.count(), mnist.test().count(), epochs, seed);

        List<Row> rows = new ArrayList<>();
        List<Config> configs = new ArrayList<>();
        for (String name : which) {
            Run run = new Run(name.trim(), seed, mnist, n, cgIterations, adaLr, newtonBatch);
            configs.add(run.config);
            rows.addAll(run.train(epochs));
        }
        Files.createDirectories(out);
        writeCsv(out.resolve("second_order_mnist.csv"), rows);
        plot(out.resolve("second_order_mnist.png"), rows, configs);
        System.out.println();
        System.out.println(table(rows, configs));
        System.out.println("wrote " + out.resolve("second_order_mnist.csv") + " and " + out.resolve("second_order_mnist.png"));
    }

    /** One optimizer's training run over its own graph and store, from the shared initialisation. */
    private static final class Run {
        final Config config;
        final Mnist mnist;
        final int n;
        final long seed;
        final ParameterStore store = new ParameterStore();
        final Node xEval, labelsEval, logitsEval, lossEval;
        final Program eval;
        final float[] batchX;
        final int[] batchY;
        final int batch;
        /** Exactly one of these is set. */
        TrainingStep firstOrder;
        ClosureOptimizer closure;
        BatchFeeder feeder;

        Run(String name, long seed, Mnist mnist, int n, int cgIterations, double adaLr, int newtonBatch) {
            this.mnist = mnist;
            this.n = n;
            this.seed = seed;
            Graph g = new Graph();
            Mlp mlp = Mlp.create(g, Activation.RELU, WIDTHS);
            List<Node> params = mlp.parameters();
            switch (name) {
                case "adam": batch = 128; break;
                case "newton-cg": batch = newtonBatch; break;
                case "adahessian": batch = 128; break;
                case "lbfgs": batch = 1000; break;
                default: throw new IllegalArgumentException("unknown optimizer '" + name
                        + "', expected adam, newton-cg, adahessian or lbfgs");
            }
            Node x = g.input("x", batch, WIDTHS[0]);
            Node labels = g.labels("labels", batch, WIDTHS[2]);
            Node loss = SoftmaxCrossEntropy.of(mlp.forward(x), labels);
            switch (name) {
                case "adam":
                    firstOrder = TrainingStep.compile(store, loss, params, Adam.adam(LearningRateSchedule.constant(1e-3)), false);
                    config = new Config(name, batch, "lr 1e-3, betas (0.9, 0.999)");
                    break;
                case "newton-cg": {
                    int sub = batch / 4;
                    Node xSub = g.input("x_sub", sub, WIDTHS[0]);
                    Node labelsSub = g.labels("labels_sub", sub, WIDTHS[2]);
                    Node subLoss = SoftmaxCrossEntropy.of(mlp.forward(xSub), labelsSub);
                    closure = NewtonCg.create(store, Objective.of(loss, params).withCurvatureLoss(subLoss),
                            NewtonCg.Options.defaults().withMaxCgIterations(cgIterations));
                    feeder = p -> {
                        p.set(x, batchX(), 0);
                        p.setLabels(labels, batchY(), 0);
                        p.set(xSub, batchX(), 0);
                        p.setLabels(labelsSub, batchY(), 0);
                    };
                    config = new Config(name, batch, "Gauss-Newton on a sub-batch of " + sub + ", lambda0 1, CG <= "
                            + cgIterations + " iterations");
                    break;
                }
                case "adahessian":
                    closure = AdaHessian.create(store, Objective.of(loss, params),
                            AdaHessian.Options.defaults().withLr(adaLr).withSeed(seed));
                    config = new Config(name, batch, "lr " + adaLr + ", betas (0.9, 0.999), eps 1e-4, k 1, block 1");
                    break;
                default:
                    closure = Lbfgs.create(store, Objective.of(loss, params), Lbfgs.Options.defaults());
                    config = new Config(name, batch, "history 10, Armijo backtracking");
            }
            if (feeder == null) {
                feeder = p -> {
                    p.set(x, batchX(), 0);
                    p.setLabels(labels, batchY(), 0);
                };
            }
            mlp.initialize(store, Init.TORCH_DEFAULT, seed);
            batchX = new float[batch * WIDTHS[0]];
            batchY = new int[batch];
            xEval = g.input("x_eval", EVAL_BATCH, WIDTHS[0]);
            labelsEval = g.labels("labels_eval", EVAL_BATCH, WIDTHS[2]);
            logitsEval = mlp.forward(xEval);
            lossEval = SoftmaxCrossEntropy.of(logitsEval, labelsEval);
            eval = Compiler.compile(store, List.of(logitsEval, lossEval));
        }

        float[] batchX() {
            return batchX;
        }

        int[] batchY() {
            return batchY;
        }

        List<Row> train(int epochs) {
            List<Row> rows = new ArrayList<>();
            double[] test = evaluate();
            rows.add(new Row(config.name(), 0, 0, Double.NaN, test[0], test[1]));
            report(rows.get(0));
            Dataset train = mnist.train();
            int pixels = train.pixelsPerImage();
            int[] order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            SplittableRandom shuffle = new SplittableRandom(seed);
            double seconds = 0;
            for (int epoch = 1; epoch <= epochs; epoch++) {
                for (int i = n - 1; i > 0; i--) {
                    int j = shuffle.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                double lossSum = 0;
                int steps = 0;
                long t0 = System.nanoTime();
                for (int start = 0; start + batch <= n; start += batch) {
                    for (int b = 0; b < batch; b++) {
                        int k = order[start + b];
                        System.arraycopy(train.images(), k * pixels, batchX, b * pixels, pixels);
                        batchY[b] = train.labels()[k];
                    }
                    float loss;
                    if (firstOrder != null) {
                        feeder.feed(firstOrder.program());
                        loss = firstOrder.run();
                    } else {
                        loss = closure.step(feeder);
                    }
                    lossSum += loss;
                    steps++;
                }
                seconds += (System.nanoTime() - t0) / 1e9;
                test = evaluate();
                Row row = new Row(config.name(), epoch, seconds, lossSum / steps, test[0], test[1]);
                rows.add(row);
                report(row);
            }
            return rows;
        }

        /** Test loss and accuracy over the whole test set. */
        double[] evaluate() {
            Dataset test = mnist.test();
            int pixels = test.pixelsPerImage();
            float[] logits = new float[EVAL_BATCH * WIDTHS[2]];
            double loss = 0;
            int correct = 0, batches = 0;
            for (int start = 0; start + EVAL_BATCH <= test.count(); start += EVAL_BATCH) {
                eval.set(xEval, test.images(), start * pixels);
                eval.setLabels(labelsEval, test.labels(), start);
                eval.run();
                loss += eval.scalar(lossEval);
                eval.read(logitsEval, logits);
                for (int b = 0; b < EVAL_BATCH; b++) {
                    int best = 0;
                    for (int c = 1; c < WIDTHS[2]; c++) {
                        if (logits[b * WIDTHS[2] + c] > logits[b * WIDTHS[2] + best]) best = c;
                    }
                    if (best == test.labels()[start + b]) correct++;
                }
                batches++;
            }
            return new double[] {loss / batches, (double) correct / (batches * EVAL_BATCH)};
        }
    }

    private static void report(Row r) {
        System.out.printf(Locale.ROOT, "%-10s epoch %d  %7.1f s  train loss %.4f  test loss %.4f  test accuracy %.2f%%%n",
                r.optimizer(), r.epoch(), r.seconds(), r.trainLoss(), r.testLoss(), 100 * r.testAccuracy());
    }

    private static void writeCsv(Path file, List<Row> rows) throws IOException {
        AtomicFiles.write(file, os -> {
            PrintWriter w = new PrintWriter(new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8));
            w.println("optimizer,epoch,train_seconds,train_loss,test_loss,test_accuracy");
            for (Row r : rows) {
                w.printf(Locale.ROOT, "%s,%d,%.3f,%s,%.6f,%.6f%n", r.optimizer(), r.epoch(), r.seconds(),
                        Double.isNaN(r.trainLoss()) ? "" : String.format(Locale.ROOT, "%.6f", r.trainLoss()),
                        r.testLoss(), r.testAccuracy());
            }
            w.flush();
        });
    }

    static String table(List<Row> rows, List<Config> configs) {
        StringBuilder sb = new StringBuilder();
        sb.append("| optimizer | batch | epoch | train time (s) | train loss | test loss | test accuracy |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            int batch = configs.stream().filter(c -> c.name().equals(r.optimizer())).findFirst().map(Config::batch).orElse(0);
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %.1f | %s | %.4f | %.2f%% |%n", r.optimizer(), batch,
                    r.epoch(), r.seconds(), Double.isNaN(r.trainLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", r.trainLoss()),
                    r.testLoss(), 100 * r.testAccuracy()));
        }
        sb.append("\nSettings: ");
        for (Config c : configs) sb.append(c.name()).append(" (batch ").append(c.batch()).append(", ").append(c.settings()).append("); ");
        return sb.toString();
    }

    /** Test loss and accuracy against epochs and against training time, one series per optimizer. */
    private static void plot(Path file, List<Row> rows, List<Config> configs) throws IOException {
        List<XYChart> charts = new ArrayList<>();
        String[][] panels = {{"test loss", "epoch"}, {"test loss", "train time (s)"},
                {"test accuracy (%)", "epoch"}, {"test accuracy (%)", "train time (s)"}};
        for (String[] panel : panels) {
            XYChart chart = new XYChartBuilder().width(560).height(400).title(panel[0] + " vs " + panel[1])
                    .xAxisTitle(panel[1]).yAxisTitle(panel[0]).build();
            for (Config c : configs) {
                List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
                for (Row r : rows) {
                    if (!r.optimizer().equals(c.name())) continue;
                    xs.add(panel[1].equals("epoch") ? (double) r.epoch() : r.seconds());
                    ys.add(panel[0].startsWith("test loss") ? r.testLoss() : 100 * r.testAccuracy());
                }
                chart.addSeries(c.name(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
            }
            charts.add(chart);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        BitmapEncoder.saveBitmap(charts, 2, 2, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(Path.of(tmp + ".png"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("arguments are --name value pairs (--data, --epochs, --train-limit, "
                        + "--seed, --out, --optimizers, --cg-iterations, --adahessian-lr, --newton-batch); got '" + args[i] + "'");
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }
}
