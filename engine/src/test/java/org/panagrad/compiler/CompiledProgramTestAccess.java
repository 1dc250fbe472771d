package org.panagrad.compiler;

import org.panagrad.runtime.Program;
import org.panagrad.testing.SmallModel;

/** Lets tests in other packages feed a small model's data into a program. */
public final class CompiledProgramTestAccess {
    private CompiledProgramTestAccess() {}

    public static void feed(Program program, SmallModel m) {
        CompiledProgramTest.feedProgram(program, m.feed, m, new org.panagrad.graph.Node[0]);
    }
}
