"""How an op is defined once and recorded: `Primitive`, `apply` (calling a Primitive on
Values records a node) and `unbroadcast`.

An op is a forward function on raw data (Python floats or ndarrays) plus a
vector-Jacobian product ``vjp(g, out, *inputs, **attrs) -> tuple of input gradients``.
The VJP is written with operations that exist both on raw data and on `Value`
(operators, primitives, ``.sum``/``.reshape``), so the same rule runs on raw data for
first-order gradients and on Values when building a graph for higher-order ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .data import as_data
from .errors import AnomalyError, DataError, ShapeError
from .mode import MODE
from .value import Value


def apply(op: Primitive, *args: Any, **attrs: Any) -> Any:
    """``op(*args, **attrs)``: run forward on the operands' data and, when an operand
    requires grad and grad mode is on, record the result as a node of the graph. Plain
    numbers/arrays among Values become constants; with no Value at all this only computes."""
    if len(args) == 1:
        if not isinstance(args[0], Value):
            return op._compute(args, attrs)
        parents = args
    elif len(args) == 2 and not attrs and not op.saves:
        return apply_binary(op, args[0], args[1])
    else:
        for arg in args:
            if isinstance(arg, Value):
                break
        else:
            return op._compute(args, attrs)
        parents = tuple([a if isinstance(a, Value) else constant(a, op) for a in args])
    try:  # unpacking an empty dict costs scalar graphs a third of an op
        if attrs:
            out = op.forward(*[p.data for p in parents], **attrs)
        elif len(parents) == 1:
            out = op.forward(parents[0].data)
        else:
            out = op.forward(*[p.data for p in parents])
    except ValueError as exc:
        raise _shape_error(op, parents, exc) from None
    if op.saves:
        out, attrs["saved"] = out
    return _record(op, out, parents, attrs or None)


def apply_binary(op: Primitive, a: Any, b: Any) -> Any:
    """`apply` for two operands, no settings and an op that does not save: what Value's
    arithmetic operators call. Scalar graphs are mostly these, so it skips the packing of
    ``*args, **attrs``."""
    if isinstance(a, Value):
        if not isinstance(b, Value):
            b = constant(b, op)
    elif isinstance(b, Value):
        a = constant(a, op)
    elif type(a) in _RAW and type(b) in _RAW:  # a VJP on raw data: the forward alone
        return op.forward(a, b)
    else:
        return op._compute((a, b), {})
    try:
        out = op.forward(a.data, b.data)
    except ValueError as exc:
        raise _shape_error(op, (a, b), exc) from None
    return _record(op, out, (a, b), None)


def _record(op: Primitive, out: Any, parents: tuple[Value, ...], attrs: dict | None) -> Value:
    """The node for ``out``: recorded (op, operands, settings) when grad mode is on and an
    operand requires grad, else a constant leaf."""
    if MODE.anomaly:
        check_finite_forward(op, parents, out)
    node = object.__new__(Value)
    node.data = out
    node.grad = None
    node.name = None
    if MODE.grad_enabled:
        for p in parents:
            if p.requires_grad:
                if op.wants_needs:  # fixed now: the VJP skips inputs without grad
                    attrs = attrs or {}  # (apply's own **attrs dict: free to add to)
                    attrs["needs"] = tuple([q.requires_grad for q in parents])
                node.requires_grad = True
                node._op = op
                node._parents = parents
                node._attrs = attrs
                return node
    node.requires_grad = False
    node._op = None
    node._parents = ()
    node._attrs = None
    return node


# Raw data an op computes on as is: the engine's data and the NumPy scalars ops return.
_RAW = frozenset({float, np.ndarray, np.float64, np.float32, np.float16})


class Primitive:
    """An op: ``forward(*data, **attrs)`` and ``vjp(g, out, *inputs, **attrs)``.

    Calling a Primitive on Values records a node; on raw data it just computes, which is
    what lets VJP rules call primitives on either. An op made with ``saves=True`` returns
    ``(out, saved)`` from its forward: ``saved`` (raw data the backward would otherwise
    recompute, like softmax probabilities) reaches its VJP as the keyword ``saved``.
    A forward must be a pure function of its operands and settings: no randomness, no state
    (a random mask is an operand, as `nn.Dropout` makes it; `trace` re-runs forwards to
    check a replay).
    """

    __slots__ = ("name", "forward", "vjp", "wants_needs", "saves")

    def __init__(self, name: str, forward: Callable, saves: bool = False) -> None:
        self.name = name
        self.forward = forward
        self.vjp: Callable | None = None
        self.wants_needs = False
        self.saves = saves

    def defvjp(self, vjp: Callable) -> Callable:
        """Attach the VJP rule (used as a decorator right below the forward).

        A rule with a keyword-only parameter ``needs`` is told which inputs need a
        gradient (a tuple of bools), so expensive ops can skip the others.
        """
        self.vjp = vjp
        self.wants_needs = "needs" in inspect.signature(vjp).parameters
        return vjp

    __call__ = apply  # op(x, y) records a node (see `apply`)

    def __copy__(self) -> Primitive:
        return self  # an op is one object: copies of graphs and recordings share it

    def __deepcopy__(self, memo: dict) -> Primitive:
        return self

    def _compute(self, args: tuple, attrs: dict) -> Any:
        """Forward alone, for calls without any Value (VJPs on raw data, or a user's
        ``ag.exp([1, 2])``: operands other than floats and arrays go through `as_data`)."""
        for a in args:  # VJPs call this on every backward: convert only when needed
            if type(a) not in _RAW:
                args = [b if type(b) in _RAW else operand(b, self.name) for b in args]
                break
        out = self.forward(*args, **attrs) if attrs else self.forward(*args)
        return out[0] if self.saves else out

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def primitive(name: str, saves: bool = False) -> Callable[[Callable], Primitive]:
    """Decorator turning a forward function on raw data into a `Primitive` named ``name``
    (``saves``: the forward returns ``(out, saved)``, see `Primitive`)."""
    return lambda forward: Primitive(name, forward, saves)


class Constant(Value):
    """An operand given as a plain number or array: a leaf that never needs a gradient.

    Only ``data`` is stored per instance; the other fields are class-level defaults, which
    makes wrapping the ``2.0`` in ``x * 2.0`` cheap. (Read-only: it is never trained.)
    """

    __slots__ = ()
    grad = None
    requires_grad = False
    name = None
    _op = None
    _parents = ()
    _attrs = None

    def __getstate__(self) -> tuple[None, dict]:
        """Copies (``copy.deepcopy`` of a graph) restore only what an instance stores."""
        return None, {k: getattr(self, k) for k in ("data", *type(self).__slots__)}


class Converted(Constant):
    """A constant whose data is a converted copy (float64, native byte order; a Python float
    for a 0-d array) of an array given as an operand (a bool mask, integer counts, a 0-d
    scale): ``source`` is that array, which `trace` converts afresh on every replay, as it
    reads float arrays afresh."""

    __slots__ = ("source",)


def constant(data: Any, op: Primitive | None = None) -> Value:
    """A leaf Value that requires no gradient: an operand of ``op`` given as a plain number
    or array (its errors name ``op``)."""
    if type(data) is float:
        node = object.__new__(Constant)
        node.data = data
        return node
    converted = as_data(data, "data" if op is None else f"{op.name}: operand")
    if type(data) is np.ndarray and converted is not data:  # (a 0-d array becomes a float)
        node = object.__new__(Converted)
        node.source = data
    else:
        node = object.__new__(Constant)
    node.data = converted
    return node


def operand(x: Any, op: str) -> Any:
    """A Value or raw data as it is; anything else (lists, ints) as the engine's data, or a
    TypeError/ValueError naming ``op`` for non-numeric input. For public op wrappers that
    read shapes before the op runs."""
    if type(x) is float or type(x) is np.ndarray or isinstance(x, Value):
        return x
    return as_data(x, f"{op}: operand")


def _shape_error(op: Primitive, parents: tuple[Value, ...], exc: ValueError) -> ShapeError:
    """A forward's ValueError in the user's terms: the op and the operands' shapes."""
    if isinstance(exc, (ShapeError, DataError)):
        return exc
    shapes = " and ".join(str(p.shape) for p in parents)
    if "broadcast" in str(exc):
        return ShapeError(f"'{op.name}': cannot broadcast shapes {shapes}")
    return ShapeError(f"'{op.name}' on shapes {shapes}: {exc}")


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, so it has ``shape``.

    The one place broadcasting is undone: every op's input gradient passes through it.
    Works on ndarrays and on Values (for higher-order gradients).
    """
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def data_shape(x: Any) -> tuple[int, ...]:
    """Shape of raw data or of a Value (floats are shape ())."""
    return () if type(x) is float else x.shape


def raw(x: Any) -> Any:
    """The data behind ``x`` (x itself when it is already raw)."""
    return x.data if isinstance(x, Value) else x


# ------------------------------------------------------------------- anomaly checks
# Only the error path below is allowed to be slow; the checks themselves are one
# isfinite-reduction per array. Nothing here may assume that an input's shape fits the
# output's (matmul, reductions, reshape, indexing and concat all change shapes).
def _nonfinite(x: Any) -> bool:
    return not np.all(np.isfinite(raw(x)))


def _first_bad(x: Any) -> tuple[int, ...]:
    """Index of the first nan/inf in ``x`` (``()`` for a scalar)."""
    x = np.asarray(raw(x))
    if not x.ndim:
        return ()
    return tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])


def _at(data: Any, shape: tuple[int, ...], index: tuple[int, ...]) -> str:
    """What ``data`` holds at ``index`` of an array of ``shape``: its value there when its
    shape broadcasts to ``shape``, otherwise a summary (the index means nothing for it)."""
    data = np.asarray(raw(data))
    try:
        fits = np.broadcast_shapes(data.shape, shape) == shape
    except ValueError:
        fits = False
    if fits:
        return f"holds {float(np.broadcast_to(data, shape)[index]):.6g}"
    if not data.size:
        return "is empty"
    if not np.all(np.isfinite(data)):
        return f"holds {_describe(data)} at index {_first_bad(data)}"
    return f"is finite, largest |value| {float(np.max(np.abs(data))):.6g}"


def _inputs_at(parents: tuple[Value, ...], shape: tuple[int, ...], index: tuple[int, ...]) -> str:
    return "; ".join(f"input {i} (shape {p.shape}) {_at(p.data, shape, index)}"
                     for i, p in enumerate(parents))


def check_finite_forward(op: Primitive, parents: tuple[Value, ...], out: Any) -> None:
    """Under detect_anomaly: raise if ``op`` turned finite inputs into nan/inf.

    The message names the op, the output's shape and first bad index, and for each input
    its shape and its value at that index (or, when its shape does not broadcast to the
    output's, its largest magnitude: the usual cause of an overflow).
    """
    if not _nonfinite(out) or any(_nonfinite(p.data) for p in parents):
        return
    shape = np.shape(out)
    bad = _first_bad(out)
    where = f" at index {bad}" if bad else ""
    raise AnomalyError(
        f"{op.name} produced {_describe(out)}{where} of its output (shape {shape}) from "
        f"finite inputs of shapes {', '.join(str(p.shape) for p in parents)}: "
        f"{_inputs_at(parents, shape, bad)}"
    )


def check_finite_backward(op: Primitive, parents, g: Any, grads: tuple) -> None:
    """Under detect_anomaly: raise if the VJP of ``op`` made a nan/inf gradient out of a
    finite incoming gradient ``g`` (names the op, the input, all shapes and the bad entry)."""
    if _nonfinite(g):
        return
    for i, (p, pg) in enumerate(zip(parents, grads)):
        if pg is None or not _nonfinite(pg):
            continue
        shape = np.shape(raw(pg))
        bad = _first_bad(pg)
        where = f" at index {bad}" if bad else ""
        raise AnomalyError(
            f"backward of {op.name} produced {_describe(pg)} in the gradient of input {i} "
            f"(shape {p.shape}){where} from a finite incoming gradient of shape "
            f"{np.shape(raw(g))}; operand shapes {[q.shape for q in parents]}: "
            f"{_inputs_at(parents, shape, bad)}"
        )


def _describe(x: Any) -> str:
    x = np.asarray(raw(x))
    return "nan" if np.isnan(x).any() else "inf"
