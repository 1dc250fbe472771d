package org.panagrad.kernels;

/**
 * Whether kernels use their Vector API bodies. {@code -Dpanagrad.simd=false} switches every kernel to its
 * scalar twin, which is the first thing to try when a result looks wrong.
 */
public final class Simd {
    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("panagrad.simd", "true"));

    private Simd() {}
}
