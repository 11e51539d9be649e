"""`numkeras.ops.linalg`: Keras's linear-algebra ops, the same functions as in `numkeras.ops`."""

from numkeras.ops import namespace

__getattr__, __dir__ = namespace.view(
    __name__,
    (
        "cholesky",
        "cholesky_inverse",
        "det",
        "eig",
        "eigh",
        "inv",
        "jvp",
        "lstsq",
        "lu_factor",
        "matrix_rank",
        "norm",
        "pinv",
        "qr",
        "solve",
        "solve_triangular",
        "svd",
    ),
)
