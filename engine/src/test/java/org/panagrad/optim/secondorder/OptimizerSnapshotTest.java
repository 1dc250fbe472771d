package org.panagrad.optim.secondorder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.SafeTensorsFile;
import org.panagrad.io.TensorData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Snapshots of the closure optimizers: save, restore elsewhere, continue bit for bit; bad states are refused. */
class OptimizerSnapshotTest {
    @TempDir
    Path dir;

    enum Kind {
        NEWTON_CG(p -> NewtonCg.create(p.store, p.objectiveWithSubBatchCurvature(),
                NewtonCg.Options.defaults().withMaxCgIterations(8))),
        ADAHESSIAN(p -> AdaHessian.create(p.store, p.objective(), AdaHessian.Options.defaults().withLr(0.05).withSeed(3))),
        // A history of 3 after 7 steps: the ring of pairs has wrapped, so the saved order is not the slot order.
        LBFGS(p -> Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults().withHistory(3)));

        final Function<Problems, ClosureOptimizer> create;

        Kind(Function<Problems, ClosureOptimizer> create) {
            this.create = create;
        }
    }

    private static Problems problem() {
        return Problems.mlp(13, 32, 12, 5, 7, 3);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRestoredOptimizerContinuesBitForBitThroughAFile(Kind kind) throws IOException {
        int k = 7, m = 6;
        Problems p = problem();
        ClosureOptimizer original = kind.create.apply(p);
        for (int i = 0; i < k; i++) original.step(p.feeder);
        float[] thetaAtK = p.flatParameters();
        OptimizerSnapshot saved = roundTripThroughAFile(original.snapshot());
        for (int i = 0; i < m; i++) original.step(p.feeder);

        Problems q = problem();
        q.setFlatParameters(thetaAtK);
        ClosureOptimizer restored = kind.create.apply(q);
        restored.restore(saved);
        assertEquals(k, restored.stepCount());
        for (int i = 0; i < m; i++) restored.step(q.feeder);
        assertArrayEquals(p.flatParameters(), q.flatParameters(), kind + ": parameters after " + m + " more steps");
        assertEquals(original.snapshot(), restored.snapshot(), kind + ": state after " + m + " more steps");

        // Without the state the same steps go elsewhere, so the comparison above did test the restore.
        Problems fresh = problem();
        fresh.setFlatParameters(thetaAtK);
        ClosureOptimizer restarted = kind.create.apply(fresh);
        for (int i = 0; i < m; i++) restarted.step(fresh.feeder);
        assertFalse(Arrays.equals(p.flatParameters(), fresh.flatParameters()), kind + ": the state made no difference");
    }

    /** As the demo stores it: tensors, and the scalars as the file's metadata. */
    private OptimizerSnapshot roundTripThroughAFile(OptimizerSnapshot state) throws IOException {
        Path file = dir.resolve(state.optimizer() + ".safetensors");
        SafeTensors.write(file, state.tensors(), state.scalars());
        SafeTensorsFile read = SafeTensors.read(file);
        return new OptimizerSnapshot(state.optimizer(), read.tensors(), read.metadata());
    }

    @Test
    void anotherOptimizersStateIsRefused() {
        Problems p = problem();
        OptimizerSnapshot lbfgs = Kind.LBFGS.create.apply(p).snapshot();
        ClosureOptimizer newtonCg = Kind.NEWTON_CG.create.apply(p);
        assertMessage("cannot restore newton-cg from the state of lbfgs", () -> newtonCg.restore(lbfgs));
        // Same tensors under another optimizer's name are refused too: the name is checked, not only the shapes.
        OptimizerSnapshot adaHessian = Kind.ADAHESSIAN.create.apply(p).snapshot();
        OptimizerSnapshot relabelled = new OptimizerSnapshot("lbfgs", adaHessian.tensors(), adaHessian.scalars());
        assertMessage("lbfgs state: expected the tensors [s, y], found [exp_avg, exp_hessian_diag_sq]",
                () -> Kind.LBFGS.create.apply(p).restore(relabelled));
    }

    @Test
    void aStateOfAnotherModelSizeIsRefusedAndChangesNothing() {
        Problems small = Problems.mlp(13, 32, 12, 5, 4, 3), large = problem(); // 39 and 66 parameters
        AdaHessian target = (AdaHessian) Kind.ADAHESSIAN.create.apply(large);
        target.step(large.feeder);
        OptimizerSnapshot before = target.snapshot();
        OptimizerSnapshot other = Kind.ADAHESSIAN.create.apply(small).snapshot();
        assertMessage("adahessian state: tensor 'exp_avg' has shape [39]; expected [66]", () -> target.restore(other));

        // One good tensor and one bad: the good one must not have been copied in before the bad one was seen.
        List<TensorData> mixed = new ArrayList<>(other.tensors());
        mixed.set(0, new TensorData("exp_avg", new int[] {66}, new float[66]));
        OptimizerSnapshot half = new OptimizerSnapshot("adahessian", mixed, other.scalars());
        assertMessage("adahessian state: tensor 'exp_hessian_diag_sq' has shape [39]; expected [66]",
                () -> target.restore(half));
        assertEquals(before, target.snapshot());

        NewtonCg newtonCg = (NewtonCg) Kind.NEWTON_CG.create.apply(large);
        OptimizerSnapshot matrix = new OptimizerSnapshot("newton-cg", List.of(new TensorData("previous_direction",
                new int[] {6, 11}, new float[66])), newtonCg.snapshot().scalars());
        assertMessage("newton-cg state: tensor 'previous_direction' has shape [6, 11]; expected [66]",
                () -> newtonCg.restore(matrix));
    }

    @Test
    void missingExtraAndMalformedEntriesAreNamed() {
        Problems p = problem();
        ClosureOptimizer newtonCg = Kind.NEWTON_CG.create.apply(p);
        OptimizerSnapshot good = newtonCg.snapshot();

        List<TensorData> extra = new ArrayList<>(good.tensors());
        extra.add(new TensorData("momentum", new int[] {66}, new float[66]));
        assertMessage("newton-cg state: expected the tensors [previous_direction], found [momentum, previous_direction]",
                () -> newtonCg.restore(new OptimizerSnapshot("newton-cg", extra, good.scalars())));

        Map<String, String> noDamping = new HashMap<>(good.scalars());
        noDamping.remove("damping");
        assertMessage("newton-cg state: no scalar 'damping'",
                () -> newtonCg.restore(new OptimizerSnapshot("newton-cg", good.tensors(), noDamping)));

        Map<String, String> negativeSteps = new HashMap<>(good.scalars());
        negativeSteps.put("steps", "-4");
        assertMessage("newton-cg state: scalar 'steps' holds '-4'; expected a count (an integer >= 0)",
                () -> newtonCg.restore(new OptimizerSnapshot("newton-cg", good.tensors(), negativeSteps)));

        Map<String, String> runaway = new HashMap<>(good.scalars());
        runaway.put("damping", "1e300");
        assertMessage("a damping of 1.0E300 is outside this optimizer's range [1.0E-8, 1.0E8]",
                () -> newtonCg.restore(new OptimizerSnapshot("newton-cg", good.tensors(), runaway)));
    }

    @Test
    void anLbfgsHistoryLongerThanTheOptimizerKeepsIsRefused() {
        Problems p = problem();
        Lbfgs longHistory = Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults().withHistory(5));
        for (int i = 0; i < 6; i++) longHistory.step(p.feeder);
        OptimizerSnapshot five = longHistory.snapshot();
        assertEquals(5, five.shapeOf("s")[0], "six steps on a fixed batch fill a history of five");
        assertMessage("lbfgs state: tensor 's' has shape [5, 66]; expected [pairs, 66] with at most 3 pairs",
                () -> Kind.LBFGS.create.apply(problem()).restore(five));

        Map<String, String> shortRho = new HashMap<>(five.scalars());
        shortRho.put("rho", "0.5,0.25");
        ClosureOptimizer roomy = Lbfgs.create(p.store, p.objective(), Lbfgs.Options.defaults());
        assertMessage("lbfgs state: scalar 'rho' holds 2 values; expected 5",
                () -> roomy.restore(new OptimizerSnapshot("lbfgs", five.tensors(), shortRho)));
    }

    private static void assertMessage(String expectedStart, org.junit.jupiter.api.function.Executable restore) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, restore);
        if (!e.getMessage().startsWith(expectedStart)) {
            assertEquals(expectedStart, e.getMessage(), "the message should start with the expected text");
        }
    }
}
