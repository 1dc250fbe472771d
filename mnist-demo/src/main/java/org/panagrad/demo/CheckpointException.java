package org.panagrad.demo;

import java.nio.file.Path;

/** A checkpoint file that reads fine as safetensors but does not hold a model this demo can run. */
final class CheckpointException extends RuntimeException {
    CheckpointException(Path path, String detail) {
        super(path + ": " + detail);
    }
}
