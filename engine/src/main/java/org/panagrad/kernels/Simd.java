package org.panagrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two start-up choices every kernel shares, read once from system properties:
 * <ul>
 * <li>{@code -Dpanagrad.simd=false} switches every kernel to its scalar twin, the first thing to try when a result
 * looks wrong;</li>
 * <li>{@code -Dpanagrad.vectorBits=128|256|512} sets the vector width of every SIMD kernel (default: the CPU's
 * preferred width, 512 bits with AVX-512, 256 with AVX2). A width the hardware lacks is emulated by the Vector
 * API, correctly but slowly: the tests use this to run every kernel at 256 and 512 bits on any machine.</li>
 * </ul>
 * Every kernel class copies {@link #FLOAT} into a {@code static final} field of its own, so that C2 folds the
 * species and its lane count into constants.
 * <p>
 * Every kernel asks this class before it touches a vector, so it is where a JVM started without the incubating
 * Vector API module is caught: the first kernel call then fails with {@link MissingVectorModuleError}, which
 * gives the flag, instead of a NoClassDefFoundError from inside the GEMM. It is also where the Vector API's operator
 * caches are filled, before any kernel is compiled ({@link VectorOperationCaches}).
 */
public final class Simd {
    /** The module the SIMD kernels are written against. */
    public static final String MODULE = "jdk.incubator.vector";

    public static final boolean ENABLED = enabled();

    /**
     * The float species of every SIMD kernel; null only when the module is missing (and {@link #ENABLED} false:
     * the scalar twins need no species).
     */
    public static final VectorSpecies<Float> FLOAT = hasModule() ? floatSpecies(System.getProperty("panagrad.vectorBits")) : null;

    /** Whether the hardware runs {@link #FLOAT} natively (rather than the Vector API emulating a wider width). */
    public static final boolean NATIVE_WIDTH = FLOAT != null && FLOAT.vectorBitSize() <= FloatVector.SPECIES_PREFERRED.vectorBitSize();

    static {
        if (ENABLED) VectorOperationCaches.fill(FLOAT);
    }

    private Simd() {}

    private static boolean hasModule() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    private static boolean enabled() {
        if ("false".equalsIgnoreCase(System.getProperty("panagrad.simd", "true"))) return false;
        if (!hasModule()) throw new MissingVectorModuleError();
        return true;
    }

    static VectorSpecies<Float> floatSpecies(String bits) {
        if (bits == null || bits.isBlank()) return FloatVector.SPECIES_PREFERRED;
        switch (bits.trim()) {
            case "128":
                return FloatVector.SPECIES_128;
            case "256":
                return FloatVector.SPECIES_256;
            case "512":
                return FloatVector.SPECIES_512;
            default:
                throw new IllegalArgumentException("system property panagrad.vectorBits is \"" + bits
                        + "\"; expected 128, 256 or 512 (or unset for the CPU's preferred width, here "
                        + FloatVector.SPECIES_PREFERRED.vectorBitSize() + ")");
        }
    }

    /** One line naming the width and where it came from, for benchmark reports and bug reports. */
    public static String describe() {
        if (FLOAT == null) return "no vectors (module " + MODULE + " missing), SIMD disabled (panagrad.simd=false)";
        return FLOAT.vectorBitSize() + "-bit vectors (" + FLOAT.length() + " floats"
                + (System.getProperty("panagrad.vectorBits") == null ? ", the CPU's preferred width" : ", panagrad.vectorBits")
                + (NATIVE_WIDTH ? "" : ", emulated: the hardware's widest is " + FloatVector.SPECIES_PREFERRED.vectorBitSize())
                + ")" + (ENABLED ? "" : ", SIMD disabled (panagrad.simd=false)");
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
