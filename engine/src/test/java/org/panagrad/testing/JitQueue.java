package org.panagrad.testing;

import java.lang.management.ManagementFactory;
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

    /** The methods being compiled or queued, one per line as the command lists them: what a failure report prints. */
    static String listing() {
        return String.join("\n", methods(queues()));
    }

    /** Whether the command's output lists a method. */
    static boolean busy(String queues) {
        return !methods(queues).isEmpty();
    }

    /** The command's lines that name a method: neither a heading, "Empty" nor blank. */
    private static java.util.List<String> methods(String queues) {
        return queues.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.endsWith(":") && !l.equals("Empty"))
                .collect(java.util.stream.Collectors.toList());
    }

    /** The command's output; empty where it is not there to ask. */
    private static String queues() {
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue", new Object[0], new String[0]);
        } catch (JMException | RuntimeException e) {
            return "";
        }
    }
}
