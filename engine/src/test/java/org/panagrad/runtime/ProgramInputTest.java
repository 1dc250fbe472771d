package org.panagrad.runtime;

import org.junit.jupiter.api.Test;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Graph;
import org.panagrad.graph.Node;
import org.panagrad.ops.Ops;
import org.panagrad.ops.SoftmaxCrossEntropy;
import org.panagrad.testing.SteadyState;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inputs are arguments: read in place from the caller's array once bound, or from the program's copy once set. */
class ProgramInputTest {
    private final Graph g = new Graph();
    private final Node x = g.input("x", 6, 5), w = g.input("w", 5, 4), y = g.labels("y", 6, 4);
    private final Node logits = Ops.tanh(Ops.matmul(x, w));
    private final Node loss = SoftmaxCrossEntropy.of(logits, y);
    private final Program program = Compiler.compile(new ParameterStore(), List.of(loss, logits));
    private final Random rnd = new Random(3);

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    @Test
    void inputsAreOutsideTheArena() {
        assertEquals(6 * 5 + 5 * 4 + 6, program.inputSize());
        assertTrue(program.arenaSize() < 6 * 5 + 5 * 4, "arena " + program.arenaSize());
    }

    @Test
    void aBoundInputIsReadInPlaceAndEqualsACopiedOne() {
        float[] xs = random(30), ws = random(20);
        Program copied = Compiler.compile(new ParameterStore(), List.of(loss, logits));
        copied.set(x, xs);
        copied.set(w, ws);
        copied.setLabels(y, new int[] {0, 1, 2, 3, 0, 1});
        copied.run();

        float[] padded = new float[40];
        System.arraycopy(xs, 0, padded, 7, 30);
        program.bind(x, padded, 7);
        program.bind(w, ws);
        program.setLabels(y, new int[] {0, 1, 2, 3, 0, 1});
        program.run();
        assertArrayEquals(copied.get(logits), program.get(logits));
        assertArrayEquals(xs, program.get(x), "an input reads back from where it is bound");

        // The caller refills its array; the next run reads the new values, with no call in between.
        float before = program.scalar(loss);
        for (int i = 7; i < 37; i++) padded[i] = -padded[i];
        program.run();
        assertNotEquals(before, program.scalar(loss));
        copied.set(x, padded, 7);
        copied.run();
        assertEquals(copied.scalar(loss), program.scalar(loss));
    }

    @Test
    void setAfterBindCopiesAndStopsReadingTheCallersArray() {
        float[] xs = random(30), ws = random(20);
        program.bind(x, xs);
        program.set(w, ws);
        program.setLabels(y, new int[6]);
        program.set(x, xs);
        program.run();
        float[] logitsBefore = program.get(logits);
        java.util.Arrays.fill(xs, 0.5f); // the program holds its own copy now
        program.run();
        assertArrayEquals(logitsBefore, program.get(logits));
    }

    @Test
    void runningBeforeAnInputIsFedNamesIt() {
        program.set(x, random(30));
        program.setLabels(y, new int[6]);
        IllegalStateException e = assertThrows(IllegalStateException.class, program::run);
        assertTrue(e.getMessage().contains("w [5x4]") && e.getMessage().contains("not fed"), e.getMessage());
    }

    @Test
    void bindingOutsideTheArrayFailsWithTheInputAndTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> program.bind(x, new float[35], 6));
        assertTrue(e.getMessage().contains("x [6x5]") && e.getMessage().contains("30 values from offset 6")
                && e.getMessage().contains("35"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> program.bind(y, new float[6]), "labels are set, not bound");
    }

    @Test
    void rebindingTheSameArrayAndRunningAllocatesNothing() {
        float[] xs = random(30), ws = random(20);
        int[] labels = {3, 2, 1, 0, 1, 2};
        program.bind(w, ws);
        Runnable step = () -> {
            program.bind(x, xs, 0);
            program.setLabels(y, labels);
            program.run();
        };
        for (int i = 0; i < 2000; i++) step.run();
        assertEquals(0, SteadyState.allocatedBytes(step, 100));
    }

    @Test
    void anInputTheProgramDoesNotReadIsIgnored() {
        Node unused = g.input("unused", 3);
        program.bind(unused, new float[3]);
        program.set(unused, new float[3]);
        assertTrue(!program.reads(unused) && program.reads(x));
    }
}
