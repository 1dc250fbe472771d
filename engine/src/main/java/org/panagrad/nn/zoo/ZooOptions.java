package org.panagrad.nn.zoo;

import org.panagrad.nn.Activation;

/** What a zoo model may be configured with: the MLP's widths and activation (the fixed architectures ignore them). */
public record ZooOptions(int[] mlpWidths, Activation activation) {
    public static final ZooOptions DEFAULT = new ZooOptions(new int[] {784, 500, 10}, Activation.RELU);

    public ZooOptions {
        mlpWidths = mlpWidths.clone();
    }

    @Override
    public int[] mlpWidths() {
        return mlpWidths.clone();
    }
}
