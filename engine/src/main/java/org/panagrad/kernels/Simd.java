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
 */
public final class Simd {
    private Simd() {}

    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("panagrad.simd", "true"));

    /** The float species of every SIMD kernel. */
    public static final VectorSpecies<Float> FLOAT = floatSpecies(System.getProperty("panagrad.vectorBits"));

    /** Whether the hardware runs {@link #FLOAT} natively (rather than the Vector API emulating a wider width). */
    public static final boolean NATIVE_WIDTH = FLOAT.vectorBitSize() <= FloatVector.SPECIES_PREFERRED.vectorBitSize();

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
        return FLOAT.vectorBitSize() + "-bit vectors (" + FLOAT.length() + " floats"
                + (System.getProperty("panagrad.vectorBits") == null ? ", the CPU's preferred width" : ", panagrad.vectorBits")
                + (NATIVE_WIDTH ? "" : ", emulated: the hardware's widest is " + FloatVector.SPECIES_PREFERRED.vectorBitSize())
                + ")" + (ENABLED ? "" : ", SIMD disabled (panagrad.simd=false)");
    }
}
