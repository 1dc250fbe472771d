package org.panagrad.ops;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.panagrad.graph.Node;
import org.panagrad.testing.OpCase;
import org.panagrad.testing.OpCatalog;
import org.panagrad.testing.OpCases;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every op of the engine has gradcheck cases ({@link OpCases}, run by {@link OpGradCheckTest}) at every rank from
 * 1 to 4 (the highest rank among a case's inputs and output), or is exempt here with the reason and where it is
 * checked instead. A new op fails this test until it
 * has both.
 */
class OpRegistryTest {
    /** Ops without gradcheck cases: leaves, compiler-only fused ops, side effects, and the two without float derivatives. */
    private static final Map<String, String> EXEMPT = Map.ofEntries(
            Map.entry("org.panagrad.graph.Input", "a leaf: nothing to differentiate"),
            Map.entry("org.panagrad.graph.Variable", "a leaf: nothing to differentiate"),
            Map.entry("org.panagrad.graph.Constant", "a leaf: nothing to differentiate"),
            Map.entry("org.panagrad.graph.Fill", "a leaf: nothing to differentiate"),
            Map.entry("org.panagrad.ops.fused.FusedLinear", "compiler-only, made after differentiation: CompiledProgramTest runs fused programs against the unfused reference"),
            Map.entry("org.panagrad.ops.fused.FusedConv", "compiler-only, made after differentiation: ConvFusionTest runs it against the unfused reference"),
            Map.entry("org.panagrad.ops.fused.MaskedProduct", "compiler-only, made after differentiation: CompiledProgramTest"),
            Map.entry("org.panagrad.ops.fused.ReluBackward", "compiler-only, made after differentiation: CompiledProgramTest"),
            Map.entry("org.panagrad.ops.fused.ScaledGram", "compiler-only (its upper form made by LayerBackprop for the factors), made after differentiation: GramScaleFusionTest runs it against the unfused reference"),
            Map.entry("org.panagrad.ops.fused.ChannelAffinePair", "compiler-only, made after differentiation: the batch_norm cases' compiled checks and BatchNormBackwardFusionTest"),
            Map.entry("org.panagrad.ops.fused.ChannelAffineRelu", "compiler-only, made after differentiation: BatchNormReluFusionTest against the unfused program's bits and the reference"),
            Map.entry("org.panagrad.ops.fused.MaskedChannelDots", "compiler-only, made after differentiation: BatchNormReluFusionTest"),
            Map.entry("org.panagrad.ops.fused.MaskedAffinePair", "compiler-only, made after differentiation: BatchNormReluFusionTest"),
            Map.entry("org.panagrad.optim.SgdUpdate", "a training step's side effect, never differentiated: TrainingStepTest against the reference"),
            Map.entry("org.panagrad.optim.AdamUpdate", "a training step's side effect, never differentiated: TrainingStepTest"),
            Map.entry("org.panagrad.optim.GemmSgdUpdate", "a training step's side effect, never differentiated: TrainingStepTest"),
            Map.entry("org.panagrad.ops.StopGradient", "its derivatives are zero by definition, which differences of its value (x) do not show: StopGradientTest"),
            Map.entry("org.panagrad.ops.RunningStatistics", "batch norm's running-statistics update, a training step's side effect, never differentiated: BatchNormTest against PyTorch's formula"),
            Map.entry("org.panagrad.ops.CountedWeights", "reads integer labels only; it weighs the Hessian products of the cross-entropy cases with ignored labels, checked there"));

    /** Ops defined at some ranks only, and why. Every other op must have cases at ranks 1, 2, 3 and 4. */
    private static final Map<String, Set<Integer>> RANKS = Map.ofEntries(
            // Batch normalisation needs a batch axis and a channel axis: [N, C, ...], as PyTorch's BatchNorm1d/2d/3d.
            Map.entry("org.panagrad.ops.BatchMoments", Set.of(2, 3, 4)),
            Map.entry("org.panagrad.ops.ChannelAffine", Set.of(2, 3, 4)),
            Map.entry("org.panagrad.ops.ChannelDots", Set.of(2, 3, 4)),
            // A vector operand is a [1, k] or [k, 1] matrix reshaped around the product, as torch.matmul's rule
            // says, so the op itself never sees rank 1; LayoutOpCases' dot and vector cases check that path.
            Map.entry("org.panagrad.ops.MatMul", Set.of(2, 3, 4)),
            // The only permutation of one axis is the identity, which builds no node.
            Map.entry("org.panagrad.ops.Permute", Set.of(2, 3, 4)),
            // Convolutions and pooling are defined on NCHW images only, as torch's conv2d and max_pool2d on
            // batched input (ConvOpCases); rank 3 unbatched images are left to a reshape.
            Map.entry("org.panagrad.ops.Conv2d", Set.of(4)),
            Map.entry("org.panagrad.ops.Conv2dInputGrad", Set.of(4)),
            Map.entry("org.panagrad.ops.Conv2dWeightGrad", Set.of(4)),
            Map.entry("org.panagrad.ops.Unfold", Set.of(4)),
            Map.entry("org.panagrad.ops.PatchGram", Set.of(4)),
            Map.entry("org.panagrad.ops.MaxPool2d", Set.of(4)),
            Map.entry("org.panagrad.ops.MaxPool2dScatter", Set.of(4)),
            Map.entry("org.panagrad.ops.MaxPool2dGather", Set.of(4)),
            Map.entry("org.panagrad.ops.AvgPool2d", Set.of(4)),
            Map.entry("org.panagrad.ops.AvgPool2dAdjoint", Set.of(4)),
            // Queries, keys and values are [..., T, d] matrices.
            Map.entry("org.panagrad.ops.Attention", Set.of(2, 3, 4)),
            Map.entry("org.panagrad.ops.AttentionGrad", Set.of(2, 3, 4)),
            Map.entry("org.panagrad.ops.AttentionGradVjp", Set.of(2, 3, 4)));

    private static List<String> ops;
    /** The ranks at which each op class is the output of some case. */
    private static final Map<String, Set<Integer>> covered = new TreeMap<>();

    @BeforeAll
    static void scan() {
        ops = OpCatalog.ops();
        for (OpCases family : OpCatalog.families()) {
            for (OpCase c : family.cases()) {
                Node y = c.build(new Random(0)).y();
                int rank = Math.max(y.shape().rank(), c.args().stream().mapToInt(a -> a.dims().length).max().orElse(0));
                String op = y.op().getClass().getName();
                covered.computeIfAbsent(op, k -> new TreeSet<>()).add(rank);
            }
        }
    }

    @Test
    void everyOpHasGradcheckCasesOrIsExemptWithAReason() {
        List<String> missing = new ArrayList<>();
        for (String op : ops) if (!covered.containsKey(op) && !EXEMPT.containsKey(op)) missing.add(op);
        assertTrue(missing.isEmpty(), "ops without gradcheck cases: " + missing
                + ". Add cases to the family's OpCases class in the test sources (or a new one).");
    }

    @Test
    void everyOpIsCheckedAtRanksOneToFour() {
        List<String> missing = new ArrayList<>();
        covered.forEach((op, ranks) -> {
            Set<Integer> needed = RANKS.getOrDefault(op, Set.of(1, 2, 3, 4));
            if (!ranks.containsAll(needed)) missing.add(op + " has cases at ranks " + ranks + ", needs " + needed);
        });
        assertTrue(missing.isEmpty(), String.join("; ", missing));
    }

    @Test
    void theExemptionsAndRankLimitsNameOpsThatExist() {
        Set<String> stale = new TreeSet<>(EXEMPT.keySet());
        stale.addAll(RANKS.keySet());
        stale.removeAll(ops);
        assertTrue(stale.isEmpty(), "exemptions or rank limits for classes that are not ops: " + stale);
    }
}
