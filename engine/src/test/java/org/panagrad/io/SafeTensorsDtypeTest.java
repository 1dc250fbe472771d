package org.panagrad.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class SafeTensorsDtypeTest {
    @Test
    void halfPrecisionKnownValues() {
        assertEquals(1.0f, SafeTensorsDtype.halfToFloat((short) 0x3C00));
        assertEquals(-2.0f, SafeTensorsDtype.halfToFloat((short) 0xC000));
        assertEquals(65504f, SafeTensorsDtype.halfToFloat((short) 0x7BFF)); // largest finite half
        assertEquals(0x1p-24f, SafeTensorsDtype.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(0x1p-14f, SafeTensorsDtype.halfToFloat((short) 0x0400)); // smallest normal
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(SafeTensorsDtype.halfToFloat((short) 0x8000)));
        assertEquals(Float.NEGATIVE_INFINITY, SafeTensorsDtype.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafeTensorsDtype.halfToFloat((short) 0x7E00)));
    }

    /** On JDK 20+ the JDK has its own conversion: compare all 65536 half values against it. */
    @Test
    void halfPrecisionAgreesWithTheJdkForEveryValue() throws ReflectiveOperationException {
        Method jdk;
        try {
            jdk = Float.class.getMethod("float16ToFloat", short.class);
        } catch (NoSuchMethodException olderJdk) {
            assumeTrue(false, "Float.float16ToFloat needs JDK 20");
            return;
        }
        for (int bits = 0; bits < 0x10000; bits++) {
            short half = (short) bits;
            float expected = (float) jdk.invoke(null, half);
            if (Float.isNaN(expected)) { // whether a NaN comes out quiet differs between JIT and interpreter
                assertTrue(Float.isNaN(SafeTensorsDtype.halfToFloat(half)));
                continue;
            }
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(SafeTensorsDtype.halfToFloat(half)),
                    () -> "half bits 0x" + Integer.toHexString(half & 0xFFFF));
        }
    }

    @Test
    void decodersReadLittleEndianAndAdvance() {
        ByteBuffer bytes = ByteBuffer.allocate(8 + 4 + 2 + 2).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putDouble(0.1).putFloat(-3.5f).putShort((short) 0x3F80).putShort((short) 0x3800).flip();
        float[] out = new float[5];

        SafeTensorsDtype.F64.decode(bytes, out, 0, 1);
        SafeTensorsDtype.F32.decode(bytes, out, 1, 1);
        SafeTensorsDtype.BF16.decode(bytes, out, 2, 1);
        SafeTensorsDtype.F16.decode(bytes, out, 3, 1);

        assertEquals((float) 0.1, out[0]);
        assertEquals(-3.5f, out[1]);
        assertEquals(1.0f, out[2]);
        assertEquals(0.5f, out[3]);
        assertEquals(0, bytes.remaining());
    }
}
