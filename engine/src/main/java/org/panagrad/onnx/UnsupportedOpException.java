package org.panagrad.onnx;

/** A graph holds an op that has no ONNX export rule; nothing was written. */
public final class UnsupportedOpException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UnsupportedOpException(String message) {
        super(message);
    }
}
