package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import org.panagrad.curvature.CurvatureDiagonal;
import org.panagrad.curvature.EigenvalueRefit;
import org.panagrad.curvature.KroneckerCurvature;
import org.panagrad.curvature.KroneckerFactors;
import org.panagrad.curvature.LayerBackprop;
import org.panagrad.curvature.GradientVariance;
import org.panagrad.curvature.PerSampleGradients;
import org.panagrad.graph.Node;
import org.panagrad.io.AtomicFiles;
import org.panagrad.io.Dataset;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.TensorData;
import org.panagrad.nn.Activation;
import org.panagrad.nn.LayerCall;
import org.panagrad.nn.StateEntry;
import org.panagrad.runtime.Program;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "curvature", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Per-sample gradients and curvature diagonals of a checkpoint, as BackPACK computes them.",
                "Over the mean loss of the first N training images: per parameter the trace and the largest entries of each diagonal,"
                + " and quantiles of the per-sample gradient norms; --out writes them all as safetensors under"
                + " '<what>/<parameter name>' in PyTorch's layout, and the norms as 'grad-norms'."})
final class CurvatureCommand implements Callable<Integer> {
    /** Every value --what takes, in the order they are computed. */
    static final List<String> WHAT = List.of("grad-norms", "per-sample-grads", "grad-variance", "diag-ggn", "diag-ggn-mc",
            "diag-hessian", "diag-fisher", "diag-hutchinson", "kfac", "ekfac");

    @CommandLine.Mixin
    AnalysisOptions common;

