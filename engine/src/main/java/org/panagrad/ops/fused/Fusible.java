package org.panagrad.ops.fused;

import org.panagrad.graph.Node;

/**
 * An op that knows how to absorb the op producing one of its inputs, for ops outside this package (such as
 * optimizer updates) that the compiler's fusion pass cannot know about.
 */
public interface Fusible {
    /** What the fusion pass knows about the graph around y. */
    interface Context {
        /** Whether y's input i is read by y alone, the condition for not storing it at all. */
        boolean readOnlyHere(int input);

        /**
         * Whether another fused op may write its result over n's memory ({@link MaskedProduct}; the memory
         * planner does when n dies there): whatever still reads n must run before that op for it to.
         */
        boolean overwrittenInPlace(Node n);
    }

    /** A fused replacement for y, or y itself. */
    Node fuse(Node y, Context context);
}
