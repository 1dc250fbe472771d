package org.panagrad.demo;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import org.panagrad.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A profile in the Trace Event Format that chrome://tracing and Perfetto open: one complete ("X") event
 * per step and one per instruction inside it, timestamps and durations in microseconds.
 */
final class ChromeTrace {
    private ChromeTrace() {}

    static void write(Path file, Profiler.Result result, String title) throws IOException {
        List<Map<String, Object>> events = new ArrayList<>();
        events.add(Map.of("name", "process_name", "ph", "M", "pid", 1, "tid", 1, "args", Map.of("name", title)));
        events.add(Map.of("name", "thread_name", "ph", "M", "pid", 1, "tid", 1, "args", Map.of("name", "training step")));
        long stepStart = -1, stepEnd = 0;
        int currentStep = -1;
        for (Profiler.Event e : result.events()) {
            if (e.step() != currentStep) {
                if (currentStep >= 0) events.add(step(currentStep, stepStart, stepEnd));
                currentStep = e.step();
                stepStart = e.startNanos();
            }
            stepEnd = e.startNanos() + e.durationNanos();
            Profiler.Row row = result.rows().get(e.instruction());
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("name", row.node().op().name());
            ev.put("cat", row.phase().label);
            ev.put("ph", "X");
            ev.put("ts", e.startNanos() / 1e3);
            ev.put("dur", e.durationNanos() / 1e3);
            ev.put("pid", 1);
            ev.put("tid", 1);
            ev.put("args", Map.of("instruction", e.instruction(), "shapes", CompiledNodes.shapes(row.node()), "flops", row.flopsPerCall()));
            events.add(ev);
        }
        if (currentStep >= 0) events.add(step(currentStep, stepStart, stepEnd));
        Map<String, Object> trace = new LinkedHashMap<>();
        trace.put("traceEvents", events);
        trace.put("displayTimeUnit", "ms");
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        byte[] bytes = gson.toJson(trace).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static Map<String, Object> step(int step, long start, long end) {
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("name", "step " + step);
        ev.put("cat", "step");
        ev.put("ph", "X");
        ev.put("ts", start / 1e3);
        ev.put("dur", (end - start) / 1e3);
        ev.put("pid", 1);
        ev.put("tid", 1);
        return ev;
    }
}
