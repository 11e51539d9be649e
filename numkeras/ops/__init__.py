"""`numkeras.ops`: Keras 3's NumPy-like op namespace, differentiable on the numkeras engine."""
from numkeras.engine.creation_ops import (  # noqa: I001  (the tensor module before the ops)
    arange,
    convert_to_numpy,
    convert_to_tensor,
    dtype,
    eye,
    full,
    is_tensor,
    linspace,
    ones,
    stop_gradient,
    zeros,
)
from numkeras.engine.math_ops import (
    abs,
    absolute,
    add,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    cast,
    clip,
    cos,
    divide,
    dot,
    equal,
    exp,
    floor,
    greater,
    greater_equal,
    isfinite,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    multiply,
    negative,
    not_equal,
    power,
    prod,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    std,
    subtract,
    sum,
    tanh,
    true_divide,
    var,
    where,
)
from numkeras.engine.conv_ops import average_pool, conv, max_pool
from numkeras.engine.nn_ops import (
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    log_softmax,
    one_hot,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)
from numkeras.engine.shape_ops import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    moveaxis,
    ones_like,
    pad,
    repeat,
    reshape,
    shape,
    split,
    squeeze,
    stack,
    swapaxes,
    take,
    take_along_axis,
    tile,
    transpose,
    unstack,
    zeros_like,
)
from numkeras.engine.transpose_conv import conv_transpose
from numkeras.ops.cross_entropy import (
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from numkeras.random import dropout
from numkeras.ops import image, linalg, nn, numpy  # noqa: F401  (Keras's submodules)
from numkeras.ops import (  # noqa: I001  (the op modules, gathered below)
    activations,
    attention,
    casting,
    control_flow,
    convolution,
    creation,
    ctc,
    elementwise,
    linear_algebra,
    normalization,
    products,
    rearranging,
    reductions,
    scattering,
    shaping,
    sorting,
    spectral,
)
from numkeras.ops.activations import *  # noqa: F403
from numkeras.ops.attention import *  # noqa: F403
from numkeras.ops.casting import *  # noqa: F403
from numkeras.ops.control_flow import *  # noqa: F403
from numkeras.ops.convolution import *  # noqa: F403
from numkeras.ops.creation import *  # noqa: F403
from numkeras.ops.ctc import *  # noqa: F403
from numkeras.ops.elementwise import *  # noqa: F403
from numkeras.ops.linear_algebra import *  # noqa: F403
from numkeras.ops.normalization import *  # noqa: F403
from numkeras.ops.products import *  # noqa: F403
from numkeras.ops.rearranging import *  # noqa: F403
from numkeras.ops.reductions import *  # noqa: F403
from numkeras.ops.scattering import *  # noqa: F403
from numkeras.ops.shaping import *  # noqa: F403
from numkeras.ops.sorting import *  # noqa: F403
from numkeras.ops.spectral import *  # noqa: F403

__all__ = [
    "abs", "absolute", "add", "all", "amax", "amin", "any", "arange", "argmax", "argmin",
    "average_pool", "binary_crossentropy", "broadcast_to", "cast", "categorical_crossentropy",
    "clip", "concatenate", "conv", "conv_transpose",
    "convert_to_numpy", "convert_to_tensor", "cos", "divide",
    "dot", "dropout", "dtype", "elu", "equal", "exp", "expand_dims", "eye", "flatten", "floor",
    "full", "gelu", "greater", "greater_equal", "hard_sigmoid", "is_tensor", "isfinite",
    "isnan", "leaky_relu", "less", "less_equal", "linspace", "log", "log1p", "log_softmax",
    "logical_and", "logical_not", "logical_or", "logsumexp", "matmul", "max", "max_pool",
    "maximum", "mean", "min", "minimum", "moveaxis", "multiply", "negative", "not_equal",
    "one_hot", "ones", "ones_like", "pad", "power", "prod", "relu", "relu6", "repeat",
    "reshape", "round", "rsqrt", "selu", "shape", "sigmoid", "sign", "silu", "sin", "softmax",
    "softplus", "softsign", "sparse_categorical_crossentropy", "split", "sqrt", "square",
    "squeeze", "stack", "std", "stop_gradient", "subtract", "sum", "swapaxes", "swish", "take",
    "take_along_axis", "tanh", "tile", "transpose", "true_divide", "unstack", "var", "where",
    "zeros", "zeros_like",
]
for _module in (
    activations,
    attention,
    casting,
    control_flow,
    convolution,
    creation,
    ctc,
    elementwise,
    linear_algebra,
    normalization,
    products,
    rearranging,
    reductions,
    scattering,
    shaping,
    sorting,
    spectral,
):
    __all__ += _module.__all__

from numkeras.ops.operation import wrap_namespace  # noqa: E402  (after every op is imported)

wrap_namespace(globals(), __all__)  # each op records a graph node when given KerasTensors
