"""Binary arithmetic and selection: + - * / **, neg, maximum, minimum, where.

Broadcasting is undone by the engine (`unbroadcast`) for every input gradient, so
these rules return gradients in the output's shape.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ..primitive import primitive, raw


def _float_or_numpy(fast, slow, *args):
    """Python-float arithmetic, falling back to NumPy's nan/inf results where Python raises."""
    try:
        out = fast(*args)
    except (ZeroDivisionError, OverflowError, ValueError):
        with np.errstate(all="ignore"):
            return float(slow(*args))
    return math.nan if type(out) is complex else out


@primitive("+")
def add(a, b):
    return a + b


@add.defvjp
def _add_vjp(g, out, a, b):
    return g, g


@primitive("-")
def sub(a, b):
    return a - b


@sub.defvjp
def _sub_vjp(g, out, a, b):
    return g, -g


@primitive("*")
def mul(a, b):
    return a * b


@mul.defvjp
def _mul_vjp(g, out, a, b):
    return g * b, g * a


@primitive("/")
def div(a, b):
    if type(a) is float and type(b) is float:
        return _float_or_numpy(float.__truediv__, np.divide, a, b)
    return a / b


@div.defvjp
def _div_vjp(g, out, a, b):
    return div(g, b), div(-g * out, b)


@primitive("neg")
def neg(x):
    return -x


@neg.defvjp
def _neg_vjp(g, out, x):
    return (-g,)


@primitive("**")
def pow_const(x, exponent):
    """``x ** exponent`` for a constant exponent (the common case, e.g. squares)."""
    if type(x) is float:
        return _float_or_numpy(float.__pow__, np.power, x, exponent)
    return np.power(x, exponent)


@pow_const.defvjp
def _pow_const_vjp(g, out, x, exponent):
    if exponent == 0:
        return (g * 0.0,)
    return (g * exponent * pow_const(x, exponent=exponent - 1),)


@primitive("**")
def power(a, b):
    """``a ** b`` where the exponent is a Value too."""
    if type(a) is float and type(b) is float:
        return _float_or_numpy(float.__pow__, np.power, a, b)
    return np.power(a, b)


@power.defvjp
def _power_vjp(g, out, a, b):
    from .elementwise import log

    ra, rb = raw(a), raw(b)
    # d/db a**b = a**b log a; where a == 0 the term is 0 (log of the stand-in 1).
    safe_base = where(ra == 0, 1.0, a) if np.ndim(ra) else (a if ra != 0 else 1.0)
    # d/da a**b = b a**(b-1): at 0**0 that is 0 * inf, taken as 0 (as pow_const, PyTorch).
    zero_zero = (ra == 0) & (rb == 0)
    exponent = where(zero_zero, 1.0, b - 1.0) if np.any(zero_zero) else b - 1.0
    return g * b * power(a, exponent), g * out * log(abs(safe_base))


def _tie_split(mask_gt, mask_eq, like):
    """1 where the first operand wins, 0.5 on ties (gradient shared, as in PyTorch)."""
    m = mask_gt + 0.5 * mask_eq
    if np.ndim(m) == 0:
        return float(m)  # a NumPy float64 scalar would make a 0-d float32 gradient float64
    return m.astype(raw(like).dtype, copy=False)


@primitive("maximum")
def maximum(a, b):
    if type(a) is float and type(b) is float:
        return a if a >= b else b
    return np.maximum(a, b)


@maximum.defvjp
def _maximum_vjp(g, out, a, b):
    ra, rb = raw(a), raw(b)
    m = _tie_split(ra > rb, ra == rb, out)
    return g * m, g * (1.0 - m)


@primitive("minimum")
def minimum(a, b):
    if type(a) is float and type(b) is float:
        return a if a <= b else b
    return np.minimum(a, b)


@minimum.defvjp
def _minimum_vjp(g, out, a, b):
    ra, rb = raw(a), raw(b)
    m = _tie_split(ra < rb, ra == rb, out)
    return g * m, g * (1.0 - m)


@primitive("where")
def _where(x, y, condition):
    return np.where(condition, x, y)


@_where.defvjp
def _where_vjp(g, out, x, y, condition):
    zero = g * 0.0
    return where(condition, g, zero), where(condition, zero, g)


def where(condition, x, y):
    """``x`` where ``condition`` holds (nonzero), else ``y``. The condition is not
    differentiated; an array condition is used as given, like any operand, so change it in
    place only after ``backward()``."""
    condition = raw(condition)  # an array as given (np.where reads nonzero as True): a
    if type(condition) is not np.ndarray or condition.dtype.kind not in "biuf":  # copy would
        condition = np.asarray(condition, dtype=bool)  # be frozen by trace's replays
    try:
        return _where(x, y, condition=condition)
    except ShapeError as exc:  # it names x's and y's shapes; the culprit may be condition's
        raise ShapeError(f"where: condition of shape {condition.shape} does not broadcast with "
                         f"x and y: {exc}") from None
