package org.panagrad.graph;

/** Fixed values, copied into a program's arena once when it is compiled. */
public record Constant(float[] values, int uid) implements Leaf {
    @Override
    public Storage storage() {
        return Storage.CONSTANT;
    }

    @Override
    public void writeConstant(Node y, float[] dst, int offset) {
        System.arraycopy(values, 0, dst, offset, values.length);
    }

    @Override
    public String name() {
        return "constant";
    }

    @Override
    public void reference(Node y, double[][] inputs, double[] out) {
        for (int i = 0; i < out.length; i++) out[i] = values[i];
    }

    // Identity is the uid alone: the array is never mutated after the graph copies it in.
    @Override
    public boolean equals(Object o) {
        return o instanceof Constant && ((Constant) o).uid == uid;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(uid);
    }
}
