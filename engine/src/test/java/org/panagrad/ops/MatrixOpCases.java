package org.panagrad.ops;

import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.List;

import static org.panagrad.testing.OpCase.floats;

/** The matrix product (each operand transposed or not), the matrix transpose, and reshape at ranks 1 to 4. */
public class MatrixOpCases implements OpCases {
    @Override
    public List<OpCase> cases() {
        return List.of(
                OpCase.of("matmul", x -> Ops.matmul(x[0], x[1]), floats(3, 7), floats(7, 1)),
                OpCase.of("matmul A^T", x -> Ops.matmul(x[0], x[1], true, false), floats(7, 3), floats(7, 5)),
                OpCase.of("matmul B^T", x -> Ops.matmul(x[0], x[1], false, true), floats(1, 7), floats(17, 7)),
                OpCase.of("matmul A^T B^T", x -> Ops.matmul(x[0], x[1], true, true), floats(7, 3), floats(5, 7)),
                OpCase.of("transpose", x -> Ops.transpose(x[0]), floats(3, 7)),
                OpCase.of("reshape [] to [1]", x -> Ops.reshape(x[0], 1), floats()),
                OpCase.of("reshape [21] to [3x7]", x -> Ops.reshape(x[0], 3, 7), floats(21)),
                OpCase.of("reshape [3x7] to [7x3]", x -> Ops.reshape(x[0], 7, 3), floats(3, 7)),
                OpCase.of("reshape [3x1x7] to [21]", x -> Ops.reshape(x[0], 21), floats(3, 1, 7)),
                OpCase.of("reshape [3x1x7x1] to [7x3]", x -> Ops.reshape(x[0], 7, 3), floats(3, 1, 7, 1)));
    }
}
