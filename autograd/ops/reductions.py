"""Reductions along axes: sum, mean, max, min, logsumexp, and softmax / log_softmax.

``axis`` is None (all axes), an int or a tuple of ints; ``keepdims`` as in NumPy.
logsumexp, softmax and log_softmax subtract the maximum first, so logits of 1000 do
not overflow.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ..primitive import data_shape, operand, primitive, raw
from ..value import Value
from .elementwise import exp
from .shape import axis_index, broadcast_to, reshape


def _normalize_axis(axis, ndim: int, op: str):
    """None, or a sorted tuple of non-negative axes; a clear error for bad axes."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) or not np.iterable(axis) else axis
    out = [axis_index(a, ndim, op) for a in axes]
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def _kept_shape(shape, axis):
    """``shape`` with the reduced axes kept as size 1."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _spread(g, x, axis, keepdims):
    """Broadcast a reduced gradient back over the input's shape."""
    shape = data_shape(x)
    if not shape:
        return g
    if not isinstance(g, Value):  # first order: a fresh array (the engine may keep it)
        out = np.empty(shape, dtype=x.dtype)
        out[...] = g if keepdims or axis is None else np.reshape(g, _kept_shape(shape, axis))
        return out
    if not keepdims:
        g = reshape(g, _kept_shape(shape, axis))
    return broadcast_to(g, shape)


def _reducer(name, np_fn):
    @primitive(name)
    def forward(x, axis, keepdims):
        if type(x) is float:
            return x
        return np_fn(x, axis=axis, keepdims=keepdims)

    return forward


_sum = _reducer("sum", np.sum)


@_sum.defvjp
def _sum_vjp(g, out, x, axis, keepdims):
    return (_spread(g, x, axis, keepdims),)


def _np_mean(x, axis, keepdims):
    count = x.size if axis is None else math.prod([x.shape[a] for a in axis])
    return np.sum(x, axis=axis, keepdims=keepdims) / count


_mean = _reducer("mean", _np_mean)


@_mean.defvjp
def _mean_vjp(g, out, x, axis, keepdims):
    shape = data_shape(x)
    count = math.prod(shape if axis is None else [shape[a] for a in axis])
    return (_spread(g, x, axis, keepdims) / float(count),)


def _extremum_vjp(g, out, x, axis, keepdims):
    """Gradient to the arg-extremum; ties share it equally."""
    rx = raw(x)
    if np.ndim(rx) == 0:
        return (g,)
    hit = rx == np.reshape(raw(out), _kept_shape(rx.shape, axis))
    share = (hit / hit.sum(axis=axis, keepdims=True)).astype(rx.dtype, copy=False)
    return (_spread(g, x, axis, keepdims) * share,)


_max = _reducer("max", np.max)
_max.defvjp(_extremum_vjp)
_min = _reducer("min", np.min)
_min.defvjp(_extremum_vjp)


def _shift(x, axis):
    """The maximum along ``axis`` (dims kept) to subtract before exp; 0 where it is not
    finite (an empty or all -inf row)."""
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0)


@primitive("logsumexp", saves=True)
def _logsumexp(x, axis, keepdims):
    if type(x) is float:
        return x, None
    m = _shift(x, axis)
    e = np.exp(x - m)
    s = np.sum(e, axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):  # empty: log(0) = -inf
        out = np.log(s) + m
    return out if keepdims else np.squeeze(out, axis=axis), (e, s)  # saved: softmax = e / s


@_logsumexp.defvjp
def _logsumexp_vjp(g, out, x, axis, keepdims, saved):
    # The gradient is the softmax, taken from the shifted exponentials: exp(x - out) would
    # carry out's rounding (up to half an ulp of the largest logit) into every weight.
    if saved is None:  # a scalar: d/dx = 1
        return (g,)
    if isinstance(x, Value):  # higher order: differentiable (the shift is a constant)
        e = exp(x - _shift(x.data, axis))
        weights = e / e.sum(axis=axis, keepdims=True)
    else:
        e, s = saved
        weights = e / s
    return (reshape(g, _kept_shape(data_shape(x), axis)) * weights,)


@primitive("softmax")
def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / np.sum(e, axis=axis, keepdims=True)


@_softmax.defvjp
def _softmax_vjp(g, out, x, axis):
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


@primitive("log_softmax")
def _log_softmax(x, axis):
    # (x - max) - log(sum): x - logsumexp(x) would first round the logsumexp to the logits' ulp
    shifted = x - _shift(x, axis)
    with np.errstate(divide="ignore"):  # empty: log(0) = -inf
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@_log_softmax.defvjp
def _log_softmax_vjp(g, out, x, axis):
    return (g - exp(out) * g.sum(axis=axis, keepdims=True),)


def _reduce(prim, x, axis, keepdims):
    x = operand(x, prim.name)
    return prim(x, axis=_normalize_axis(axis, len(data_shape(x)), prim.name),
                keepdims=bool(keepdims))


def sum(x, axis=None, keepdims: bool = False):  # noqa: A001
    """Sum over ``axis`` (all axes by default)."""
    return _reduce(_sum, x, axis, keepdims)


def mean(x, axis=None, keepdims: bool = False):
    """Mean over ``axis`` (all axes by default)."""
    return _reduce(_mean, x, axis, keepdims)


def max(x, axis=None, keepdims: bool = False):  # noqa: A001
    """Maximum over ``axis``; the gradient goes to the maximum (shared among ties)."""
    return _reduce(_max, x, axis, keepdims)


def min(x, axis=None, keepdims: bool = False):  # noqa: A001
    """Minimum over ``axis``; the gradient goes to the minimum (shared among ties)."""
    return _reduce(_min, x, axis, keepdims)


def logsumexp(x, axis=None, keepdims: bool = False):
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow."""
    return _reduce(_logsumexp, x, axis, keepdims)


def _single_axis(x, axis, name):
    ndim = len(data_shape(x))
    if ndim == 0:
        raise ShapeError(f"{name} needs an array with at least 1 dim, got a scalar")
    return axis_index(axis, ndim, name)


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (stable)."""
    x = operand(x, "softmax")
    return _softmax(x, axis=_single_axis(x, axis, "softmax"))


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along ``axis`` (stable)."""
    x = operand(x, "log_softmax")
    return _log_softmax(x, axis=_single_axis(x, axis, "log_softmax"))
