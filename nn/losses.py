"""Loss functions, as functions (``nn.mse(pred, target)``) and as modules (``nn.MSELoss()``).

``pred`` is a Value (an array is taken as a constant); ``target`` is data and gets no
gradient. ``reduction`` is "mean" (default), "sum" or "none" (per element, or per sample
for cross_entropy). Shapes must match — one output per sample, (N, 1) against (N,), is the
one case reshaped — because silently broadcasting (N, 1) against (N,) to (N, N) is the
classic wrong-loss bug.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd
from autograd import Value

from .module import Module

__all__ = [
    "LOSSES", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss", "L1Loss",
    "MSELoss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "get_loss", "hinge", "l1_loss", "l2_penalty", "mae", "mse", "mse_loss",
]

REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------- shared checks
def _pred(pred: Any) -> Value:
    return pred if isinstance(pred, Value) else Value(pred, requires_grad=False)


def _target(target: Any, name: str) -> Any:
    """The raw target data (float or ndarray), checked for nan."""
    data = target.data if isinstance(target, Value) else target
    if type(data) is not float:
        data = np.asarray(data)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{name}: target must hold numbers, got dtype {data.dtype}")
    floats = type(data) is float or data.dtype.kind == "f"
    if floats and np.isnan(np.sum(data)) and np.isnan(data).any():  # the sum: a cheap first look
        raise ValueError(f"{name}: target contains nan")
    return data


def _aligned(pred: Value, target: Any, name: str) -> Any:
    """target with pred's shape: equal shapes, or (N, 1) against (N,); anything else raises."""
    ps, ts = pred.shape, np.shape(target)
    if ps == ts:
        return target
    if ps[:1] == ts[:1] and len(ps) + len(ts) == 3 and np.size(target) == pred.size:
        return np.reshape(target, ps)
    raise ValueError(f"{name}: prediction of shape {ps} and target of shape {ts} differ "
                     "(they must match; no broadcasting)")


def _reduce(loss: Value, reduction: str, name: str) -> Value:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {', '.join(REDUCTIONS)}, "
                     f"got {reduction!r}")


def _elementwise(name: str, pred: Any, target: Any) -> tuple[Value, Any]:
    pred = _pred(pred)
    return pred, _aligned(pred, _target(target, name), name)


