"""`Value`: the one node type of the graph, holding a Python float or an n-d NumPy array.

A Value made by an op remembers the op (``_op``), its operands in order and with
repetition (``_parents``, a tuple) and the op's non-differentiable settings
(``_attrs``). Leaves have ``_op = None``. Nodes hold no closures and no reference
cycles, so a graph is freed by reference counting as soon as the last name for it
goes away.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .data import as_data
from .errors import ShapeError


class Value:
    """A node of the computation graph: ``data`` (float or ndarray) and, after backward,
    ``grad`` (same shape as data).

    ``Value(2.0)`` is a scalar, ``Value([[1, 2], [3, 4]])`` a 2-d tensor; both use the same
    ops. ``requires_grad=False`` makes a constant: it receives no gradient and costs
    nothing on backward. ``name`` labels the node in diagrams.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_op", "_parents", "_attrs")
    __array_ufunc__ = None  # ndarray <op> Value defers to Value's reflected operator

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        self.data = as_data(data)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op = None
        self._parents = ()
        self._attrs = None

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        data = self.data
        return () if type(data) is float else data.shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        data = self.data
        return 1 if type(data) is float else data.size

    @property
    def dtype(self) -> np.dtype:
        data = self.data
        return np.dtype(np.float64) if type(data) is float else data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for nodes not made by an op (inputs, parameters, constants)."""
        return self._op is None

    @property
    def op(self) -> str | None:
        """Name of the op that made this node (None for leaves)."""
        return None if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """Operands of the op that made this node, in order, with repetition."""
        return self._parents

    @property
    def attrs(self) -> dict:
        """The op's non-differentiable settings (axis, shape, ...)."""
        attrs = self._attrs or {}
        return {k: v for k, v in attrs.items() if k not in ("saved", "needs")}  # engine-only

    def item(self) -> float:
        """The value of a one-element Value as a Python float."""
        data = self.data
        if type(data) is float:
            return data
        if isinstance(data, np.generic):  # a loss is mostly a NumPy scalar
            return float(data)
        if data.size != 1:
            raise ValueError(f"item() needs a one-element Value, this one has shape {data.shape}")
        return float(data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (0-d for scalars); shares memory with the Value."""
        return np.asarray(self.data)

    def __array__(self, dtype=None, copy=None):
        data = np.asarray(self.data)
        if dtype is not None and data.dtype != dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    def __float__(self) -> float:
        return self.item()

    def __int__(self) -> int:
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element Value's number (empty spec: the repr)."""
        if not spec:
            return str(self)
        if self.size != 1:
            raise TypeError(f"format spec {spec!r} needs a one-element Value, this one has "
                            f"shape {self.shape}")
        return format(self.item(), spec)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a scalar Value")
        return self.shape[0]

    def __iter__(self):
        """Rows along the first axis, as Values in the graph (like ``x[0], x[1], ...``)."""
        if self.ndim == 0:
            raise TypeError("iteration over a scalar Value")
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        data = self.data
        if type(data) is not float and data.size != 1:
            raise ValueError(
                f"the truth value of a Value of shape {data.shape} is ambiguous: compare it "
                "(v > 0 is a boolean array) and use .any() or .all(), or use v.item()")
        return bool(data)

    __hash__ = object.__hash__  # identity: nodes key dicts and sets though == is elementwise

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        data, grad = self.data, self.grad
        if type(data) is float or data.size <= 8:
            body = f"data={_short(data)}, grad={_short(grad)}"
        else:
            body = (
                f"shape={data.shape}, dtype={data.dtype}, "
                f"min={data.min():.4g}, mean={data.mean():.4g}, max={data.max():.4g}"
            )
            if grad is not None:
                body += f", grad_norm={float(np.linalg.norm(np.asarray(grad))):.4g}"
        return f"Value({body}{name})"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter shows a Value as its computation graph (see `autograd.draw`)."""
        from .draw import repr_mimebundle

        return repr_mimebundle(self, include, exclude)

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, create_graph: bool = False) -> None:
        """Backpropagate from this node: every leaf that requires grad gets ``.grad`` added to.

        A non-scalar root needs ``gradient`` (same shape as data). With
        ``create_graph=True`` the gradients are Values themselves, so they can be
        differentiated again. The graph is kept, so it can be drawn or backpropagated again.
        """
        _backward(self, gradient, create_graph)

    def zero_grad(self) -> None:
        """Forget this node's gradient (sets ``grad`` to None)."""
        self.grad = None

    def detach(self) -> Value:
        """A new leaf constant sharing this node's data, cut from the graph."""
        return Value(self.data, requires_grad=False, name=self.name)

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return apply_binary(ops.add, self, other)

    def __radd__(self, other):
        return apply_binary(ops.add, other, self)

    def __sub__(self, other):
        return apply_binary(ops.sub, self, other)

    def __rsub__(self, other):
        return apply_binary(ops.sub, other, self)

    def __mul__(self, other):
        return apply_binary(ops.mul, self, other)

    def __rmul__(self, other):
        return apply_binary(ops.mul, other, self)

    def __truediv__(self, other):
        return apply_binary(ops.div, self, other)

    def __rtruediv__(self, other):
        return apply_binary(ops.div, other, self)

    def __pow__(self, other):
        if not isinstance(other, Value):
            exponent = as_data(other, "exponent")
            if type(exponent) is float or exponent.ndim == 0:  # the common case: one number
                return apply(ops.pow_const, self, exponent=float(exponent))
            if type(other) is not np.ndarray:  # an array of exponents: a constant operand
                other = exponent  # (an ndarray as given: `constant` converts it, and
                # `trace` converts a bool/int one afresh on every replay)
        return apply_binary(ops.power, self, other)

    def __rpow__(self, other):
        return apply_binary(ops.power, other, self)

    def __neg__(self):
        return apply(ops.neg, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return apply(ops.abs, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # Comparisons are outside the graph: they return plain bools / boolean arrays.
    def __lt__(self, other):
        return _compare(operator.lt, "<", self, other)

    def __le__(self, other):
        return _compare(operator.le, "<=", self, other)

    def __gt__(self, other):
        return _compare(operator.gt, ">", self, other)

    def __ge__(self, other):
        return _compare(operator.ge, ">=", self, other)

    def __eq__(self, other):
        return _compare(operator.eq, "==", self, other)

    def __ne__(self, other):
        return _compare(operator.ne, "!=", self, other)

    # ----------------------------------------------------------------- methods
    def exp(self):
        return apply(ops.exp, self)

    def log(self):
        return apply(ops.log, self)

    def sqrt(self):
        return apply(ops.sqrt, self)

    def abs(self):
        return apply(ops.abs, self)

    def tanh(self):
        return apply(ops.tanh, self)

    def sigmoid(self):
        return apply(ops.sigmoid, self)

    def relu(self):
        return apply(ops.relu, self)

    def leaky_relu(self, negative_slope: float = 0.01):
        return ops.leaky_relu(self, negative_slope)

    def softplus(self):
        return apply(ops.softplus, self)

    def sin(self):
        return apply(ops.sin, self)

    def cos(self):
        return apply(ops.cos, self)

    def clip(self, min=None, max=None):  # noqa: A002 - numpy's names
        return ops.clip(self, min, max)

    # dtype/out: np.sum(v), np.mean(v), np.max(v) ... call these methods with them
    def sum(self, axis=None, keepdims: bool = False, *, dtype=None, out=None):
        return ops.sum(self, axis, _plain("sum", keepdims, dtype, out))

    def mean(self, axis=None, keepdims: bool = False, *, dtype=None, out=None):
        return ops.mean(self, axis, _plain("mean", keepdims, dtype, out))

    def max(self, axis=None, keepdims: bool = False, *, out=None):
        return ops.max(self, axis, _plain("max", keepdims, None, out))

    def min(self, axis=None, keepdims: bool = False, *, out=None):
        return ops.min(self, axis, _plain("min", keepdims, None, out))

    def logsumexp(self, axis=None, keepdims: bool = False):
        return ops.logsumexp(self, axis, keepdims)

    def softmax(self, axis: int = -1):
        return ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1):
        return ops.log_softmax(self, axis)

    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def swapaxes(self, axis1: int, axis2: int):
        return ops.swapaxes(self, axis1, axis2)

    @property
    def T(self):
        return ops.transpose(self)

    def broadcast_to(self, shape):
        return ops.broadcast_to(self, shape)

    def expand_dims(self, axis):
        return ops.expand_dims(self, axis)

    def squeeze(self, axis=None):
        return ops.squeeze(self, axis)

    def flatten(self):
        return ops.reshape(self, (-1,))


def _plain(method: str, keepdims: bool, dtype: Any, out: Any) -> bool:
    """``keepdims``, after refusing what NumPy's functions may pass that a Value cannot do."""
    if dtype is not None or out is not None:
        raise TypeError(f"Value.{method}: dtype= and out= are not supported (the result is a "
                        "new Value in the data's dtype)")
    return keepdims


def _compare(op, symbol: str, value: Value, other: Any):
    """``value <op> other`` on the data. Non-numbers give NotImplemented, so Python decides
    (``v == None`` is False, ``v < None`` a TypeError); unbroadcastable shapes name them."""
    try:
        other = as_data(other)
    except TypeError:
        return NotImplemented
    try:
        return op(value.data, other)
    except ValueError:
        raise ShapeError(f"'{symbol}': cannot broadcast shapes {value.shape} and "
                         f"{np.shape(other)}") from None


def _short(x) -> str:
    if x is None:
        return "None"
    if isinstance(x, Value):
        return f"Value({_short(x.data)})"
    if type(x) is float or np.ndim(x) == 0:
        return repr(float(f"{float(x):.6g}"))  # 2.0, 0.123457, 1e-10
    return np.array2string(x, precision=4, separator=", ", threshold=8)


from . import ops  # noqa: E402  (ops need Value; Value's operators need ops)
from .backward import backward as _backward  # noqa: E402
from .primitive import apply, apply_binary  # noqa: E402
