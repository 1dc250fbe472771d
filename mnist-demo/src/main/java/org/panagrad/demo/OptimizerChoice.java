package org.panagrad.demo;

import org.panagrad.optim.Adam;
import org.panagrad.optim.Optimizer;
import org.panagrad.optim.Sgd;
import picocli.CommandLine;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.stream.Collectors;

import static org.panagrad.optim.LearningRateSchedule.constant;

/**
 * The optimizers {@code --optimizer} accepts. Adding one is adding a constant here: its command-line name,
 * its default learning rate and how to build it.
 */
enum OptimizerChoice {
    SGD("sgd", 0.1) {
        @Override
        Optimizer create(double lr) {
            return Sgd.plain(constant(lr));
        }
    },
    MOMENTUM("momentum", 0.05) {
        @Override
        Optimizer create(double lr) {
            return Sgd.momentum(constant(lr), 0.9, false);
        }
    },
    ADAM("adam", 1e-3) {
        @Override
        Optimizer create(double lr) {
            return Adam.adam(constant(lr));
        }
    };

    final String cliName;
    final double defaultLearningRate;

    OptimizerChoice(String cliName, double defaultLearningRate) {
        this.cliName = cliName;
        this.defaultLearningRate = defaultLearningRate;
    }

    abstract Optimizer create(double lr);

    static OptimizerChoice parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (OptimizerChoice c : values()) {
            if (c.cliName.equals(wanted)) return c;
        }
        throw new IllegalArgumentException("unknown optimizer '" + name + "' (expected " + names() + ")");
    }

    static String names() {
        return Arrays.stream(values()).map(c -> c.cliName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return cliName;
    }

    static final class Converter implements CommandLine.ITypeConverter<OptimizerChoice> {
        @Override
        public OptimizerChoice convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Candidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(values()).map(c -> c.cliName).iterator();
        }
    }
}
