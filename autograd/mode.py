"""The engine's two switches, gradient recording and anomaly detection, and a scope that
keeps Python's cyclic garbage collector out of graph-heavy work.

The switches are the only global state in the engine. All are context managers that
restore the previous setting on exit, so they nest.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


class _Mode:
    __slots__ = ("grad_enabled", "anomaly")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False


MODE = _Mode()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return MODE.grad_enabled


@contextmanager
def _setting(name: str, value: bool) -> Iterator[None]:
    previous = getattr(MODE, name)
    setattr(MODE, name, value)
    try:
        yield
    finally:
        setattr(MODE, name, previous)


def no_grad():
    """Context manager: operations inside are not recorded (no graph, no gradients)."""
    return _setting("grad_enabled", False)


def enable_grad():
    """Context manager: record operations again, e.g. inside a ``no_grad`` block."""
    return _setting("grad_enabled", True)


def detect_anomaly(enabled: bool = True):
    """Context manager: the first op whose forward or backward produces nan/inf raises
    :class:`~autograd.errors.AnomalyError` naming the op, its input shapes and the bad input."""
    return _setting("anomaly", bool(enabled))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector out of one block, then restore it as it was.

    netgrad's graphs hold no reference cycles (reference counting frees them), so
    collections while a big graph is alive only re-scan it: for scalar graphs that is
    about half the time of a training step. ``backward()`` uses it for its pass; wrap a
    whole step (forward + backward + update) in it for the same effect on the forward.
    Nothing is switched off outside the block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
