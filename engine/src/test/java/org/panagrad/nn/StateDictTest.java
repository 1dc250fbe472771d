package org.panagrad.nn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.graph.Graph;
import org.panagrad.io.SafeTensors;
import org.panagrad.io.TensorData;
import org.panagrad.runtime.ParameterStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** State dicts in safetensors: PyTorch's names, layouts and dtypes both ways; a file that does not fit fails naming why. */
class StateDictTest {
    @TempDir
    Path temp;

    private static Sequential model(Graph g, int hidden) {
        return Sequential.builder(g, "").add((graph, name) -> Linear.create(graph, name, 3, hidden)).add(Activation.RELU)
                .add((graph, name) -> BatchNorm2d.create(graph, name, hidden)).build();
    }

    @Test
    void aSavedStateDictLoadsIntoAFreshModelWithItsLayoutsAndDtypes() throws IOException {
        Graph g = new Graph();
        Sequential m = model(g, 4);
        ParameterStore store = new ParameterStore();
        m.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(9));
        BatchNorm2d bn = (BatchNorm2d) m.modules().get(2);
        store.set(bn.runningVar(), new float[] {1, 2, 3, 4});
        store.set(bn.batchesTracked(), new float[] {937});
        Path file = temp.resolve("m.safetensors");
        StateDict.save(file, m, store, Map.of("model", "test"));

        List<TensorData> written = SafeTensors.read(file).tensors();
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var", "2.num_batches_tracked"),
                written.stream().map(TensorData::name).toList());
        assertArrayEquals(new int[] {4, 3}, written.get(0).shape()); // PyTorch's [out, in]
        assertEquals("I64", written.get(6).dtype());

        Graph g2 = new Graph();
        Sequential fresh = model(g2, 4);
        ParameterStore store2 = new ParameterStore();
        assertEquals("test", StateDict.load(file, fresh, store2, "the test model").get("model"));
        for (int i = 0; i < m.state().size(); i++) {
            assertArrayEquals(store.get(m.state().get(i).node()), store2.get(fresh.state().get(i).node()), m.state().get(i).name());
        }
    }

    @Test
    void aFileThatDoesNotFitNamesTheFirstTensorThatDiffersAndBothShapes() throws IOException {
        Graph g = new Graph();
        Sequential m = model(g, 4);
        ParameterStore store = new ParameterStore();
        m.initialize(store, Init.TORCH_DEFAULT, new SplittableRandom(9));
        Path file = temp.resolve("m.safetensors");
        StateDict.save(file, m, store, Map.of());

        Graph g2 = new Graph();
        Sequential other = model(g2, 5);
        ParameterStore store2 = new ParameterStore();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDict.load(file, other, store2, "wide"));
        assertEquals(file + " does not fit wide: tensor '0.weight' is [4, 3] in the file but [5, 3] in wide", e.getMessage());
        assertEquals(List.of(), store2.variables(), "nothing is loaded from a file that does not fit");

        SafeTensors.write(file, StateDict.tensors(m, store).subList(0, 6));
        e = assertThrows(IllegalArgumentException.class, () -> StateDict.load(file, model(new Graph(), 4), new ParameterStore(), "m"));
        assertEquals(file + " does not fit m: tensor '2.num_batches_tracked' [] of m is missing from the file", e.getMessage());
    }
}
