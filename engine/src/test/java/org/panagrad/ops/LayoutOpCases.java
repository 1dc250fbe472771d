package org.panagrad.ops;

import org.panagrad.graph.Node;
import org.panagrad.graph.Shape;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.panagrad.ops.Ops.concat;
import static org.panagrad.ops.Ops.gather;
import static org.panagrad.ops.Ops.matmul;
import static org.panagrad.ops.Ops.pad;
import static org.panagrad.ops.Ops.permute;
import static org.panagrad.ops.Ops.reshape;
import static org.panagrad.ops.Ops.slice;
import static org.panagrad.testing.OpCase.floats;
import static org.panagrad.testing.OpCase.labels;

/**
 * The layout ops and batched matmul at ranks 1 to 4, on odd sizes (1, 3, 7, 17), and composites where their
 * rules meet (a Linear on a sequence, attention's layout dance, an embedding model). Gather's and scatter-add's
 * indices are integer arguments.
 */
public class LayoutOpCases implements OpCases {
    private static OpCase c(String name, Function<Node[], Node> f, OpCase.Arg... args) {
        return OpCase.of(name + " " + Arrays.stream(args).map(a -> (a.isLabels() ? "ids" : "") + Shape.of(a.dims()))
                .collect(Collectors.joining(" ")), f, args);
    }

    private static int[] s(int... dims) {
        return dims;
    }

