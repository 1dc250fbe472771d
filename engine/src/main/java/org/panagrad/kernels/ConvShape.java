package org.panagrad.kernels;

/**
 * The geometry of one 2-D convolution in NCHW: a batch of {@code channels x height x width} images, a weight of
 * {@code outChannels x channels/groups x kh x kw}, strides, zero padding on both sides and dilations per spatial
 * axis, and groups (channels and outChannels both divide by it; depthwise when groups == channels). Output
 * positions {@code oh, ow} read input rows {@code oh * strideH + i * dilationH - padH} for taps i of the kernel.
 */
public record ConvShape(int batch, int channels, int height, int width, int outChannels, int kh, int kw,
                        int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    public int outHeight() {
        return (height + 2 * padH - dilationH * (kh - 1) - 1) / strideH + 1;
    }

    public int outWidth() {
        return (width + 2 * padW - dilationW * (kw - 1) - 1) / strideW + 1;
    }

    /** Input channels per group. */
    public int groupChannels() {
        return channels / groups;
    }

    /** Output channels per group. */
    public int groupOutChannels() {
        return outChannels / groups;
    }

    /** Rows of one group's patch matrix: the GEMM's depth, (channels / groups) x kh x kw. */
    public int patchRows() {
        return groupChannels() * kh * kw;
    }

    /** Output positions per image: the patch matrix's columns. */
    public int positions() {
        return outHeight() * outWidth();
    }

    public int imageSize() {
        return channels * height * width;
    }

    public int outImageSize() {
        return outChannels * positions();
    }

    /** Whether the patch matrix of a group is its input channels as they are (1 x 1, stride 1, no padding). */
    public boolean patchesAreInput() {
        return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0;
    }

    /** Whether the convolution is depthwise: several groups of one input channel each. */
    public boolean depthwise() {
        return groups > 1 && groupChannels() == 1;
    }
}
