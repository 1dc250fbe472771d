package org.panagrad.io.tensorboard;

import org.panagrad.io.DataFormatException;
import org.panagrad.io.ProtoReader;
import org.panagrad.io.ProtoWriter;

import java.util.ArrayList;
import java.util.List;

/**
 * Event, Summary, Summary.Value and HistogramProto in the protobuf encoding, with the field numbers of
 * TensorFlow's published event.proto, summary.proto and histogram.proto: all that TensorBoard needs to show
 * scalars and histograms.
 */
final class EventProto {
    private EventProto() {}

    // Event
    private static final int WALL_TIME = 1, STEP = 2, FILE_VERSION = 3, SUMMARY = 5;
    // Summary
    private static final int SUMMARY_VALUE = 1;
    // Summary.Value
    private static final int TAG = 1, SIMPLE_VALUE = 2, HISTO = 5;
    // HistogramProto
    private static final int MIN = 1, MAX = 2, NUM = 3, SUM = 4, SUM_SQUARES = 5, BUCKET_LIMIT = 6, BUCKET = 7;

    static byte[] encode(Event e) {
        ProtoWriter w = new ProtoWriter().float64(WALL_TIME, e.wallTime()).varint(STEP, e.step());
        if (e.fileVersion() != null) w.string(FILE_VERSION, e.fileVersion());
        if (!e.values().isEmpty()) {
            ProtoWriter summary = new ProtoWriter();
            for (Event.Value v : e.values()) {
                ProtoWriter value = new ProtoWriter().string(TAG, v.tag());
                if (v.isHistogram()) value.message(HISTO, histogram(v.histogram()));
                else value.float32(SIMPLE_VALUE, v.scalar());
                summary.message(SUMMARY_VALUE, value);
            }
            w.message(SUMMARY, summary);
        }
        return w.toByteArray();
    }

    private static ProtoWriter histogram(Histogram h) {
        return new ProtoWriter().float64(MIN, h.min()).float64(MAX, h.max()).float64(NUM, h.num()).float64(SUM, h.sum())
                .float64(SUM_SQUARES, h.sumSquares()).packedDoubles(BUCKET_LIMIT, h.bucketLimits())
                .packedDoubles(BUCKET, h.bucketCounts());
    }

    static Event decode(ProtoReader r) throws DataFormatException {
        double wallTime = 0;
        long step = 0;
        String version = null;
        List<Event.Value> values = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case WALL_TIME -> wallTime = r.float64();
                case STEP -> step = r.varint();
                case FILE_VERSION -> version = r.string();
                case SUMMARY -> {
                    ProtoReader summary = r.message();
                    while (summary.next()) {
                        if (summary.field() == SUMMARY_VALUE) values.add(value(summary.message()));
                        else summary.skip();
                    }
                }
                default -> r.skip();
            }
        }
        return new Event(wallTime, step, version, values);
    }

    private static Event.Value value(ProtoReader r) throws DataFormatException {
        String tag = "";
        float scalar = Float.NaN;
        Histogram histogram = null;
        while (r.next()) {
            switch (r.field()) {
                case TAG -> tag = r.string();
                case SIMPLE_VALUE -> scalar = r.float32();
                case HISTO -> histogram = histogram(r.message());
                default -> r.skip();
            }
        }
        return new Event.Value(tag, scalar, histogram);
    }

    private static Histogram histogram(ProtoReader r) throws DataFormatException {
        double min = 0, max = 0, num = 0, sum = 0, sumSq = 0;
        List<double[]> limits = new ArrayList<>(), counts = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case MIN -> min = r.float64();
                case MAX -> max = r.float64();
                case NUM -> num = r.float64();
                case SUM -> sum = r.float64();
                case SUM_SQUARES -> sumSq = r.float64();
                case BUCKET_LIMIT -> limits.add(r.doubles());
                case BUCKET -> counts.add(r.doubles());
                default -> r.skip();
            }
        }
        double[] bucketLimits = concat(limits), bucketCounts = concat(counts);
        if (bucketLimits.length != bucketCounts.length) {
            throw r.invalid("a histogram with " + bucketLimits.length + " bucket limits for " + bucketCounts.length + " buckets");
        }
        return new Histogram(min, max, num, sum, sumSq, bucketLimits, bucketCounts);
    }

    private static double[] concat(List<double[]> parts) {
        int n = 0;
        for (double[] p : parts) n += p.length;
        double[] all = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
