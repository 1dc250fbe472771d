package org.panagrad.onnx;

import org.panagrad.io.ProtoWriter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The few messages of the ONNX format an export writes, built with {@link ProtoWriter}. Field numbers and
 * enum values are those of the ONNX specification's onnx.proto (IR version 8, which opset 17 belongs to).
 */
final class OnnxProto {
    private OnnxProto() {}

    /** TensorProto.DataType */
    static final int FLOAT = 1, INT64 = 7, BOOL = 9;

    /** AttributeProto.AttributeType */
    private static final int ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7;

    // ModelProto
    static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_DOC_STRING = 6,
            MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8, MODEL_METADATA_PROPS = 14;
    // OperatorSetIdProto
    static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2;
    // GraphProto
    static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_DOC_STRING = 10, GRAPH_INPUT = 11,
            GRAPH_OUTPUT = 12;
    // NodeProto
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5;
    // AttributeProto
    private static final int ATTRIBUTE_NAME = 1, ATTRIBUTE_F = 2, ATTRIBUTE_I = 3, ATTRIBUTE_INTS = 8, ATTRIBUTE_TYPE = 20;
    // TensorProto
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9;
    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TENSOR_ELEM_TYPE = 1, TENSOR_SHAPE = 2,
            SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2;
    // StringStringEntryProto
    static final int ENTRY_KEY = 1, ENTRY_VALUE = 2;

    /** A NodeProto; attributes are added with {@link #intAttribute} and friends. */
    static ProtoWriter node(String opType, String name, String[] inputs, String... outputs) {
        ProtoWriter n = new ProtoWriter();
        for (String in : inputs) n.string(NODE_INPUT, in);
        for (String out : outputs) n.string(NODE_OUTPUT, out);
        n.string(NODE_NAME, name);
        n.string(NODE_OP_TYPE, opType);
        return n;
    }

    static void intAttribute(ProtoWriter node, String name, long value) {
        node.message(NODE_ATTRIBUTE, new ProtoWriter().string(ATTRIBUTE_NAME, name).varint(ATTRIBUTE_I, value)
                .varint(ATTRIBUTE_TYPE, ATTR_INT));
    }

    static void floatAttribute(ProtoWriter node, String name, float value) {
        node.message(NODE_ATTRIBUTE, new ProtoWriter().string(ATTRIBUTE_NAME, name).float32(ATTRIBUTE_F, value)
                .varint(ATTRIBUTE_TYPE, ATTR_FLOAT));
    }

    static void intsAttribute(ProtoWriter node, String name, long... values) {
        ProtoWriter a = new ProtoWriter().string(ATTRIBUTE_NAME, name);
        for (long v : values) a.varint(ATTRIBUTE_INTS, v);
        node.message(NODE_ATTRIBUTE, a.varint(ATTRIBUTE_TYPE, ATTR_INTS));
    }

    /** A float tensor, its values little-endian in raw_data. */
    static ProtoWriter floatTensor(String name, int[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return tensor(name, dims, FLOAT, raw.array());
    }

    static ProtoWriter int64Tensor(String name, long[] values) {
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return tensor(name, new int[] {values.length}, INT64, raw.array());
    }

    private static ProtoWriter tensor(String name, int[] dims, int dataType, byte[] raw) {
        ProtoWriter t = new ProtoWriter();
        for (int d : dims) t.varint(TENSOR_DIMS, d);
        return t.varint(TENSOR_DATA_TYPE, dataType).string(TENSOR_NAME, name).bytes(TENSOR_RAW_DATA, raw);
    }

    /**
     * A ValueInfoProto of a tensor of {@code elemType} (FLOAT, INT64); a dimension with a non-null {@code params[i]}
     * is symbolic, named by it.
     */
    static ProtoWriter valueInfo(String name, int elemType, int[] dims, String[] params) {
        ProtoWriter shape = new ProtoWriter();
        for (int i = 0; i < dims.length; i++) {
            ProtoWriter dim = params[i] != null ? new ProtoWriter().string(DIM_PARAM, params[i])
                    : new ProtoWriter().varint(DIM_VALUE, dims[i]);
            shape.message(SHAPE_DIM, dim);
        }
        ProtoWriter tensorType = new ProtoWriter().varint(TENSOR_ELEM_TYPE, elemType).message(TENSOR_SHAPE, shape);
        return new ProtoWriter().string(VALUE_NAME, name).message(VALUE_TYPE, new ProtoWriter().message(TYPE_TENSOR, tensorType));
    }
}