    @Option(names = "--activation", paramLabel = "NAME", description = "relu, tanh or sigmoid, for a checkpoint whose metadata does not say.")
    String activation;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1000",
            description = "Use the first N training images (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "128",
            description = "Images per compiled program; N is covered in batches and the results combined (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--what", paramLabel = "LIST", split = ",", defaultValue = "grad-norms,grad-variance,diag-ggn,diag-ggn-mc,diag-hessian",
            description = {"What to compute, comma-separated (default: ${DEFAULT-VALUE}):",
                    "grad-norms (per-sample gradient norms), per-sample-grads (written by --out only), grad-variance,"
                            + " diag-ggn (exact), diag-ggn-mc (Monte Carlo, --mc-samples), diag-hessian (exact, MLPs),"
                            + " diag-fisher (empirical Fisher), diag-hutchinson (Hessian, --mc-samples Rademacher"
                            + " vectors), kfac (Monte Carlo K-FAC factors; KFC for Conv2d), ekfac (the KFLR eigenbasis with"
                            + " eigenvalues refitted to the exact GGN): their eigenbases and eigenvalues are written by --out"
                            + " as '<what>/<layer>/eigenbasis-A', 'eigenbasis-G' (eigenvectors as columns) and 'eigenvalues'"
                            + " ([in + 1, out])."})
    List<String> what;

    @Option(names = "--mc-samples", paramLabel = "N", defaultValue = "1",
            description = "Monte Carlo samples per batch for diag-ggn-mc and diag-hutchinson (default: ${DEFAULT-VALUE}).")
    int mcSamples;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "Largest entries printed per parameter (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the Monte Carlo estimates (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Write every result as JSON.")
    Path json;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the diagonals, variances, norms and Kronecker eigenbases as safetensors.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One parameter's summary of a diagonal or a variance: its sum, and its largest entries at PyTorch indices. */
    record Summary(double trace, List<Entry> largest) {}

    record Entry(int[] index, double value) {}

    record Norms(int samples, double mean, Map<String, Double> quantiles) {}

    /** What --json writes. */
    record Report(String checkpoint, String model, int samples, int batch, double loss, Norms gradNorms,
                  Map<String, Map<String, Summary>> diagonals, Map<String, Map<String, KroneckerSummary>> kronecker,
                  Map<String, Double> seconds) {}

    /**
     * One layer's Kronecker-factored block: the sizes of A ((in + 1)^2 with a bias) and G (out^2), the trace
     * (the sum of its eigenvalues) and its largest eigenvalues.
     */
    record KroneckerSummary(int inputs, int outputs, double trace, List<Double> largest) {
        static KroneckerSummary of(KroneckerCurvature.Block b, int k) {
            double[] sorted = b.eigenvalues().clone();
            Arrays.sort(sorted);
            double trace = 0;
            for (double v : sorted) trace += v;
            List<Double> largest = new ArrayList<>();
            for (int i = 0; i < Math.min(k, sorted.length); i++) largest.add(sorted[sorted.length - 1 - i]);
            return new KroneckerSummary(b.inputs(), b.outputs(), trace, largest);
        }
    }

    /**
     * K-FAC (Monte Carlo labels, seeded per batch) or EKFAC (the KFLR eigenbasis with its eigenvalues refitted to
     * the exact per-example GGN) of the mean loss over the images, as one operator; Conv2d layers get KFC factors.
     */
    private KroneckerCurvature kronecker(String w, Batches batches) {
        boolean exact = w.equals("ekfac");
        LayerBackprop.Vectors vectors = exact ? LayerBackprop.Vectors.HESSIAN_FACTOR : LayerBackprop.Vectors.SAMPLED;
        KroneckerFactors factors = null;
        for (int start = 0; start < samples; start += batches.size) {
            Batches.Graph g = batches.at(start);
            LayerBackprop b = g.backprop(vectors, exact);
            g.feedImages(b.program(), start);
            b.run(new java.util.SplittableRandom(seed + start));
            if (factors == null) factors = new KroneckerFactors(b, exact ? "KFLR" : "KFAC");
            factors.add(b, g.size);
        }
        KroneckerCurvature k = factors.curvature();
        if (!exact) return k;
        EigenvalueRefit refit = new EigenvalueRefit(k, batches.at(0).backprop(vectors, true));
        for (int start = 0; start < samples; start += batches.size) {
            Batches.Graph g = batches.at(start);
            LayerBackprop b = g.backprop(vectors, true);
            g.feedImages(b.program(), start);
            b.run(new java.util.SplittableRandom(seed + start));
            refit.add(b, g.size);
        }
        return refit.result();
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    @Override
    public Integer call() throws IOException {
        Threads.configure(common.threads, spec.commandLine().getErr());
        Set<String> asked = new LinkedHashSet<>(what);
        for (String w : asked) {
            if (!WHAT.contains(w)) throw new IllegalArgumentException("--what: unknown '" + w + "'; expected some of " + WHAT);
        }
        if (batch < 1 || samples < 1 || mcSamples < 1 || top < 0) {
            throw new IllegalArgumentException("--samples, --batch and --mc-samples must be positive and --top not negative");
        }
        Checkpoint loaded = Checkpoint.load(common.checkpoint, activation != null ? Activation.parse(activation) : null);
        Model model = loaded.toModel();
        Dataset train = common.data.load().train();
        if (train.pixelsPerImage() != model.inputWidth()) {
            throw new IllegalArgumentException(common.checkpoint + " takes " + model.inputWidth() + " inputs, but the images have "
                    + train.pixelsPerImage() + " pixels");
        }
        if (samples > train.count()) {
            throw new IllegalArgumentException("--samples " + samples + " exceeds the " + train.count() + " training images");
        }
        PrintWriter print = spec.commandLine().getOut();
        String module = model.torchModule();
        print.printf(Locale.ROOT, "%s: %s, %,d parameters; mean loss over the first %d training images, batches of %d%n",
                common.checkpoint, module, model.parameterCount(), samples, Math.min(batch, samples));
        print.flush();

        List<Node> params = model.parameters();
        int dimension = (int) model.parameterCount();
        Map<String, Double> seconds = new LinkedHashMap<>();
        Map<String, float[]> vectors = new LinkedHashMap<>();
        Map<String, Map<String, Summary>> summaries = new LinkedHashMap<>();
        List<TensorData> tensors = new ArrayList<>();
        float[] norms = null;
        double loss = 0;

        Batches batches = new Batches(model, train, samples, Math.min(batch, samples));
        List<StateEntry> entries = model.module.state();
        if (asked.contains("grad-norms") || asked.contains("per-sample-grads")) {
            long t0 = System.nanoTime();
            boolean materialize = asked.contains("per-sample-grads") && out != null;
            norms = new float[samples];
            float[][] perSample = materialize ? new float[params.size()][] : null;
            if (materialize) for (int i = 0; i < params.size(); i++) perSample[i] = new float[samples * params.get(i).shape().numel()];
            for (int start = 0; start < samples; start += batches.size) {
                Batches.Graph g = batches.at(start);
                PerSampleGradients psg = g.perSample(materialize);
                g.feed(psg.program(), start);
                psg.run();
                loss += psg.loss() * g.size / samples;
                float[] part = new float[g.size];
                psg.norms(part);
                System.arraycopy(part, 0, norms, start, g.size);
                if (materialize) {
                    for (int i = 0; i < params.size(); i++) {
                        int size = params.get(i).shape().numel();
                        psg.program().readInto(psg.gradient(i), perSample[i], start * size);
                    }
                }
            }
            seconds.put("grad-norms", (System.nanoTime() - t0) / 1e9);
            tensors.add(new TensorData("grad-norms", new int[] {samples}, norms));
            if (materialize) {
                for (int i = 0; i < params.size(); i++) tensors.add(perSampleTensor(entries, params.get(i), perSample[i]));
            }
        }
        if (asked.contains("grad-variance")) {
            long t0 = System.nanoTime();
            double[] second = new double[dimension], mean = new double[dimension];
            float[] v = new float[dimension], grad = new float[dimension];
            for (int start = 0; start < samples; start += batches.size) {
                Batches.Graph g = batches.at(start);
                GradientVariance gv = g.variance();
                g.feed(gv.program(), start);
                gv.compute(v);
                gv.gradient(grad);
                double w = (double) g.size / samples;
                for (int i = 0; i < dimension; i++) {
                    second[i] += w * (v[i] + (double) grad[i] * grad[i]);
                    mean[i] += w * grad[i];
                }
            }
            float[] variance = new float[dimension];
            for (int i = 0; i < dimension; i++) variance[i] = (float) (second[i] - mean[i] * mean[i]);
            seconds.put("grad-variance", (System.nanoTime() - t0) / 1e9);
            vectors.put("grad-variance", variance);
        }
        for (String w : asked) {
            CurvatureDiagonal.Kind kind = switch (w) {
                case "diag-ggn" -> CurvatureDiagonal.Kind.GGN;
                case "diag-ggn-mc" -> CurvatureDiagonal.Kind.GGN_MONTE_CARLO;
                case "diag-hessian" -> CurvatureDiagonal.Kind.HESSIAN;
                case "diag-fisher" -> CurvatureDiagonal.Kind.EMPIRICAL_FISHER;
                case "diag-hutchinson" -> CurvatureDiagonal.Kind.HUTCHINSON_HESSIAN;
                default -> null;
            };
            if (kind == null) continue;
            long t0 = System.nanoTime();
            double[] sum = new double[dimension];
            float[] part = new float[dimension];
            for (int start = 0; start < samples; start += batches.size) {
                Batches.Graph g = batches.at(start);
                CurvatureDiagonal d = g.diagonal(kind, new CurvatureDiagonal.Settings(mcSamples, seed + start));
                g.feed(d.program(), start);
                d.compute(part);
                double weight = (double) g.size / samples;
                for (int i = 0; i < dimension; i++) sum[i] += weight * part[i];
            }
            float[] diag = new float[dimension];
            for (int i = 0; i < dimension; i++) diag[i] = (float) sum[i];
            seconds.put(w, (System.nanoTime() - t0) / 1e9);
            vectors.put(w, diag);
        }

        Map<String, Map<String, KroneckerSummary>> kronecker = new LinkedHashMap<>();
        for (String w : asked) {
            if (!w.equals("kfac") && !w.equals("ekfac")) continue;
            long t0 = System.nanoTime();
            KroneckerCurvature k = kronecker(w, batches);
            seconds.put(w, (System.nanoTime() - t0) / 1e9);
            Map<String, KroneckerSummary> perLayer = new LinkedHashMap<>();
            print.printf(Locale.ROOT, "%s (%.2f s):%n", w, seconds.get(w));
            for (KroneckerCurvature.Block b : k.blockList()) {
                KroneckerSummary s = KroneckerSummary.of(b, top);
                perLayer.put(b.layer(), s);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-10s A %dx%d  G %dx%d  trace %.6g  largest",
                        b.layer(), b.inputs(), b.inputs(), b.outputs(), b.outputs(), s.trace()));
                for (double x : s.largest()) line.append(String.format(Locale.ROOT, " %.4g", x));
                print.println(line);
                String prefix = w + "/" + b.layer() + "/";
                int qg = b.outputs() / b.groups();
                tensors.add(new TensorData(prefix + "eigenbasis-A", b.groups() == 1 ? new int[] {b.inputs(), b.inputs()}
                        : new int[] {b.groups(), b.inputs(), b.inputs()}, b.inputBasis()));
                tensors.add(new TensorData(prefix + "eigenbasis-G", b.groups() == 1 ? new int[] {qg, qg}
                        : new int[] {b.groups(), qg, qg}, b.gradientBasis()));
                tensors.add(new TensorData(prefix + "eigenvalues", new int[] {b.inputs(), b.outputs()}, toFloat(b.eigenvalues())));
            }
            kronecker.put(w, perLayer);
        }

        Norms normSummary = null;
        if (norms != null) {
            normSummary = quantiles(norms);
            print.printf(Locale.ROOT, "per-sample gradient norms over %d images: mean %.4g", samples, normSummary.mean());
            for (Map.Entry<String, Double> q : normSummary.quantiles().entrySet()) print.printf(Locale.ROOT, "  %s %.4g", q.getKey(), q.getValue());
            print.println();
        }
        for (Map.Entry<String, float[]> e : vectors.entrySet()) {
            Map<String, Summary> perParam = new LinkedHashMap<>();
            int off = 0;
            print.printf(Locale.ROOT, "%s (%.2f s):%n", e.getKey(), seconds.get(e.getKey()));
            for (Node p : params) {
                int size = p.shape().numel();
                float[] torch = torchLayout(entries, p, Arrays.copyOfRange(e.getValue(), off, off + size));
                int[] shape = torchShape(entries, p);
                Summary s = summarize(torch, shape, top);
                perParam.put(p.name(), s);
                tensors.add(new TensorData(e.getKey() + "/" + p.name(), shape, torch));
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-10s trace %.6g  largest", p.name(), s.trace()));
                for (Entry x : s.largest()) line.append(String.format(Locale.ROOT, " %s=%.4g", Arrays.toString(x.index()), x.value()));
                print.println(line);
                off += size;
            }
            summaries.put(e.getKey(), perParam);
        }
        if (out != null) {
            SafeTensors.write(out, tensors, Map.of("format", "pt", "checkpoint", common.checkpoint.toString(),
                    "samples", Integer.toString(samples)));
            print.println("tensors: " + out);
        }
        if (json != null) {
            Report report = new Report(common.checkpoint.toString(), module, samples, batches.size, loss, normSummary, summaries,
                    kronecker, seconds);
            Gson gson = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();
            byte[] bytes = gson.toJson(report).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(json, o -> o.write(bytes));
            print.println("results: " + json);
        }
        print.flush();
        return 0;
    }

    /** The programs for the batch sizes N needs (a full size and maybe a last one), compiled on first use. */
    private static final class Batches {
        final Model model;
        final Dataset images;
        final int samples, size;
        final Map<Integer, Graph> bySize = new LinkedHashMap<>();

        Batches(Model model, Dataset images, int samples, int size) {
            this.model = model;
            this.images = images;
            this.samples = samples;
            this.size = size;
        }

        Graph at(int start) {
            return bySize.computeIfAbsent(Math.min(size, samples - start), Graph::new);
        }

        final class Graph {
            final int size;
            final Node x, y, logits, loss;
            final List<LayerCall> calls;
            private PerSampleGradients perSample;
            private GradientVariance variance;
            private final Map<CurvatureDiagonal.Kind, CurvatureDiagonal> diagonals = new LinkedHashMap<>();
            private final Map<LayerBackprop.Vectors, LayerBackprop> backprops = new LinkedHashMap<>();

            Graph(int size) {
                this.size = size;
                Model.Batch b = model.batch("curvature" + model.graph.size(), size);
                x = b.images();
                y = b.labels();
                logits = b.logits();
                loss = b.loss();
                calls = b.layers();
            }

            PerSampleGradients perSample(boolean materialize) {
                if (perSample == null) perSample = PerSampleGradients.compile(model.store, loss, calls, model.parameters(), materialize);
                return perSample;
            }

            GradientVariance variance() {
                if (variance == null) variance = GradientVariance.compile(model.store, loss, calls, model.parameters());
                return variance;
            }

            CurvatureDiagonal diagonal(CurvatureDiagonal.Kind kind, CurvatureDiagonal.Settings settings) {
                return diagonals.computeIfAbsent(kind, k -> CurvatureDiagonal.compile(model.store, loss, calls,
                        model.parameters(), k, settings));
            }

            LayerBackprop backprop(LayerBackprop.Vectors vectors, boolean perExample) {
                return backprops.computeIfAbsent(vectors, v -> LayerBackprop.compile(model.store, logits, calls, v,
                        v == LayerBackprop.Vectors.SAMPLED ? "kfac" : "ekfac", true, perExample));
            }

            void feedImages(Program program, int start) {
                int pixels = images.pixelsPerImage();
                program.set(x, Arrays.copyOfRange(images.images(), start * pixels, (start + size) * pixels));
            }

            void feed(Program program, int start) {
                int pixels = images.pixelsPerImage();
                program.set(x, Arrays.copyOfRange(images.images(), start * pixels, (start + size) * pixels));
                program.setLabels(y, Arrays.copyOfRange(images.labels(), start, start + size));
            }
        }
    }

    /** The model's state-dict entry of p: its name, PyTorch's shape and layout (a Linear's [out, in], vit's conv_proj). */
    private static StateEntry entryOf(List<StateEntry> entries, Node p) {
        for (StateEntry e : entries) if (e.node() == p) return e;
        throw new IllegalArgumentException("parameter " + p.name() + " has no entry in the model's state dict");
    }

    static int[] torchShape(List<StateEntry> entries, Node p) {
        return entryOf(entries, p).torchShape();
    }

    static float[] torchLayout(List<StateEntry> entries, Node p, float[] values) {
        return entryOf(entries, p).toTorch().apply(values);
    }

    /** Per-sample gradients [N, ...] of one parameter under 'per-sample-grads/<name>', each sample in PyTorch's layout. */
    private static TensorData perSampleTensor(List<StateEntry> entries, Node p, float[] values) {
        int size = p.shape().numel(), n = values.length / size;
        float[] torch = new float[values.length];
        for (int s = 0; s < n; s++) {
            float[] one = torchLayout(entries, p, Arrays.copyOfRange(values, s * size, (s + 1) * size));
            System.arraycopy(one, 0, torch, s * size, size);
        }
        int[] shape = torchShape(entries, p), withSamples = new int[shape.length + 1];
        withSamples[0] = n;
        System.arraycopy(shape, 0, withSamples, 1, shape.length);
        return new TensorData("per-sample-grads/" + p.name(), withSamples, torch);
    }

    static Summary summarize(float[] values, int[] shape, int k) {
        double trace = 0;
        for (float v : values) trace += v;
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(values[b], values[a]));
        List<Entry> largest = new ArrayList<>();
        for (int i = 0; i < Math.min(k, values.length); i++) largest.add(new Entry(unravel(order[i], shape), values[order[i]]));
        return new Summary(trace, largest);
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] index = new int[shape.length];
        for (int a = shape.length - 1; a >= 0; a--) {
            index[a] = flat % shape[a];
            flat /= shape[a];
        }
        return index;
    }

    /** Mean and the 0, 5, 25, 50, 75, 95 and 100% quantiles (linear interpolation, as numpy's default). */
    static Norms quantiles(float[] norms) {
        double[] sorted = new double[norms.length];
        double mean = 0;
        for (int i = 0; i < norms.length; i++) {
            sorted[i] = norms[i];
            mean += norms[i] / (double) norms.length;
        }
        Arrays.sort(sorted);
        Map<String, Double> q = new LinkedHashMap<>();
        for (int p : new int[] {0, 5, 25, 50, 75, 95, 100}) {
            double at = p / 100.0 * (sorted.length - 1);
            int lo = (int) Math.floor(at), hi = Math.min(lo + 1, sorted.length - 1);
            q.put(p == 0 ? "min" : p == 100 ? "max" : "p" + p, sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]));
        }
        return new Norms(norms.length, mean, q);
    }
}
