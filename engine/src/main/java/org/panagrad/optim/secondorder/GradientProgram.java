package org.panagrad.optim.secondorder;

import org.panagrad.autodiff.Autodiff;
import org.panagrad.compiler.Compiler;
import org.panagrad.graph.Node;
import org.panagrad.runtime.ParameterStore;
import org.panagrad.runtime.Program;

import java.util.ArrayList;
import java.util.List;

/** A compiled loss-and-gradient program whose gradient is read as one flat vector (parameters in list order). */
final class GradientProgram {
    private final Program program;
    private final Node loss;
    private final Node[] grads;

    GradientProgram(ParameterStore store, Node loss, List<Node> params) {
        this.loss = loss;
        this.grads = Autodiff.grad(loss, params.toArray(new Node[0]));
        List<Node> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(List.of(grads));
        this.program = Compiler.compile(store, outputs);
    }

    /** Runs at the current parameters on the data fed; writes the flat gradient and returns the loss. */
    float run(float[] gradient) {
        program.run();
        int off = 0;
        for (Node g : grads) {
            program.readInto(g, gradient, off);
            off += g.shape().numel();
        }
        return program.scalar(loss);
    }

    /** Runs at the current parameters and returns the loss, leaving the gradient unread. */
    float runLossOnly() {
        program.run();
        return program.scalar(loss);
    }

    Program program() {
        return program;
    }
}