# ----------------------------------------------------------------------- the losses
def mae(pred: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean absolute error (L1): ``|pred - target|``, reduced."""
    pred, target = _elementwise("mae", pred, target)
    return _reduce(abs(pred - target), reduction, "mae")


def mse(pred: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error (L2): ``(pred - target)**2``, reduced."""
    pred, target = _elementwise("mse", pred, target)
    diff = pred - target
    return _reduce(diff * diff, reduction, "mse")


def _probability_targets(target: Any, name: str) -> None:
    if np.any((np.asarray(target) < 0) | (np.asarray(target) > 1)):
        raise ValueError(f"{name}: targets must be probabilities in [0, 1]")


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "mean",
                         eps: float = 1e-7) -> Value:
    """``-(y log p + (1 - y) log(1 - p))`` for probabilities p, clipped to [eps, 1 - eps] so a
    confident mistake costs a large finite loss instead of inf."""
    prob, target = _elementwise("binary_cross_entropy", prob, target)
    _probability_targets(target, "binary_cross_entropy")
    p = autograd.clip(prob, eps, 1.0 - eps)
    loss = -(target * p.log() + (1.0 - target) * (1.0 - p).log())
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Value:
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably as
    ``max(z, 0) - z y + log(1 + exp(-|z|))`` (finite at |z| = 1000)."""
    name = "binary_cross_entropy_with_logits"
    z, target = _elementwise(name, logits, target)
    _probability_targets(target, name)
    loss = z.relu() - z * target + (-abs(z)).softplus()
    return _reduce(loss, reduction, name)


def _labels(target: np.ndarray, classes: int) -> np.ndarray:
    """Class labels as int64; whole-number floats (labels read from a CSV) are accepted."""
    if target.dtype.kind == "f":
        if not np.all(target == np.round(target)):
            bad = target[target != np.round(target)]
            raise ValueError(f"cross_entropy: class labels must be whole numbers, got "
                             f"{bad[:5].tolist()}")
        target = target.astype(np.int64)
    if target.size and (target.min() < 0 or target.max() >= classes):
        bad = target[(target < 0) | (target >= classes)]
        raise ValueError(f"cross_entropy: labels must be in 0..{classes - 1} for {classes} "
                         f"classes, got {np.unique(bad)[:5].tolist()}")
    return target


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Value:
    """Softmax cross-entropy of ``logits`` (N, C): ``-log softmax(logits)[label]`` per sample.
    ``target`` is labels (N,) in 0..C-1, or one-hot/probability rows (N, C). Stable for any
    logits (log-softmax, never softmax then log)."""
    logits = _pred(logits)
    target = np.asarray(_target(target, "cross_entropy"))
    if logits.ndim == 0:
        raise ValueError("cross_entropy: logits must have a class axis, got a scalar")
    if target.shape == logits.shape[:-1]:
        target = _labels(target, logits.shape[-1])
    elif target.shape == logits.shape:
        if np.any(target < 0):
            raise ValueError("cross_entropy: target probabilities must not be negative")
    else:
        raise ValueError(f"cross_entropy: logits of shape {logits.shape} need labels of shape "
                         f"{logits.shape[:-1]} or probabilities of shape {logits.shape}, got "
                         f"target of shape {target.shape}")
    return _reduce(autograd.softmax_cross_entropy(logits, target), reduction, "cross_entropy")


def hinge(scores: Any, target: Any, reduction: str = "mean", margin: float = 1.0) -> Value:
    """Max-margin loss ``max(0, margin - y * score)`` for labels y = ±1."""
    scores, target = _elementwise("hinge", scores, target)
    if not np.all(np.abs(target) == 1):
        raise ValueError("hinge: labels must be -1 or +1 (for 0/1 labels use 2 * y - 1)")
    return _reduce((margin - scores * target).relu(), reduction, "hinge")


l1_loss, mse_loss = mae, mse


def l2_penalty(parameters: Iterable[Value], coefficient: float) -> Value:
    """``coefficient * sum of squared weights`` to add to a loss. Its gradient is
    ``2 * coefficient * w``, so SGD's ``weight_decay=wd`` equals ``l2_penalty(params, wd / 2)``."""
    terms = [(p * p).sum() for p in parameters]
    if not terms:
        raise ValueError("l2_penalty: no parameters given")
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return coefficient * total


LOSSES: dict[str, Callable[..., Value]] = {
    "mae": mae, "l1": mae, "mse": mse, "l2": mse, "bce": binary_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy, "bce_logits": binary_cross_entropy_with_logits,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy, "hinge": hinge,
}


def get_loss(loss: str | Callable[..., Value]) -> Callable[..., Value]:
    """The loss function for a name in `LOSSES` (case-insensitive), or a callable as is."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]
    raise ValueError(f"unknown loss {loss!r}; valid names: {', '.join(LOSSES)} (or a function "
                     "(pred, target) -> Value)")


# ----------------------------------------------------------------------- module forms
class _Loss(Module):
    """A loss as a module: stores the settings, calls the function (one formula each)."""

    function: Callable[..., Value] = staticmethod(mse)

    def __init__(self, reduction: str = "mean") -> None:
        _reduce(Value(0.0), reduction, type(self).__name__)  # reject bad names now
        self.reduction = reduction

    def forward(self, pred: Any, target: Any) -> Value:
        return type(self).function(pred, target, **self.config())

    def config(self) -> dict[str, Any]:
        return {"reduction": self.reduction}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items())


class L1Loss(_Loss):
    function = staticmethod(mae)


class MSELoss(_Loss):
    function = staticmethod(mse)


class BCELoss(_Loss):
    function = staticmethod(binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    function = staticmethod(binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    function = staticmethod(cross_entropy)


class HingeLoss(_Loss):
    function = staticmethod(hinge)

    def __init__(self, reduction: str = "mean", margin: float = 1.0) -> None:
        super().__init__(reduction)
        self.margin = float(margin)

    def config(self) -> dict[str, Any]:
        return {"reduction": self.reduction, "margin": self.margin}
