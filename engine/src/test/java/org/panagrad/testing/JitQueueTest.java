package org.panagrad.testing;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JitQueue reads Compiler.queue's output as JDK 17 and 25 print it (captured on this machine's JVMs). */
class JitQueueTest {
    @Test
    void emptyQueuesAreIdle() {
        assertFalse(JitQueue.busy("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n\n"));
    }

    @Test
    void aCompilationUnderWayOrQueuedIsWork() {
        assertTrue(JitQueue.busy("Current compiles: \nC2 CompilerThread0  1143   !   4       com.example.A::b (497 bytes)\n\n"
                + "C1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n\n"));
        assertTrue(JitQueue.busy("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\n"
                + " 528       4       java.util.Arrays::copyOfRange (82 bytes)\n\n"));
    }

    /** The command answers in this JVM (HotSpot, JDK 17 and 25): otherwise every report would read "unknown". */
    @Test
    void theCommandAnswersInThisJvm() {
        String queues = JitQueue.queues();
        assertTrue(queues.contains("compile queue:"), "Compiler.queue answered: '" + queues + "'");
    }
}
