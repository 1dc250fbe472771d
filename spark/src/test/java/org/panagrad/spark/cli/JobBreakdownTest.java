package org.panagrad.spark.cli;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.panagrad.spark.TestSpark;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A call's breakdown is filed when it ran one job, whatever ran just before it, and nothing after close(). */
class JobBreakdownTest {
    @Test
    void filesOneJobCallsAfterEarlierJobsAndStopsListeningWhenClosed() {
        JavaSparkContext sc = TestSpark.context();
        JobBreakdown breakdown = new JobBreakdown(sc);
        for (int i = 0; i < 3; i++) {
            sc.parallelize(List.of(1, 2, 3, 4), 2).count(); // an unlabelled job right before the call: drained by begin()
            breakdown.begin();
            long t = System.nanoTime();
            sc.parallelize(List.of(1, 2, 3, 4), 2).map(x -> x * 2).count();
            breakdown.end("count", (System.nanoTime() - t) / 1e6);
        }
        breakdown.begin();
        sc.parallelize(List.of(1, 2), 2).count();
        sc.parallelize(List.of(1, 2), 2).count();
        breakdown.end("two jobs", 1);
        List<String> lines = breakdown.report();
        assertEquals(1, lines.size(), "a call of two jobs is not filed: " + lines);
        assertTrue(lines.get(0).startsWith("count (3 calls): outside the job "), lines.get(0));

        breakdown.close();
        breakdown.begin();
        sc.parallelize(List.of(1, 2), 2).count();
        breakdown.end("after close", 1);
        assertEquals(lines, breakdown.report(), "a closed breakdown hears no job");
    }
}
