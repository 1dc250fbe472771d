package org.panagrad.demo;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.text.DecimalFormat;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The per-epoch progress bar: images per second, the running training loss and the time left, redrawn in
 * place on a terminal. Off a terminal (a file, a pipe, a CI log) there is no bar: carriage returns would pile up
 * there, and the epoch's own line says what a log needs.
 */
interface Progress extends AutoCloseable {
    void step(int images, double meanLoss);

    @Override
    void close();

    Progress NONE = new Progress() {
        @Override
        public void step(int images, double meanLoss) {}

        @Override
        public void close() {}
    };

    /** A bar on {@code terminal} when the program runs at one, else {@link #NONE}. */
    static Progress bar(String task, long images, PrintStream terminal) {
        if (!Terminal.interactive()) return NONE;
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(images)
                .setUnit(" img", 1)
                .showSpeed(new DecimalFormat("#,##0"))
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(200)
                .setConsumer(new ConsoleProgressBarConsumer(terminal))
                .build();
        return new Progress() {
            @Override
            public void step(int n, double meanLoss) {
                bar.stepBy(n);
                bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", meanLoss));
            }

            @Override
            public void close() {
                bar.close();
            }
        };
    }
}
