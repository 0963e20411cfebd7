"""Argument checks shared by nn's public functions and classes."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["integer_at_least"]


def integer_at_least(value: Any, what: str, minimum: int = 1) -> int:
    """``value`` as an int, checked to be an integer >= ``minimum`` (a bool or 2.5 is refused,
    never truncated); ``what`` names it in the error, e.g. "Linear: nin"."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)
