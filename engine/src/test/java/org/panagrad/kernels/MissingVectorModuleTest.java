package org.panagrad.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A library user whose JVM lacks --add-modules jdk.incubator.vector is told the flag at the first kernel call. */
class MissingVectorModuleTest {
    /** A first GEMM, as any program's first run makes. */
    public static final class FirstKernelCall {
        public static void main(String[] args) {
            float[] c = new float[4];
            Gemm.gemm(2, 2, 2, 1f, GemmOperand.of(new float[] {1, 2, 3, 4}, 0, 2), GemmOperand.of(new float[] {1, 0, 0, 1}, 0, 2),
                    0f, GemmOperand.of(c, 0, 2));
            System.out.println("c = " + c[0] + " " + c[1] + " " + c[2] + " " + c[3]);
        }
    }

    private static Result runWithout(String... properties) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(List.of(properties));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FirstKernelCall.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }

    private record Result(int exit, String output) {}

    @Test
    void theFirstKernelCallNamesTheFlag() throws Exception {
        Result r = runWithout();
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("Simd$MissingVectorModuleError") && r.output().contains("--add-modules jdk.incubator.vector"),
                r.output());
        assertFalse(r.output().contains("NoClassDefFoundError"), r.output());
    }

    @Test
    void theScalarKernelsNeedNoModule() throws Exception {
        Result r = runWithout("-Dpanagrad.simd=false");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("c = 1.0 2.0 3.0 4.0"), r.output());
    }
}
