"""Learning-rate range test: train a copy of the model while the learning rate grows
geometrically from `start_lr` to `end_lr`, record the loss, and suggest a learning rate.

The suggestion is the learning rate where the smoothed loss is lowest, divided by 10 (a safe
distance from where the loss starts to blow up). The model passed in is not touched.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import DataLoader

__all__ = ["LRFindResult", "lr_find"]


@dataclass
class LRFindResult:
    """Loss per tried learning rate (``lrs``, ``losses``, ``smoothed``) and ``suggested_lr``."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float

    def plot(self, path: str | os.PathLike | None = None):
        """Loss against learning rate (log x axis); returns the Figure, saves PNG at `path`."""
        from pathlib import Path

        from .history import _pyplot
        from .io import atomic_write

        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.lrs, self.losses, alpha=0.3, label="loss")
        ax.plot(self.lrs, self.smoothed, label="smoothed loss")
        ax.axvline(self.suggested_lr, color="red", linestyle="--",
                   label=f"suggested lr {self.suggested_lr:.2g}")
        ax.set(xscale="log", xlabel="learning rate", ylabel="loss",
               title="learning-rate range test")
        ax.legend()
        fig.tight_layout()
        if path is not None:
            atomic_write(Path(path), lambda f: fig.savefig(f, format="png"))
        return fig


def lr_find(model: Any, loss: str | Callable, optimizer_factory: Callable[[list], Any],
            data: Any, start_lr: float = 1e-6, end_lr: float = 10.0, num_steps: int = 200,
            batch_size: int = 32, seed: int = 0, smoothing: float = 0.9,
            diverge_factor: float = 4.0) -> LRFindResult:
    """Sweep the learning rate over `num_steps` mini-batch steps on a deep copy of `model`.

    ``optimizer_factory(params)`` builds the optimizer (its lr is overwritten each step);
    `data` is ``(X, y)`` or a DataLoader. Stops early once the smoothed loss exceeds
    `diverge_factor` times its best value or becomes nan/inf.
    """
    from .train import Trainer, TrainingDiverged

    if not 0 < start_lr < end_lr < math.inf:
        raise ValueError(f"lr_find: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    if num_steps < 2:
        raise ValueError(f"lr_find: num_steps must be >= 2, got {num_steps}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"lr_find: smoothing must be in [0, 1), got {smoothing}")
    trial = copy.deepcopy(model)
    optimizer = optimizer_factory(trial.parameters())
    loader = data if isinstance(data, DataLoader) else DataLoader(
        data[0], data[1], batch_size=batch_size, seed=seed, steps_per_epoch=num_steps)
    trainer = Trainer(trial, loss, optimizer, loader, metrics=(), progress=False, seed=seed)
    lrs = start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    losses: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    batches = iter(loader)
    for step, lr in enumerate(lrs):
        try:
            Xb, yb = next(batches)
        except StopIteration:
            batches = iter(loader)
            Xb, yb = next(batches)
        for group in optimizer.param_groups:
            group["lr"] = float(lr)
        try:
            value = trainer.train_step(step, Xb, yb)[0]
        except TrainingDiverged:
            break
        average = smoothing * average + (1 - smoothing) * value
        debiased = average / (1 - smoothing ** (step + 1))
        losses.append(value)
        smoothed.append(debiased)
        best = min(best, debiased)
        if step > 5 and debiased > diverge_factor * best:
            break
    if len(losses) < 2:
        raise ValueError("lr_find: the loss diverged at the very first learning rates; "
                         f"lower start_lr (now {start_lr:g})")
    tried = lrs[: len(losses)]
    suggested = float(tried[int(np.argmin(smoothed))] / 10.0)
    return LRFindResult(tried, np.array(losses), np.array(smoothed), suggested)
