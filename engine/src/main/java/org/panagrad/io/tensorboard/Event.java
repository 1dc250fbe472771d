package org.panagrad.io.tensorboard;

import java.util.List;

/**
 * One record of an event file: when it was written, the training step it belongs to, and either the file's
 * version (the first event) or summary values: scalars and histograms, each under a tag.
 */
public record Event(double wallTime, long step, String fileVersion, List<Value> values) {
    public Event {
        values = List.copyOf(values);
    }

    /** A tagged scalar ({@code histogram} null) or histogram. */
    public record Value(String tag, float scalar, Histogram histogram) {
        public static Value scalar(String tag, float value) {
            return new Value(tag, value, null);
        }

        public static Value histogram(String tag, Histogram histogram) {
            return new Value(tag, Float.NaN, histogram);
        }

        public boolean isHistogram() {
            return histogram != null;
        }
    }
}
