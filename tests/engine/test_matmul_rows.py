"""matmul of a (..., K) tensor by a (K, N) matrix runs as one 2-D GEMM (math_ops._matmul_rows)."""

import numpy as np
from gradcheck import check_grad, rand

from numkeras import ops


def test_values_and_gradients_of_a_stack_times_a_matrix():
    x, w = rand(2, 3, 4), rand(4, 5, seed=1)
    np.testing.assert_allclose(np.asarray(ops.matmul(x, w)), np.matmul(x, w), rtol=1e-12)
    check_grad(ops.matmul, x, w)
    check_grad(lambda x, w: ops.matmul(ops.swapaxes(x, 0, 1), w), rand(3, 2, 2, 4), w)
