package org.panagrad.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panagrad.curvature.RdpAccountant;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train --dp-clip --dp-noise: DP-SGD trains, and prints after each epoch the epsilon the accountant gives. */
class PrivateTrainTest {
    private static final Pattern EPSILON = Pattern.compile("DP-SGD after (\\d+) steps \\(epoch (\\d)\\): epsilon (\\S+) for delta");

    @TempDir
    Path dir;

    @Test
    void printsEpsilonAfterEachEpochAndLearns() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 500, 200);
        Cli r = Cli.train(data, "--epochs", "2", "--batch", "50", "--optimizer", "sgd", "--lr", "0.5",
                "--dp-clip", "1.0", "--dp-noise", "1.1", "--dp-delta", "1e-3");
        assertEquals(0, r.exitCode(), r::toString);
        Matcher m = EPSILON.matcher(r.out());
        for (int epoch = 1; epoch <= 2; epoch++) {
            assertTrue(m.find(), r::toString);
            assertEquals(10 * epoch, Integer.parseInt(m.group(1)));
            RdpAccountant a = new RdpAccountant(50.0 / 500, 1.1);
            a.step(10L * epoch);
            assertEquals(String.format(Locale.ROOT, "%.3f", a.epsilon(1e-3, RdpAccountant.Conversion.IMPROVED)), m.group(3));
        }
        // The synthetic classes are easy: even with noise, two epochs learn them well above chance (10%).
        Matcher accuracy = Pattern.compile("epoch 2/2 .* test accuracy (\\S+)%").matcher(r.out());
        assertTrue(accuracy.find(), r::toString);
        assertTrue(Double.parseDouble(accuracy.group(1)) > 50, r::toString);
    }

    @Test
    void needsBothOptionsAndACompiledOptimizer() throws IOException {
        Path data = SyntheticMnist.write(dir.resolve("data"), 100, 50);
        Cli r = Cli.train(data, "--epochs", "1", "--dp-clip", "1.0");
        assertTrue(r.err().contains("DP-SGD needs both --dp-clip and --dp-noise"), r::toString);
        r = Cli.train(data, "--epochs", "1", "--optimizer", "lbfgs", "--dp-clip", "1.0", "--dp-noise", "1");
        assertTrue(r.err().contains("use sgd, momentum, adam, adamw"), r::toString);
    }
}
