package org.panagrad.io;

/**
 * Labelled greyscale images held in flat arrays, ready to be copied into a batch.
 *
 * @param images row-major pixels, image after image ({@code count * rows * cols} values), each the original
 *               byte divided by 255, so exactly in [0, 1]; no other normalisation is applied
 * @param labels one class index per image
 */
public record Dataset(float[] images, int[] labels, int count, int rows, int cols) {
    public Dataset {
        if (count < 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(
                    "count must be >= 0 and rows, cols > 0, got count=" + count + " rows=" + rows + " cols=" + cols);
        }
        if (images.length != (long) count * rows * cols) {
            throw new IllegalArgumentException("images holds " + images.length + " values, expected count*rows*cols = "
                    + count + "*" + rows + "*" + cols + " = " + (long) count * rows * cols);
        }
        if (labels.length != count) {
            throw new IllegalArgumentException("labels holds " + labels.length + " values, expected count = " + count);
        }
    }

    /** Pixels in one image: the stride between consecutive images in {@link #images()}. */
    public int pixelsPerImage() {
        return rows * cols;
    }

    @Override
    public String toString() {
        return "Dataset[" + count + " images of " + rows + "x" + cols + "]";
    }
}
