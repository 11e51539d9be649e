"""Pure NumPy forward/backward pairs (no Tensors, no tape) that the engine's ops run on:
convolution as im2col + GEMM (`conv`) and pooling windows (`pool`), NHWC."""
