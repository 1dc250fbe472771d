package org.panagrad.kernels;

/**
 * Where a fused attention reads its mask: for batch entry b, element (i, j) of the scores is masked by
 * {@code values[offsets[b] + i * rowStride + j * colStride]} (strides 0 along broadcast axes). Additive masks are
 * added to the scaled scores; boolean ones ({@code keep}) keep a score where the value is non-zero and set it to
 * -infinity elsewhere, as torch's scaled_dot_product_attention reads a bool attn_mask.
 */
public record AttentionMaskLayout(float[] values, int[] offsets, int rowStride, int colStride, boolean keep) {}
