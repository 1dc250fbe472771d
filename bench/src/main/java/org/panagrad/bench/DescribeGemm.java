package org.panagrad.bench;

import org.panagrad.kernels.Gemm;

/**
 * Prints {@link Gemm#describe()} (micro-kernel, vector width, blocking, caches) for the JVM's flags: compare_gemm.py
 * puts it above its table, so that every table says which kernel it measured.
 */
public final class DescribeGemm {
    private DescribeGemm() {}

    public static void main(String[] args) {
        System.out.println(Gemm.describe());
    }
}
