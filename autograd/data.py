"""The engine's data: what `as_data` accepts from users (numbers, nested lists, arrays of any
real dtype and byte order, Values) and turns into the one form every op works on, a Python
float for scalars or a native-order float ndarray."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_data"]

_FLOAT_KINDS = "f"
_CONVERTIBLE_KINDS = "biu"  # bool, int, unsigned: become float64


def as_data(x: Any, what: str = "data") -> float | np.ndarray:
    """Normalize ``x`` to the engine's data: a Python float (scalars) or a float ndarray.

    float16/32/64 arrays keep their dtype; ints and bools become float64.
    Raises TypeError/ValueError naming what was given for non-numeric or ragged input.
    """
    kind = type(x)
    if kind is float:
        return x
    if kind is int or kind is bool:
        return float(x)
    if kind is not np.ndarray:  # (a Value comes through np.asarray: its __array__)
        if x is None or isinstance(x, (str, bytes, dict, set)):
            raise TypeError(f"{what} must be a number or an array of numbers, got {kind.__name__}")
        try:
            x = np.asarray(x)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(
                f"{what} must be a rectangular array of numbers; got a ragged sequence ({exc})"
            ) from None
    dtype = x.dtype
    if dtype.kind in _FLOAT_KINDS:
        if not dtype.isnative:  # big-endian data from a file: native, like every result
            x = x.astype(dtype.newbyteorder("="))
            dtype = x.dtype
        if x.ndim == 0 and dtype == np.float64:
            return float(x)
        return x
    if dtype.kind in _CONVERTIBLE_KINDS:
        return float(x) if x.ndim == 0 else x.astype(np.float64)
    raise TypeError(f"{what} must hold real numbers, got an array of dtype {dtype}")
