package org.panagrad.graph;

/** Element types. Labels are class indices, stored as exact small integers in float buffers. */
public enum DType {
    FLOAT, LABELS
}
