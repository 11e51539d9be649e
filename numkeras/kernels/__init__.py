"""Pure NumPy forward/backward pairs (no Tensors, no tape) that the engine's ops run on:
convolution as patch copies + GEMMs (`conv`), pooling windows (`pool`), NHWC, and
the thread pool that spreads a kernel's blocks over the cores (`threads`)."""
