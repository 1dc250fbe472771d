package org.panagrad.demo;

import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.text.DecimalFormat;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The per-epoch progress bar: images per second, the running training loss and the time left. On a
 * terminal the bar redraws in place; when output goes to a file or a CI log (no console), where carriage
 * returns would pile up on one line, it prints a plain line every few seconds instead.
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

    static Progress bar(String task, long images, PrintStream logOutput) {
        ProgressBarBuilder builder = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(images)
                .setUnit(" img", 1)
                .showSpeed(new DecimalFormat("#,##0"))
                .setSpeedUnit(ChronoUnit.SECONDS);
        if (System.console() != null) {
            builder.setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(200);
        } else {
            builder.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(10_000)
                    .setConsumer(new DelegatingProgressBarConsumer(logOutput::println, 100));
        }
        ProgressBar bar = builder.build();
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
