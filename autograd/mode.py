"""The engine's two switches, gradient recording and anomaly detection, and a scope that
keeps Python's cyclic garbage collector out of graph-heavy work.

The switches are the only global state in the engine. Each is a small class: use it as a
context manager (``with no_grad():``), which restores the previous setting on exit, so
blocks nest; or as a decorator (``@no_grad()``), which does the same around every call.
They are plain classes rather than ``@contextmanager`` generators, which cost several
times more. (``backward()``'s pass sets both grad mode and the collector in one
try/finally instead of entering two scopes: a microsecond per call on small graphs.)
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any


class _Mode:
    __slots__ = ("grad_enabled", "anomaly")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False


MODE = _Mode()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return MODE.grad_enabled


class _Scope:
    """Base of the switches: ``__enter__`` applies the setting and remembers the previous
    one, ``__exit__`` puts it back; as a decorator, a fresh scope wraps each call (so a
    decorated function can be re-entered, recursively or from another block)."""

    __slots__ = ("_previous",)

    def __enter__(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        raise NotImplementedError

    def _fresh(self) -> _Scope:
        return type(self)()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper


class _GradMode(_Scope):
    """Sets gradient recording to ``value`` for the block (direct attribute access: this
    runs twice per backward)."""

    __slots__ = ("value",)

    def _fresh(self) -> _GradMode:
        scope = object.__new__(type(self))
        scope.value = self.value
        return scope

    def __enter__(self) -> None:
        self._previous = MODE.grad_enabled
        MODE.grad_enabled = self.value

    def __exit__(self, *exc: object) -> None:
        MODE.grad_enabled = self._previous


class no_grad(_GradMode):
    """Operations inside are not recorded (no graph, no gradients). ``with no_grad():``
    or ``@no_grad()``."""

    __slots__ = ()

    def __init__(self) -> None:
        self.value = False


class enable_grad(_GradMode):
    """Record operations again, e.g. inside a ``no_grad`` block. ``with enable_grad():``
    or ``@enable_grad()``."""

    __slots__ = ()

    def __init__(self) -> None:
        self.value = True


class detect_anomaly(_Scope):
    """The first op whose forward or backward produces nan/inf raises
    :class:`~autograd.errors.AnomalyError` naming the op, its input shapes and the bad
    input. ``detect_anomaly(False)`` switches the checks off inside the block."""

    __slots__ = ("enabled",)

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = bool(enabled)

    def _fresh(self) -> detect_anomaly:
        return detect_anomaly(self.enabled)

    def __enter__(self) -> None:
        self._previous = MODE.anomaly
        MODE.anomaly = self.enabled

    def __exit__(self, *exc: object) -> None:
        MODE.anomaly = self._previous


class gc_paused(_Scope):
    """Keep Python's cyclic garbage collector out of one block, then restore it as it was.

    netgrad's graphs hold no reference cycles (reference counting frees them), so
    collections while a big graph is alive only re-scan it: for scalar graphs that is
    about half the time of a training step. ``backward()`` pauses it for its pass; wrap a
    whole step (forward + backward + update) in it for the same effect on the forward.
    Nothing is switched off outside the block.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        self._previous = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._previous:
            gc.enable()
