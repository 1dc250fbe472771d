package org.panagrad.testing;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.stream.Collectors;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Whether HotSpot's compilers have work queued or under way, from the Compiler.queue diagnostic command (what
 * {@code jcmd PID Compiler.queue} prints: "Current compiles:", then each compiler's queue, "Empty" or one line per
 * method). The JIT's total compilation time grows only when a compilation ends, so it cannot tell a JIT that is
 * idle from one seconds into a long compilation; the queue can.
 */
final class JitQueue {
    private JitQueue() {}

    /**
     * True while a method is being compiled or waits to be; false when every queue is empty, and where the
     * command is not there to ask (another JVM), so that a caller then falls back on what it measured.
     */
    static boolean compiling() {
        return busy(queues());
    }

    /**
     * What a failure report prints: the methods being compiled or queued, one per line as the command lists them;
     * "nothing queued or under way"; or that the command could not be asked, so that a report never reads as an
     * idle JIT when the question failed.
     */
    static String listing() {
        String queues = queues();
        if (queues.isEmpty()) return "unknown (the Compiler.queue diagnostic command is not available in this JVM)";
        List<String> methods = methods(queues);
        return methods.isEmpty() ? "nothing queued or under way" : "compiling or queued:\n" + String.join("\n", methods);
    }

    /** Whether the command's output lists a method. */
    static boolean busy(String queues) {
        return !methods(queues).isEmpty();
    }

    /** The command's lines that name a method: neither a heading, "Empty" nor blank. */
    private static List<String> methods(String queues) {
        return queues.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.endsWith(":") && !l.equals("Empty"))
                .collect(Collectors.toList());
    }

    /** The command's output; empty where it is not there to ask. */
    static String queues() {
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue", new Object[0], new String[0]);
        } catch (JMException | RuntimeException e) {
            return "";
        }
    }
}