    @Override
    public List<OpCase> cases() {
        List<OpCase> cases = new ArrayList<>();
        // reshape: a view in programs.
        cases.add(c("reshape", x -> reshape(x[0], 7, 3), floats(3, 7)));
        cases.add(c("reshape to a row", x -> reshape(x[0], 1, 17), floats(17)));
        cases.add(c("reshape to a vector", x -> reshape(x[0], -1), floats(3, 1, 7)));
        cases.add(c("reshape rank 4", x -> reshape(x[0], 3, -1, 1, 3), floats(1, 3, 7, 3)));

        // permute: runs, transposes, and the common layouts.
        cases.add(c("permute", x -> permute(x[0], 1, 0), floats(3, 7)));
        cases.add(c("transpose", x -> Ops.transpose(x[0]), floats(17, 3)));
        cases.add(c("permute", x -> permute(x[0], 2, 0, 1), floats(3, 7, 1)));
        cases.add(c("transpose axes 0 and 2", x -> Ops.transpose(x[0], 0, -1), floats(7, 1, 3)));
        cases.add(c("permute [B,T,H,d] to [B,H,T,d]", x -> permute(x[0], 0, 2, 1, 3), floats(1, 3, 7, 3)));
        cases.add(c("permute NCHW to NHWC", x -> permute(x[0], 0, 2, 3, 1), floats(3, 3, 1, 7)));
        cases.add(c("permute NHWC to NCHW", x -> permute(x[0], 0, 3, 1, 2), floats(1, 7, 3, 3)));
        cases.add(c("permute reversed", x -> permute(x[0], 3, 2, 1, 0), floats(3, 1, 7, 3)));
        cases.add(c("permute of axes of length 1", x -> permute(x[0], 1, 0, 2), floats(3, 1, 7)));

        // slice, with steps, negative positions and clamped stops; select; and its adjoint, pad.
        cases.add(c("slice with a step", x -> slice(x[0], 0, 2, 15, 3), floats(17)));
        cases.add(c("slice of columns", x -> slice(x[0], 1, 1, -1), floats(7, 17)));
        cases.add(c("slice of rows (a view)", x -> slice(x[0], 0, 2, 5), floats(7, 3)));
        cases.add(c("slice of every axis", x -> slice(x[0], s(1, 0, 2), s(3, 7, 100), s(1, 3, 5)), floats(3, 7, 17)));
        cases.add(c("slice rank 4", x -> slice(x[0], s(0, 0, 1, -2), s(2, 1, 7, 3), s(2, 1, 2, 1)), floats(3, 1, 7, 3)));
        cases.add(c("select", x -> Ops.select(x[0], 1, 0), floats(3, 7, 3)));
        cases.add(c("select the last", x -> Ops.select(x[0], 0, -1), floats(3, 7)));
        cases.add(c("pad", x -> pad(x[0], s(2), s(3)), floats(7)));
        cases.add(c("pad rank 2", x -> pad(x[0], s(1, 0), s(0, 2)), floats(3, 7)));
        cases.add(c("pad rank 3", x -> pad(x[0], s(0, 1, 2), s(1, 0, 3)), floats(3, 1, 7)));
        cases.add(c("pad the spatial axes of NCHW", x -> pad(x[0], s(0, 0, 1, 1), s(0, 0, 1, 1)), floats(1, 3, 7, 3)));
        cases.add(c("slice of a pad", x -> slice(pad(x[0], s(1, 2), s(3, 1)), s(0, 1), s(100, 100), s(2, 3)), floats(3, 7)));

        // concat, with repeated operands.
        cases.add(c("concat", x -> concat(0, x[0], x[1]), floats(3), floats(7)));
        cases.add(c("concat rows", x -> concat(0, x[0], x[1]), floats(3, 7), floats(1, 7)));
        cases.add(c("concat columns", x -> concat(-1, x[0], x[1], x[0]), floats(3, 1), floats(3, 7)));
        cases.add(c("concat rank 3", x -> concat(1, x[0], x[1]), floats(3, 1, 7), floats(3, 3, 7)));
        cases.add(c("concat channels", x -> concat(1, x[0], x[1], x[2]), floats(1, 3, 3, 7), floats(1, 1, 3, 7), floats(1, 7, 3, 7)));

        // gather (embedding lookups) and its adjoint, scatter_add.
        cases.add(c("gather", x -> gather(x[0], x[1]), floats(7, 3), labels(7, 17)));
        cases.add(c("gather from a vector", x -> gather(x[0], x[1]), floats(17), labels(17, 3, 7)));
        cases.add(c("gather with scalar indices", x -> gather(x[0], x[1]), floats(3, 7), labels(3)));
        cases.add(c("gather rank 1", x -> gather(x[0], x[1]), floats(7), labels(7, 3)));
        cases.add(c("gather of a matrix by rank-2 indices", x -> gather(x[0], x[1]), floats(7, 3), labels(7, 1, 17)));
        cases.add(c("gather rank 3", x -> gather(x[0], x[1]), floats(7, 3, 1), labels(7, 3, 1)));
        cases.add(c("gather rank 4", x -> gather(x[0], x[1]), floats(3, 1, 7, 3), labels(3, 7)));
        cases.add(c("scatter_add", x -> ScatterAdd.of(x[0], x[1], Shape.of(7, 3)), floats(3, 3, 3), labels(7, 3, 3)));
        cases.add(c("scatter_add rank 2", x -> ScatterAdd.of(x[0], x[1], Shape.of(5, 7)), floats(3, 7), labels(5, 3)));
        cases.add(c("scatter_add rank 4", x -> ScatterAdd.of(x[0], x[1], Shape.of(5, 1, 7, 3)), floats(3, 1, 7, 3), labels(5, 3)));
        cases.add(c("scatter_add rank 1", x -> ScatterAdd.of(x[0], x[1], Shape.of(3)), floats(17), labels(3, 17)));

        // matmul: batched, broadcast, transposed, vectors, and the folded [..., m, k] . [k, n].
        cases.add(c("matmul", x -> matmul(x[0], x[1]), floats(3, 7), floats(7, 3)));
        cases.add(c("matmul folded", x -> matmul(x[0], x[1]), floats(3, 1, 7), floats(7, 17)));
        cases.add(c("matmul folded B^T", x -> matmul(x[0], x[1], false, true), floats(3, 7, 3), floats(17, 3)));
        cases.add(c("matmul folded over a broadcast B", x -> matmul(x[0], x[1]), floats(3, 3, 7), floats(1, 7, 3)));
        cases.add(c("matmul batched", x -> matmul(x[0], x[1]), floats(3, 7, 1), floats(3, 1, 7)));
        cases.add(c("matmul batched A^T", x -> matmul(x[0], x[1], true, false), floats(3, 7, 3), floats(3, 7, 1)));
        cases.add(c("matmul batched A^T B^T", x -> matmul(x[0], x[1], true, true), floats(3, 7, 3), floats(1, 7)));
        cases.add(c("matmul of a matrix by a batch", x -> matmul(x[0], x[1]), floats(3, 7), floats(3, 7, 3)));
        cases.add(c("matmul broadcast both ways", x -> matmul(x[0], x[1]), floats(1, 3, 7, 3), floats(3, 1, 3, 7)));
        cases.add(c("matmul attention scores", x -> matmul(x[0], x[1], false, true), floats(1, 3, 7, 3), floats(1, 3, 7, 3)));
        cases.add(c("matmul of a transposed permute", x -> matmul(x[0], Ops.transpose(x[1])), floats(3, 7, 3), floats(3, 7, 3)));
        cases.add(c("matmul dot", x -> matmul(x[0], x[1]), floats(7), floats(7)));
        cases.add(c("matmul vector by batch", x -> matmul(x[0], x[1]), floats(7), floats(3, 7, 3)));
        cases.add(c("matmul batch by vector", x -> matmul(x[0], x[1]), floats(3, 1, 7), floats(7)));

        // Composites, where rules meet: a Linear on a sequence, attention's layout dance, an embedding model.
        cases.add(c("linear on [B,T,in] with bias and relu", x -> Ops.sum(Ops.relu(Ops.add(matmul(x[0], x[1]), x[2]))),
                floats(3, 7, 3), floats(3, 17), floats(17)));
        cases.add(c("heads split, scored and merged", x -> {
            Node q = permute(reshape(x[0], 1, 7, 3, 1), 0, 2, 1, 3);
            Node scores = matmul(q, q, false, true);
            return reshape(permute(matmul(scores, q), 0, 2, 1, 3), 1, 7, 3);
        }, floats(1, 7, 3)));
        cases.add(c("embedding, concat and slice", x -> {
            Node e = gather(x[0], x[1]);
            return slice(concat(1, e, Ops.tanh(e)), 1, 1, 6, 2);
        }, floats(7, 3), labels(7, 3, 3)));
        return cases;
    }
}
