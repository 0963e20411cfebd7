"""micrograd's own demo workload: make_moons(100, noise=0.1), MLP(2, [16, 16, 1]),
max-margin loss + 1e-4 L2, 100 SGD steps with lr = 1 - 0.9 k / 100.

Contenders, stepped in turn (interleaved step by step) from the same initial weights:
micrograd (PyPI) as users run it; netgrad scalar Values (as is, and with the step inside
``autograd.gc_paused()``, which scopes the collector pause to the step); the minimal
pure-Python engine of ``minimal_engine`` running micrograd's step code (as is, and inside
``gc_paused()``), the floor for any pure-Python engine; netgrad tensors.
Each contender's time includes a full collection right after its step (its own garbage);
objects alive before the run are frozen out of the scans, which if anything flatters
micrograd (whose cyclic garbage needs those collections).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

import autograd
from autograd import Value

from . import minimal_engine
from .netgrad_models import ScalarMLP

__all__ = ["FLOOR", "FLOOR_GC_PAUSED", "run"]

ALPHA = 1e-4
FLOOR = "minimal pure-Python engine (floor)"
FLOOR_GC_PAUSED = "minimal engine (floor), step in gc_paused()"


def _moons(seed: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import make_moons
    except ImportError as exc:
        raise ImportError("the scalar benchmark needs scikit-learn: pip install netgrad[bench]"
                          ) from exc
    x, y = make_moons(n_samples=100, noise=0.1, random_state=seed)
    return x, (y * 2 - 1).astype(np.float64)


def _netgrad_scalar_step(model: ScalarMLP, x: np.ndarray, y: np.ndarray, lr: float) -> float:
    rows = x.tolist()
    scores = [model(row) for row in rows]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(losses, Value(0.0, requires_grad=False)) * (1.0 / len(losses))
    params = model.parameters()
    reg_loss = ALPHA * sum((p * p for p in params), Value(0.0, requires_grad=False))
    total = data_loss + reg_loss
    total.backward()
    for p in params:
        p.data -= lr * p.grad
        p.grad = None
    return _accuracy(y, [s.data for s in scores])


def _gc_paused(step: Callable[..., float]) -> Callable[..., float]:
    """``step`` with all of it (forward, backward, update) inside ``autograd.gc_paused()``."""

    def paused(*args) -> float:
        with autograd.gc_paused():
            return step(*args)

    return paused


class _TensorModel:
    """The same network as tensors: weights (out, in) copied from the scalar model."""

    def __init__(self, scalar: ScalarMLP) -> None:
        self.layers = [(Value([[w.data for w in n.w] for n in layer.neurons]),
                        Value([n.b.data for n in layer.neurons])) for layer in scalar.layers]
        self.params = [p for layer in self.layers for p in layer]

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        hidden = x
        for i, (w, b) in enumerate(self.layers):
            hidden = autograd.affine(hidden, w, b)
            if i < len(self.layers) - 1:
                hidden = hidden.relu()
        scores = hidden.reshape(-1)
        data_loss = (1 - y * scores).relu().mean()
        reg_loss = ALPHA * sum((p * p).sum() for p in self.params)
        (data_loss + reg_loss).backward()
        for p in self.params:
            p.data -= lr * p.grad
            p.grad = None
        return _accuracy(y, scores.data)


def _micrograd_step(value: type, model, x: np.ndarray, y: np.ndarray, lr: float) -> float:
    """micrograd's demo step, on micrograd or on any engine with its interface (``value``:
    its Value class; ``model``: callable, with ``parameters()`` and ``zero_grad()``)."""
    inputs = [list(map(value, row)) for row in x.tolist()]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return _accuracy(y, [s.data for s in scores])


def _accuracy(y: np.ndarray, scores) -> float:
    return float(np.mean((np.asarray(y) > 0) == (np.asarray(scores) > 0)))


def _micrograd_contender(scalar: ScalarMLP) -> tuple[Callable[..., float], object] | None:
    """micrograd's step and its MLP holding the scalar model's weights; None if it is absent."""
    try:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP
    except ImportError:
        return None
    model = MLP(2, [16, 16, 1])
    for mine, theirs in zip(scalar.parameters(), model.parameters()):
        theirs.data = mine.data
    return partial(_micrograd_step, MValue), model


def _minimal_model(scalar: ScalarMLP) -> minimal_engine.MLP:
    """The minimal engine's MLP holding the scalar model's weights."""
    return minimal_engine.MLP([[([w.data for w in n.w], n.b.data) for n in layer.neurons]
                               for layer in scalar.layers])


def run(steps: int = 100, seed: int = 0) -> tuple[list[list], list[str]]:
    """Rows (contender, ms/step median, final accuracy, micrograd / contender) and notes."""
    x, y = _moons(seed)
    notes = []
    contenders = {}
    reference = ScalarMLP(2, [16, 16, 1], np.random.default_rng(seed))
    micro = _micrograd_contender(reference)
    if micro is None:
        notes.append("micrograd not installed (pip install netgrad[bench]): its row is skipped")
    else:
        contenders["micrograd (PyPI)"] = micro
    for name, step in [("netgrad scalar Value", _netgrad_scalar_step),
                       ("netgrad scalar, step in gc_paused()", _gc_paused(_netgrad_scalar_step))]:
        model = ScalarMLP(2, [16, 16, 1], np.random.default_rng(seed))
        contenders[name] = (step, model)
    minimal_step = partial(_micrograd_step, minimal_engine.Value)
    for name, step in [(FLOOR, minimal_step), (FLOOR_GC_PAUSED, _gc_paused(minimal_step))]:
        contenders[name] = (step, _minimal_model(reference))
    tensor = _TensorModel(reference)
    contenders["netgrad tensors"] = (lambda m, *a: m.step(*a), tensor)

    times = {name: [] for name in contenders}
    accuracy = {}
    gc.collect()
    gc.freeze()  # setup objects out of every scan: a full collection then costs ~0 when idle
    try:
        for k in range(steps):
            lr = 1.0 - 0.9 * k / 100
            for name, (step, model) in contenders.items():
                start = time.perf_counter()
                accuracy[name] = step(model, x, y, lr)
                gc.collect()  # each pays for its own garbage, none left for the next one
                times[name].append(time.perf_counter() - start)
    finally:
        gc.unfreeze()
    medians = {name: statistics.median(t[1:] or t) for name, t in times.items()}
    base = medians.get("micrograd (PyPI)")
    rows = [[name, medians[name] * 1e3, accuracy[name], None if base is None else base / m]
            for name, m in medians.items()]
    return rows, notes
