"""Argument checks shared by nn's public functions and classes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["integer_at_least", "number_in"]


def integer_at_least(value: Any, what: str, minimum: int = 1) -> int:
    """``value`` as an int, checked to be an integer >= ``minimum`` (a bool or 2.5 is refused,
    never truncated); ``what`` names it in the error, e.g. "Linear: nin"."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def number_in(value: Any, what: str, low: float = -math.inf, high: float = math.inf,
              low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float, checked to be a finite real number (not a bool or a string) in
    the range from ``low`` to ``high`` (excluded when ``low_open`` / ``high_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value}")
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        if high == math.inf:
            bound = f"{'>' if low_open else '>='} {low:g}"
        else:
            bound = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{what} must be {bound}, got {value}")
    return float(value)
