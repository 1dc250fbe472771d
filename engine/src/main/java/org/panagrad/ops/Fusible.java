package org.panagrad.ops;

import org.panagrad.graph.Node;

import java.util.function.IntPredicate;

/**
 * An op that knows how to absorb the op producing one of its inputs, for ops outside this package (such as
 * optimizer updates) that the compiler's fusion pass cannot know about.
 */
public interface Fusible {
    /**
     * A fused replacement for y, or y itself. {@code readOnlyHere} tells whether input i is read by y alone,
     * the condition for not storing it at all.
     */
    Node fuse(Node y, IntPredicate readOnlyHere);
}
