package org.panagrad.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker pool's threads never keep the JVM alive: a program whose main returns after a GEMM split over
 * the pool (without System.exit) ends. Run in a child JVM, since this one's exit is the test runner's.
 */
class WorkerPoolExitTest {
    /** What the child JVM runs: a product large enough to split over two threads, then main returns. */
    public static final class ParallelProductThenReturn {
        public static void main(String[] args) {
            Gemm.setThreads(2);
            int n = 256;
            float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
            java.util.Arrays.fill(a, 1f);
            java.util.Arrays.fill(b, 2f);
            Gemm.gemm(n, n, n, 1f, GemmOperand.of(a, 0, n), GemmOperand.of(b, 0, n), 0f, GemmOperand.of(c, 0, n));
            long workers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("panagrad-worker-") && t.isAlive()).count();
            System.out.println("c[0]=" + c[0] + " workers=" + workers);
        }
    }

    @Test
    void mainReturningEndsTheJvmWhileWorkersAreParked() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), ParallelProductThenReturn.class.getName()))
                .redirectErrorStream(true).start();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ended, "the JVM was still alive 60 s after main returned: " + output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("c[0]=512.0 workers=1"), output); // one helper beside the caller
    }
}
