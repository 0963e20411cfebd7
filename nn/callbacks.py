"""Callbacks: hooks `fit` calls around each epoch (early stopping, checkpoints, LR schedules).

A callback receives the running `Trainer` (``trainer.model``, ``.optimizer``, ``.history``,
``.epoch``) and may set ``trainer.stop_training = True``. ``logs`` is the epoch's record
(``loss``, ``val_loss``, metrics).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

__all__ = ["Callback", "EarlyStopping", "LRSchedulerCallback", "ModelCheckpoint"]


class Callback:
    """Base class: override the hooks you need."""

    def on_train_begin(self, trainer: Any) -> None: ...

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None: ...

    def on_train_end(self, trainer: Any) -> None: ...


def _monitored(logs: dict[str, float], monitor: str, who: str) -> float:
    if monitor not in logs:
        raise KeyError(f"{who}: monitor={monitor!r} is not recorded; available: {sorted(logs)}")
    return logs[monitor]


class _Best:
    """Tracks the best value of a monitored quantity (lower is better unless mode='max')."""

    def __init__(self, mode: str, min_delta: float, who: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"{who}: mode must be 'min' or 'max', got {mode!r}")
        self.sign = 1.0 if mode == "min" else -1.0
        self.min_delta = min_delta
        self.value = math.inf

    def improved(self, value: float) -> bool:
        score = self.sign * value
        if score < self.value - self.min_delta:
            self.value = score
            return True
        return False


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs; optionally put the best
    weights back at the end (``restore_best=True``)."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "min", restore_best: bool = True) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.mode = monitor, patience, mode
        self.min_delta, self.restore_best = min_delta, restore_best

    def on_train_begin(self, trainer: Any) -> None:
        self.best = _Best(self.mode, self.min_delta, "EarlyStopping")
        self.wait, self.best_epoch, self.best_state, self.stopped_epoch = 0, None, None, None

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if self.best.improved(value):
            self.wait, self.best_epoch = 0, epoch
            if self.restore_best:
                self.best_state = {k: np.array(v, copy=True)
                                   for k, v in trainer.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True
                self.stopped_epoch = epoch

    def on_train_end(self, trainer: Any) -> None:
        if self.restore_best and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
            trainer.history.meta["restored_best_epoch"] = self.best_epoch


class ModelCheckpoint(Callback):
    """Write a full checkpoint (model, optimizer, history, RNG states) after each epoch, or only
    when `monitor` improves (``save_best_only``). Writes are atomic. ``{epoch}`` in `path` is
    replaced by the 1-based epoch number. Resume with ``fit(..., resume_from=path)``; callback
    state (e.g. EarlyStopping's patience counter) is not part of the checkpoint."""

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "min") -> None:
        self.path, self.monitor, self.save_best_only, self.mode = str(path), monitor, \
            save_best_only, mode

    def on_train_begin(self, trainer: Any) -> None:
        self.best = _Best(self.mode, 0.0, "ModelCheckpoint")
        self.last_path: str | None = None

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        if self.save_best_only and not self.best.improved(
                _monitored(logs, self.monitor, "ModelCheckpoint")):
            return
        from .checkpoint import save_checkpoint

        self.last_path = str(save_checkpoint(self.path.format(epoch=epoch + 1), trainer))


class LRSchedulerCallback(Callback):
    """Steps an LR scheduler once per epoch; ReduceLROnPlateau-like schedulers (whose ``step``
    takes a metric) get `monitor` (default ``val_loss``, else ``loss``)."""

    def __init__(self, scheduler: Any, monitor: str | None = None) -> None:
        self.scheduler, self.monitor = scheduler, monitor

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        if _wants_metric(self.scheduler):
            key = self.monitor or ("val_loss" if "val_loss" in logs else "loss")
            self.scheduler.step(_monitored(logs, key, type(self.scheduler).__name__))
        else:
            self.scheduler.step()


def _wants_metric(scheduler: Any) -> bool:
    import inspect

    try:
        params = inspect.signature(scheduler.step).parameters
    except (TypeError, ValueError):
        return False
    return any(p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY,
               p.POSITIONAL_OR_KEYWORD) for p in params.values())
