package org.panagrad.compiler;

import org.junit.jupiter.api.Test;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Exp;
import org.panagrad.ops.MatMul;
import org.panagrad.ops.Sum;
import org.panagrad.runtime.ParameterStore;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A program too large for Java arrays fails at compile time, before allocating, naming its largest buffers. */
class ProgramSizeLimitTest {
    /**
     * Shape refuses more than 2^31 - 1 elements; a value just below that still does not fit a float[] (HotSpot
     * keeps a few header words), and the compiler says so before allocating anything.
     */
    @Test
    void aBufferBeyondTheArrayLimitIsNamed() {
        Graph g = new Graph();
        Node x = g.input("x", 1, 1);
        Node w = g.parameter("w", 1, Integer.MAX_VALUE - 4);
        Node loss = Sum.all(MatMul.of(x, w, false, false));
        ProgramTooLargeException e = assertThrows(ProgramTooLargeException.class,
                () -> Compiler.compile(new ParameterStore(), List.of(loss)));
        assertTrue(e.getMessage().startsWith("2 value(s) would each need more floats than one Java array holds"
                + " (2,147,483,639 floats"), e.getMessage());
        assertTrue(e.getMessage().contains("the largest buffers: w [1x2147483643] 2,147,483,643 floats (8.00 GiB)"),
                e.getMessage());
    }

    @Test
    void anArenaBeyondTheArrayLimitIsNamedWithItsLargestBuffers() {
        Graph g = new Graph();
        Node x = g.input("x", 50_000, 1);
        Node w = g.parameter("w", 1, 30_000);
        Node h = MatMul.of(x, w, false, false); // 1.5e9 floats: fits an array alone
        Node e = Exp.of(h);                      // a second one, live at the same time (both are outputs)
        ProgramTooLargeException ex = assertThrows(ProgramTooLargeException.class,
                () -> Compiler.compile(new ParameterStore(), List.of(h, e)));
        assertTrue(ex.getMessage().startsWith("the program's arena would hold 3,000,000,000 floats (11.18 GiB) at its"
                + " peak, more than one Java array can"), ex.getMessage());
        assertTrue(ex.getMessage().contains("matmul#") && ex.getMessage().contains("exp#")
                && ex.getMessage().contains("[50000x30000] 1,500,000,000 floats (5.59 GiB)"), ex.getMessage());
    }
}
