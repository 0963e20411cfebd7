"""Scores of a model's outputs against targets, for `fit`'s history and `evaluate`: accuracy
(classes, signs, probabilities or logits), mean absolute and squared error, and which of them a
loss implies by default."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

__all__ = ["METRICS", "accuracy", "mean_absolute_error", "mean_squared_error",
           "resolve_metrics"]


def accuracy(pred: np.ndarray, target: np.ndarray, threshold: float | None = None) -> float:
    """Fraction correct. (N, C) outputs: argmax against integer labels. One output per sample:
    labels -1/+1 compare signs; labels 0/1 compare ``pred > threshold``, where the default
    threshold is 0.5 when every output lies in [0, 1] (probabilities) and 0 otherwise (logits)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim == target.ndim + 1 and pred.shape[-1] > 1:
        hits = pred.argmax(axis=-1) == target  # runs every step: count, not np.mean
        return np.count_nonzero(hits) / hits.size if hits.size else math.nan
    if pred.size != target.size:
        raise ValueError(f"accuracy: outputs of shape {pred.shape} do not match targets of "
                         f"shape {target.shape}")
    pred = pred.reshape(target.shape)
    if np.any(target < 0):
        return float(np.mean(np.sign(pred) == np.sign(target)))
    if threshold is None:
        threshold = 0.5 if np.all((pred >= 0) & (pred <= 1)) else 0.0
    return float(np.mean((pred > threshold) == (target > 0.5)))


def mean_absolute_error(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean |pred - target| (regression); target is reshaped to pred's shape."""
    pred = np.asarray(pred)
    return float(np.mean(np.abs(pred - np.asarray(target).reshape(pred.shape))))


def mean_squared_error(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean (pred - target)^2 (regression); target is reshaped to pred's shape."""
    pred = np.asarray(pred)
    return float(np.mean((pred - np.asarray(target).reshape(pred.shape)) ** 2))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": accuracy, "mae": mean_absolute_error, "mse": mean_squared_error}


def _threshold_for(loss: Any) -> float | None:
    """The accuracy threshold a binary loss implies: 0 for logits/scores (``bce_logits``,
    ``hinge``), 0.5 for probabilities (``bce``); None (guess from the outputs) otherwise."""
    from .losses import binary_cross_entropy, binary_cross_entropy_with_logits, hinge

    fn = getattr(loss, "function", loss)  # the module forms (nn.BCEWithLogitsLoss()) name theirs
    if fn is binary_cross_entropy_with_logits or fn is hinge:
        return 0.0
    return 0.5 if fn is binary_cross_entropy else None


def _default_metrics(loss: Any) -> tuple[str, ...]:
    """``("accuracy",)``, except for the regression losses (mse, mae): accuracy means nothing
    there (and a low one would make `diagnose` call a good regression fit underfitting)."""
    from .losses import mae, mse

    return () if getattr(loss, "function", loss) in (mse, mae) else ("accuracy",)


def resolve_metrics(metrics: Sequence[str | Callable] | None,
                    loss: Any = None) -> dict[str, Callable]:
    """Name -> function for `fit`/`evaluate`: names from `METRICS` or callables; None gives
    `_default_metrics` of the loss; "accuracy" takes the threshold the loss implies."""
    out, threshold = {}, _threshold_for(loss)
    for m in _default_metrics(loss) if metrics is None else metrics:
        if callable(m):
            out[getattr(m, "__name__", "metric")] = m
        elif m == "accuracy" and threshold is not None:
            out[m] = partial(accuracy, threshold=threshold)
        elif m in METRICS:
            out[m] = METRICS[m]
        else:
            raise ValueError(f"unknown metric {m!r}; known: {sorted(METRICS)} or a callable")
    return out
