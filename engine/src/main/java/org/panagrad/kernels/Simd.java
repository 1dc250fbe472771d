package org.panagrad.kernels;

/**
 * Whether kernels use their Vector API bodies. {@code -Dpanagrad.simd=false} switches every kernel to its
 * scalar twin, which is the first thing to try when a result looks wrong.
 * <p>
 * Every kernel asks this class before it touches a vector, so it is where a JVM started without the incubating
 * Vector API module is caught: the first kernel call then fails with {@link MissingVectorModuleError}, which
 * gives the flag, instead of a NoClassDefFoundError from inside the GEMM.
 */
public final class Simd {
    /** The module the SIMD kernels are written against. */
    public static final String MODULE = "jdk.incubator.vector";

    public static final boolean ENABLED = enabled();

    private Simd() {}

    private static boolean enabled() {
        if ("false".equalsIgnoreCase(System.getProperty("panagrad.simd", "true"))) return false;
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) throw new MissingVectorModuleError();
        return true;
    }

    /**
     * The JVM was started without {@code --add-modules jdk.incubator.vector}. An Error, so that the class
     * initializer passes it on as it is rather than wrapped in an ExceptionInInitializerError.
     */
    public static final class MissingVectorModuleError extends LinkageError {
        private static final long serialVersionUID = 1L;

        MissingVectorModuleError() {
            super("Panagrad's kernels use the incubating Vector API, and this JVM was started without it: add"
                    + " --add-modules " + MODULE + " to the java command (for tests, to Surefire's argLine or Gradle's"
                    + " jvmArgs; for javac, to the compiler arguments). -Dpanagrad.simd=false runs the scalar kernels"
                    + " instead, several times slower.");
        }
    }
}
