"""Shape ops: reshape, transpose, indexing, concat, stack, broadcast_to, expand/squeeze.

They move numbers without changing them, so each VJP moves the gradient back.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import data_shape, operand, primitive, raw


def _int(n, op: str, what: str) -> int:
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        return int(n)
    raise TypeError(f"{op}: {what}, got {n!r}")


def axis_index(axis, ndim: int, op: str) -> int:
    """``axis`` of an input with ``ndim`` dims as 0..ndim-1 (negative counts from the end);
    TypeError for a non-int, ShapeError when out of range (as NumPy: never wrapped)."""
    if type(axis) is not int:  # (the common case costs one check: VJPs call this)
        axis = _int(axis, op, "axis must be an int")
    if not -ndim <= axis < ndim:
        raise ShapeError(
            f"{op}: axis {axis} is out of range for {ndim} dims ({-ndim}..{ndim - 1})")
    return axis % ndim


def _sizes(shape, op: str) -> tuple[int, ...]:
    """A shape argument (an int or a sequence of ints) as a tuple of ints."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    elif not np.iterable(shape):
        raise TypeError(f"{op}: shape must be an int or a sequence of ints, got {shape!r}")
    return tuple([_int(n, op, "shape must hold ints") for n in shape])


@primitive("reshape")
def _reshape(x, shape):
    return np.reshape(x, shape)


@_reshape.defvjp
def _reshape_vjp(g, out, x, shape):
    return (reshape(g, data_shape(x)),)


def reshape(x, shape):
    """Same numbers in a new shape (one dimension may be -1)."""
    x, shape = operand(x, "reshape"), _sizes(shape, "reshape")
    if data_shape(x) == shape:
        return x
    return _reshape(x, shape=shape)


@primitive("transpose")
def _transpose(x, axes):
    return np.transpose(x, axes)


@_transpose.defvjp
def _transpose_vjp(g, out, x, axes):
    return (transpose(g, None if axes is None else tuple(np.argsort(axes).tolist())),)


def transpose(x, axes=None):
    """Permute axes (reverse them by default)."""
    x = operand(x, "transpose")
    ndim = len(data_shape(x))
    if axes is not None:
        given, axes = axes, tuple(axis_index(a, ndim, "transpose") for a in axes)
        if sorted(axes) != list(range(ndim)):
            raise ShapeError(f"transpose: axes {given} are not a permutation of {ndim} dims")
    return _transpose(x, axes=axes)


def swapaxes(x, axis1: int, axis2: int):
    """Exchange two axes."""
    x = operand(x, "swapaxes")
    axes = list(range(len(data_shape(x))))
    axis1, axis2 = (axis_index(a, len(axes), "swapaxes") for a in (axis1, axis2))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return _transpose(x, axes=tuple(axes))


def _is_basic(index) -> bool:
    parts = index if type(index) is tuple else (index,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts
    )


@primitive("getitem")
def _getitem(x, index):
    try:  # (here, not in the wrapper: a replay by `trace` runs it too)
        return x[index]
    except IndexError as exc:
        raise IndexError(f"getitem: index {index!r} does not fit shape {data_shape(x)}: "
                         f"{exc}") from None


@_getitem.defvjp
def _getitem_vjp(g, out, x, index):
    return (_index_add(g, index=index, shape=data_shape(x)),)


@primitive("index_add")
def _index_add(g, index, shape):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices add up)."""
    out = np.zeros(shape, dtype=np.asarray(g).dtype)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


@_index_add.defvjp
def _index_add_vjp(g, out, grad_in, index, shape):
    return (_getitem(g, index=index),)


def _normalize_index(index):
    parts = index if type(index) is tuple else (index,)
    fixed = []
    for p in parts:
        p = raw(p)
        if isinstance(p, list):
            p = np.asarray(p)
        if isinstance(p, np.ndarray) and p.dtype.kind not in "biu":
            raise IndexError(f"index arrays must hold integers or booleans, got dtype {p.dtype}")
        if isinstance(p, float):
            raise IndexError(f"indices must be integers, got the float {p}")
        fixed.append(p)
    return tuple(fixed) if type(index) is tuple else fixed[0]


def getitem(x, index):
    """``x[index]``: basic slicing and integer/boolean-array indexing."""
    if data_shape(x) == ():
        raise IndexError("cannot index a scalar Value")
    return _getitem(x, index=_normalize_index(index))


@primitive("concat")
def _concat(*xs, axis):
    return np.concatenate(xs, axis=axis)


@_concat.defvjp
def _concat_vjp(g, out, *xs, axis):
    bounds = np.cumsum([0] + [data_shape(x)[axis] for x in xs])
    lead = (slice(None),) * axis
    return tuple(
        _getitem(g, index=lead + (slice(int(a), int(b)),)) for a, b in zip(bounds, bounds[1:])
    )


def concat(values, axis: int = 0):
    """Join arrays along an existing axis."""
    values = [operand(v, "concat") for v in values]
    if not values:
        raise ValueError("concat needs at least one array")
    ndim = len(data_shape(values[0]))
    if ndim == 0:
        raise ShapeError("concat: scalars cannot be concatenated; use stack")
    return _concat(*values, axis=axis_index(axis, ndim, "concat"))


@primitive("stack")
def _stack(*xs, axis):
    return np.stack(xs, axis=axis)


@_stack.defvjp
def _stack_vjp(g, out, *xs, axis):
    lead = (slice(None),) * axis
    return tuple(_getitem(g, index=lead + (i,)) for i in range(len(xs)))


def stack(values, axis: int = 0):
    """Join arrays of one shape along a new axis."""
    values = [operand(v, "stack") for v in values]
    if not values:
        raise ValueError("stack needs at least one array")
    ndim = len(data_shape(values[0])) + 1
    return _stack(*values, axis=axis_index(axis, ndim, "stack"))


@primitive("broadcast_to")
def _broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


@_broadcast_to.defvjp
def _broadcast_to_vjp(g, out, x, shape):
    return (g,)  # the engine's unbroadcast sums it back to x's shape


def broadcast_to(x, shape):
    """Repeat ``x`` along new or size-1 axes to ``shape`` (NumPy broadcasting rules)."""
    x, shape = operand(x, "broadcast_to"), _sizes(shape, "broadcast_to")
    if data_shape(x) == shape:
        return x
    try:
        return _broadcast_to(x, shape=shape)
    except ShapeError:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {data_shape(x)} to {shape}"
                         ) from None


@primitive("expand_dims")
def _expand_dims(x, axis):
    return np.expand_dims(x, axis)


@_expand_dims.defvjp
def _expand_dims_vjp(g, out, x, axis):
    return (reshape(g, data_shape(x)),)


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``."""
    return _expand_dims(x, axis=axis)


@primitive("squeeze")
def _squeeze(x, axis):
    return np.squeeze(x, axis)


_squeeze.defvjp(_expand_dims_vjp)


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those named by ``axis``)."""
    return _squeeze(x, axis=axis)
