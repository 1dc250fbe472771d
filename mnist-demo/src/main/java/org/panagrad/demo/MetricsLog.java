package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.panagrad.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-epoch metrics as JSON lines and as a PNG chart of the curves. After every epoch both files are
 * rewritten whole through {@link AtomicFiles}: a reader (or a crash) never sees half a line or half an image,
 * and the cost, a few hundred bytes and one small image per epoch, is nothing next to an epoch.
 */
final class MetricsLog {
    /** One line of the log; field names are the JSON keys. */
    record Epoch(int epoch, long step, double train_loss, double test_loss, double test_accuracy, double seconds) {}

    /** NaN is written as NaN (Python's json reads it): an epoch whose every step was skipped has no train loss. */
    private static final Gson GSON = new com.google.gson.GsonBuilder().serializeSpecialFloatingPointValues().create();

    private final Path jsonLines;
    private final Path chart;
    private final List<Epoch> epochs = new ArrayList<>();

    MetricsLog(Path jsonLines) {
        this.jsonLines = jsonLines;
        this.chart = chartPath(jsonLines);
    }

    /** metrics.jsonl -> metrics.png, next to it. */
    static Path chartPath(Path jsonLines) {
        String name = jsonLines.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return jsonLines.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".png");
    }

    Path chart() {
        return chart;
    }

    /** When resuming: keeps the earlier epochs already logged, up to and including {@code lastEpoch}. */
    void keepEarlier(int lastEpoch) throws IOException {
        if (!Files.exists(jsonLines)) return;
        for (String line : Files.readAllLines(jsonLines, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            try {
                Epoch e = GSON.fromJson(line, Epoch.class);
                if (e.epoch() <= lastEpoch) epochs.add(e);
            } catch (JsonParseException | IllegalArgumentException notOurs) {
                throw new IllegalArgumentException(jsonLines + ": cannot append to it: a line is not a metrics record: " + line);
            }
        }
    }

    void add(Epoch epoch) throws IOException {
        epochs.add(epoch);
        StringBuilder text = new StringBuilder();
        for (Epoch e : epochs) text.append(GSON.toJson(e)).append('\n');
        AtomicFiles.write(jsonLines, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
        writeChart();
    }

    List<Epoch> epochs() {
        return List.copyOf(epochs);
    }

    private void writeChart() throws IOException {
        Headless.enable();
        double[] x = new double[epochs.size()], train = new double[x.length], test = new double[x.length],
                accuracy = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            Epoch e = epochs.get(i);
            x[i] = e.epoch();
            train[i] = e.train_loss();
            test[i] = e.test_loss();
            accuracy[i] = 100 * e.test_accuracy();
        }
        XYChart losses = new XYChartBuilder().width(640).height(420).title("Loss")
                .xAxisTitle("epoch").yAxisTitle("cross-entropy").build();
        losses.addSeries("train", x, train).setMarker(SeriesMarkers.CIRCLE);
        losses.addSeries("test", x, test).setMarker(SeriesMarkers.DIAMOND);
        XYChart acc = new XYChartBuilder().width(640).height(420).title("Test accuracy")
                .xAxisTitle("epoch").yAxisTitle("accuracy (%)").build();
        acc.addSeries("test accuracy", x, accuracy).setMarker(SeriesMarkers.CIRCLE);
        AtomicFiles.write(chart, out -> BitmapEncoder.saveBitmap(List.of(losses, acc), 1, 2, out,
                BitmapEncoder.BitmapFormat.PNG));
    }
}
