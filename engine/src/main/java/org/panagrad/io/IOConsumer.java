package org.panagrad.io;

import java.io.IOException;

/** A consumer that may fail with an {@link IOException}, for code that writes to a stream it is handed. */
@FunctionalInterface
public interface IOConsumer<T> {
    void accept(T value) throws IOException;
}
