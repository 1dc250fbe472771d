package org.panagrad.kernels;

/**
 * Whether a kernel finishes its last partial vector with one masked vector ({@code species.indexInRange(i, n)})
 * instead of a scalar loop: at 16 lanes a 10-class row is all tail. Only on JDK 18+: JDK 17's masked loads and
 * stores are Java loops over the mask's lanes, 10 times slower than the scalar tail and allocating about 112 bytes
 * per masked load and store (a probe at 10 floats, 2026-12-06). The same switch sends rows narrower than two
 * vectors to the vector softmax kernels ({@link Softmax}).
 * {@code -Dpanagrad.maskedTails=false} keeps the scalar tails on any JDK, for A/B measurements. No vector or mask crosses a method boundary here (see
 * {@link VectorMath}): kernels call only {@link #fits} and build their masks themselves.
 */
final class MaskedTail {
    private MaskedTail() {}

    static final boolean ENABLED = Runtime.version().feature() >= 18
            && !"false".equalsIgnoreCase(System.getProperty("panagrad.maskedTails", "true"));

    private static final int LANES = Simd.FLOAT.length();

    /**
     * Whether a whole vector at off lies inside the array. A masked access that reaches past the array's end
     * takes the Vector API's checked path (every lane's index tested), 5 times slower than inside on JDK 25 at
     * 10 floats; a kernel then keeps the scalar tail.
     */
    static boolean fits(int off, float[] a) {
        return off <= a.length - LANES;
    }
}
