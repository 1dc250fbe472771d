package org.panagrad.nn;

import org.panagrad.runtime.ParameterStore;

import java.util.List;
import java.util.SplittableRandom;

/** A module with neither parameters nor buffers (ReLU, pooling, flatten, dropout): nothing to save or draw. */
public interface StatelessModule extends Module {
    @Override
    default List<StateEntry> state() {
        return List.of();
    }

    @Override
    default void initialize(ParameterStore store, Init init, SplittableRandom rnd) {}
}
