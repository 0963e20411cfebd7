"""Every differentiable op, each defined once as a forward and its VJP.

Primitives called on Values record graph nodes; called on plain numbers or arrays
they compute like NumPy. Adding an op means adding it to one of these files (and to
``__all__`` below) plus its gradcheck in the tests.
"""

from .arithmetic import add, div, maximum, minimum, mul, neg, pow_const, power, sub, where
from .elementwise import (
    abs,
    clip,
    cos,
    exp,
    leaky_relu,
    log,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    tanh,
)
from .fused import affine, softmax_cross_entropy
from .linalg import matmul
from .reductions import log_softmax, logsumexp, max, mean, min, softmax, sum
from .shape import (
    broadcast_to,
    concat,
    expand_dims,
    getitem,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
)

__all__ = [
    "abs", "add", "affine", "broadcast_to", "clip", "concat", "cos", "div", "exp",
    "expand_dims", "getitem", "leaky_relu", "log", "log_softmax", "logsumexp", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "neg", "pow_const", "power", "relu", "reshape",
    "sigmoid", "sin", "softmax", "softmax_cross_entropy", "softplus", "sqrt", "squeeze",
    "stack", "sub", "sum", "swapaxes", "tanh", "transpose", "where",
]
