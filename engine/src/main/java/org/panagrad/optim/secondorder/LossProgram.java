package org.panagrad.optim.secondorder;

import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.List;

/** A compiled forward pass to the loss alone: what a line search evaluates at its trial points. */
final class LossProgram {
    private final Program program;
    private final Node loss;

    LossProgram(ParameterStore store, Node loss) {
        this.loss = loss;
        this.program = Compiler.compile(store, List.of(loss));
    }

    float run() {
        program.run();
        return program.scalar(loss);
    }

    Program program() {
        return program;
    }
}
