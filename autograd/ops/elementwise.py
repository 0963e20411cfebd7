"""Elementwise functions of one input: exp, log, sqrt, abs, tanh, sigmoid, relu, ...

Scalars (Python floats) use the `math` module, so scalar graphs do not pay NumPy's
per-call overhead; where `math` raises (log(0), exp(1000)) the NumPy result (inf/nan)
is returned instead, so both paths agree.
"""

from __future__ import annotations

import math

import numpy as np

from ..data import as_data
from ..primitive import primitive, raw
from .arithmetic import div, where


def _number(x, op: str, name: str) -> float:
    """An op's numeric setting (clip's bounds, a slope) as a float; a TypeError naming the
    op and the setting for anything but a single real number."""
    data = as_data(x, f"{op}: {name}")
    if type(data) is not float and data.ndim:
        raise TypeError(f"{op}: {name} must be a single number, got an array of shape "
                        f"{data.shape}")
    return float(data)


def _scalar_or_array(scalar_fn, array_fn):
    def forward(x):
        if type(x) is float:
            try:
                return scalar_fn(x)
            except (ValueError, OverflowError):
                with np.errstate(all="ignore"):
                    return float(array_fn(x))
        return array_fn(x)

    return forward


exp = primitive("exp")(_scalar_or_array(math.exp, np.exp))


@exp.defvjp
def _exp_vjp(g, out, x):
    return (g * out,)


log = primitive("log")(_scalar_or_array(math.log, np.log))


@log.defvjp
def _log_vjp(g, out, x):
    return (div(g, x),)


sqrt = primitive("sqrt")(_scalar_or_array(math.sqrt, np.sqrt))


@sqrt.defvjp
def _sqrt_vjp(g, out, x):
    return (div(g, 2.0 * out),)


abs = primitive("abs")(_scalar_or_array(math.fabs, np.abs))  # noqa: A001


@abs.defvjp
def _abs_vjp(g, out, x):
    rx = raw(x)
    return (g * (float((rx > 0) - (rx < 0)) if type(rx) is float else np.sign(rx)),)


tanh = primitive("tanh")(_scalar_or_array(math.tanh, np.tanh))


@tanh.defvjp
def _tanh_vjp(g, out, x):
    return (g * (1.0 - out * out),)


def _sigmoid_scalar(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_array(x):
    with np.errstate(over="ignore"):  # exp(-x) -> inf gives the right limit, 0
        return 1 / (1 + np.exp(-x))


sigmoid = primitive("sigmoid")(_scalar_or_array(_sigmoid_scalar, _sigmoid_array))


@sigmoid.defvjp
def _sigmoid_vjp(g, out, x):
    return (g * out * (1.0 - out),)


relu = primitive("relu")(_scalar_or_array(lambda x: x if x > 0.0 else 0.0,
                                          lambda x: np.maximum(x, 0)))


@relu.defvjp
def _relu_vjp(g, out, x):
    return (g * (raw(x) > 0),)  # relu'(0) = 0


@primitive("leaky_relu")
def _leaky_relu(x, negative_slope):
    if type(x) is float:
        return x if x > 0.0 else negative_slope * x
    return np.where(x > 0, x, x * negative_slope)


@_leaky_relu.defvjp
def _leaky_relu_vjp(g, out, x, negative_slope):
    rx = raw(x)
    if np.ndim(rx) == 0:
        return (g if rx > 0 else g * negative_slope,)
    return (where(rx > 0, g, g * negative_slope),)


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` for x > 0, else ``negative_slope * x``."""
    return _leaky_relu(x, negative_slope=_number(negative_slope, "leaky_relu", "negative_slope"))


def _softplus_scalar(x):
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-math.fabs(x)))


softplus = primitive("softplus")(_scalar_or_array(_softplus_scalar, lambda x: np.logaddexp(0, x)))


@softplus.defvjp
def _softplus_vjp(g, out, x):
    return (g * sigmoid(x),)


sin = primitive("sin")(_scalar_or_array(math.sin, np.sin))


@sin.defvjp
def _sin_vjp(g, out, x):
    return (g * cos(x),)


cos = primitive("cos")(_scalar_or_array(math.cos, np.cos))


@cos.defvjp
def _cos_vjp(g, out, x):
    return (-g * sin(x),)


@primitive("clip")
def _clip(x, lo, hi):
    if type(x) is float:
        if lo is not None and x < lo:
            return lo
        return hi if hi is not None and x > hi else x
    return np.clip(x, lo, hi)


@_clip.defvjp
def _clip_vjp(g, out, x, lo, hi):
    rx = raw(x)
    inside = True
    if lo is not None:
        inside = inside & (rx >= lo)
    if hi is not None:
        inside = inside & (rx <= hi)
    return (g * inside,)


def clip(x, min=None, max=None):  # noqa: A002 - numpy's names
    """Limit values to ``[min, max]``; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clip needs min or max (or both); got neither")
    lo = None if min is None else _number(min, "clip", "min")
    hi = None if max is None else _number(max, "clip", "max")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: min ({lo}) is larger than max ({hi})")
    return _clip(x, lo=lo, hi=hi)
