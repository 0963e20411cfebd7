"""Numerical gradient checks by central differences, in float64.

``gradcheck`` checks a function; ``check_leaves`` checks an existing graph by
re-running its recorded ops with each leaf nudged (used by ``draw(check=True)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .backward import backward_order, gradients
from .errors import GradcheckError
from .mode import no_grad
from .primitive import raw
from .value import Value


def _projection(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Fixed random weights that turn a many-element output into one number."""
    return np.random.default_rng(seed).standard_normal(shape)


def gradcheck(f: Callable[..., Value], *inputs: Any, eps: float = 1e-6, atol: float = 1e-6,
              rtol: float = 1e-4, seed: int = 0) -> bool:
    """Compare the engine's gradient of ``f`` with central differences, for every input.

    Inputs are converted to float64. A many-element output is reduced to
    ``sum(out * r)`` with fixed random ``r``. Returns True, or raises GradcheckError
    naming the input, the element index and both numbers.
    """
    arrays = [np.array(raw(x), dtype=np.float64) for x in inputs]
    leaves = [Value(a) for a in arrays]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    weights = _projection(out.shape, seed)

    def scalar(o: Value) -> Value | float:
        return o if o.size == 1 and o.ndim == 0 else (o * weights).sum()

    analytic = gradients(scalar(out), leaves)
    with no_grad():
        for i, (x, a) in enumerate(zip(arrays, analytic)):
            a = np.broadcast_to(np.asarray(raw(a), dtype=np.float64), x.shape)
            for idx in np.ndindex(x.shape):
                numeric = _central_difference(
                    lambda: raw(scalar(f(*[Value(y) for y in arrays]))), x, idx, eps
                )
                if not abs(a[idx] - numeric) <= atol + rtol * abs(numeric):
                    raise GradcheckError(
                        f"gradcheck: input {i} (shape {x.shape}) at index {idx}: "
                        f"engine gradient {a[idx]:.10g}, finite differences {numeric:.10g}"
                    )
    return True


def _central_difference(evaluate: Callable[[], Any], x: np.ndarray, idx: tuple,
                        eps: float) -> float:
    """(f(x + eps) - f(x - eps)) / 2 eps, nudging x[idx] in place and restoring it."""
    original = x[idx]
    x[idx] = original + eps
    up = float(np.sum(evaluate()))
    x[idx] = original - eps
    down = float(np.sum(evaluate()))
    x[idx] = original
    return (up - down) / (2 * eps)


def _replay(order: list[Value], nudged: Value, data: np.ndarray) -> Any:
    """The root's data when ``nudged`` holds ``data``, re-running recorded ops (no new nodes)."""
    values = {nudged: data}
    for node in reversed(order):
        if node._op is None:
            continue
        args = [values.get(p, p.data) for p in node._parents]
        values[node] = node._op(*args, **node.attrs)  # raw data in: no node recorded
    return values[order[0]]


def check_leaves(root: Value, eps: float = 1e-6, atol: float = 1e-5,
                 rtol: float = 1e-3) -> dict[Value, float]:
    """For each leaf below ``root``: how far d(root)/d(leaf) from the engine is outside the
    tolerance ``atol + rtol * |numeric|`` of central differences (> 0 means a bad rule)."""
    order = backward_order(root)
    leaves = [n for n in order if n._op is None]
    weights = 1.0 if root.size == 1 else _projection(root.shape, 0)
    projected = root if root.size == 1 else (root * weights).sum()
    with no_grad():
        engine = gradients(projected, leaves)
    gaps: dict[Value, float] = {}
    for leaf, a in zip(leaves, engine):
        x = np.array(leaf.data, dtype=np.float64)
        a = np.broadcast_to(np.asarray(raw(a), dtype=np.float64), x.shape)

        def evaluate(leaf=leaf, x=x):
            return np.sum(_replay(order, leaf, x if x.ndim else float(x)) * weights)

        worst = 0.0
        for idx in np.ndindex(x.shape):
            numeric = _central_difference(evaluate, x, idx, eps)
            worst = max(worst, abs(a[idx] - numeric) - rtol * abs(numeric) - atol)
        gaps[leaf] = worst
    return gaps
