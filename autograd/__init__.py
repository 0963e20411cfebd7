"""netgrad's autodiff engine: one `Value` node for scalars and n-d arrays.

>>> from autograd import Value
>>> a, b = Value(2.0), Value(-3.0)
>>> y = (a * b + a).tanh()
>>> y.backward()
>>> a.grad, b.grad

``autograd.draw`` is the diagram function (its module: ``from autograd.draw import ...``);
``autograd.diagram`` is the drawing surface it shares with ``nn.draw_network``. Likewise
``autograd.trace`` is the function that records and replays a step (module: ``autograd.trace``
via ``from autograd.trace import ...``; the recordings themselves live in ``recording.py``).
"""

from .value import Value  # first: the op modules need the class defined

# isort: split
from .backward import backward_order, forward_order, gradients
from .draw import draw  # imports graphviz only when a diagram is made
from .errors import AnomalyError, DataError, GradcheckError, ShapeError, TraceError
from .functional import grad, hvp, value_and_grad
from .gradcheck import check_leaves, gradcheck
from .mode import detect_anomaly, enable_grad, gc_paused, is_grad_enabled, no_grad
from .ops import (
    abs,
    affine,
    broadcast_to,
    clip,
    concat,
    cos,
    exp,
    expand_dims,
    leaky_relu,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    softmax_cross_entropy,
    softplus,
    sqrt,
    squeeze,
    stack,
    sum,
    swapaxes,
    tanh,
    transpose,
    where,
)
from .primitive import Primitive, primitive, unbroadcast
from .trace import Traced, trace

__all__ = [
    "AnomalyError", "DataError", "GradcheckError", "Primitive", "ShapeError", "Value", "abs",
    "affine", "backward_order", "broadcast_to", "check_leaves", "clip", "concat", "cos",
    "detect_anomaly", "draw", "enable_grad", "exp", "expand_dims", "forward_order", "gc_paused",
    "grad", "gradcheck", "gradients", "hvp", "is_grad_enabled", "leaky_relu", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "no_grad",
    "primitive", "relu", "reshape", "sigmoid", "sin", "softmax", "softmax_cross_entropy",
    "softplus", "sqrt", "squeeze", "stack", "sum", "swapaxes", "tanh", "TraceError", "Traced",
    "trace", "transpose", "unbroadcast", "value_and_grad", "where",
]
