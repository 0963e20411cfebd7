"""Loss functions, as functions (``nn.mse(pred, target)``) and as modules (``nn.MSELoss()``).

``pred`` is a Value (an array is taken as a constant); ``target`` is data and gets no
gradient (a Value target is read as its data). ``reduction`` is "mean" (default), "sum" or
"none" (per element, or per sample for cross_entropy). Shapes must match — one output per
sample, (N, 1) against (N,), is the one case reshaped — because silently broadcasting (N, 1)
against (N,) to (N, N) is the classic wrong-loss bug. Array targets take pred's float dtype
(a float32 model stays float32); scalar targets stay Python floats (the engine's scalar path).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd
from autograd import Value
from autograd.ops.fused import REDUCTIONS  # one vocabulary with the fused cross-entropy

from .module import Module

__all__ = [
    "LOSSES", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss", "L1Loss",
    "MSELoss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "get_loss", "hinge", "l1_loss", "l2_penalty", "mae", "mse", "mse_loss",
]



# ----------------------------------------------------------------------- shared checks
def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {', '.join(REDUCTIONS)}, "
                         f"got {reduction!r}")


def _reduce(loss: Value, reduction: str) -> Value:
    """mean/sum over every element, or the loss as is for "none" (checked beforehand)."""
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _pred(pred: Any) -> Value:
    return pred if isinstance(pred, Value) else Value(pred, requires_grad=False)


def _target(target: Any, name: str) -> float | np.ndarray:
    """The raw target data: a Python float for a scalar, else an ndarray; nan raises."""
    data = target.data if isinstance(target, Value) else target
    if type(data) is not float:
        data = np.asarray(data)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{name}: target must hold numbers, got dtype {data.dtype}")
        if data.ndim == 0:
            data = float(data)
    if type(data) is float:
        if data != data:
            raise ValueError(f"{name}: target contains nan")
    elif data.dtype.kind == "f" and np.isnan(np.sum(data)) and np.isnan(data).any():
        raise ValueError(f"{name}: target contains nan")  # the sum above: a cheap first look
    return data


def _elementwise(name: str, pred: Any, target: Any, reduction: str) -> tuple[Value, Any]:
    """pred as a Value and target aligned to it: equal shapes, or (N, 1) against (N,) reshaped;
    any other mismatch raises (never broadcast). Array targets of float32 predictions are
    cast to float32, so the loss stays float32."""
    _check_reduction(reduction, name)
    pred, target = _pred(pred), _target(target, name)
    ps, ts = pred.shape, () if type(target) is float else target.shape
    if ps != ts:
        if not (ps[:1] == ts[:1] and len(ps) + len(ts) == 3 and np.size(target) == pred.size):
            raise ValueError(f"{name}: prediction of shape {ps} and target of shape {ts} "
                             "differ (they must match; no broadcasting)")
        target = np.reshape(target, ps)
    if type(target) is not float and type(pred.data) is not float \
            and pred.data.dtype != np.float64:  # float32 predictions keep their dtype
        target = target.astype(pred.data.dtype, copy=False)
    # (against float64 the engine converts an int or bool target itself, exactly, and
    # `trace` re-reads it on every replay; a private copy made here would be frozen)
    return pred, target


def _require(target: float | np.ndarray, ok: Callable[[Any], Any], message: str) -> None:
    """ValueError(message) unless ``ok`` holds for every target value (a float skips numpy)."""
    if not (ok(target) if type(target) is float else np.all(ok(target))):
        raise ValueError(message)


def _in_unit_interval(target: Any) -> Any:
    return (target >= 0) & (target <= 1)


# ----------------------------------------------------------------------- the losses
def mae(pred: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean absolute error (L1): ``|pred - target|`` per element, reduced; same shapes."""
    pred, target = _elementwise("mae", pred, target, reduction)
    return _reduce(abs(pred - target), reduction)


def mse(pred: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error (L2): ``(pred - target)**2`` per element, reduced; same shapes."""
    pred, target = _elementwise("mse", pred, target, reduction)
    diff = pred - target
    return _reduce(diff * diff, reduction)


def log_floor(dtype: Any) -> float:
    """Binary cross-entropy's default floor for p and 1 - p inside its logs: e^-100 (each
    log term >= -100, as PyTorch), raised for float32/16 to 1/sqrt(largest value) so that
    the backward's 1/p stays far from overflow (float32: e^-44)."""
    return max(math.exp(-100), 1.0 / math.sqrt(float(np.finfo(dtype).max)))


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "mean",
                         eps: float | None = None) -> Value:
    """``-(y log p + (1 - y) log(1 - p))`` per element for probabilities p and y in [0, 1].

    p and 1 - p are floored at ``eps`` (default `log_floor` of p's dtype) inside the logs
    only, so a confident mistake costs at most ``-log(eps)`` while its gradient stays exact
    above the floor: through a sigmoid, ``p - y``. (Clipping p itself to [eps, 1 - eps] would
    zero the gradient beyond the clip: a confidently wrong model could never recover.)"""
    prob, target = _elementwise("binary_cross_entropy", prob, target, reduction)
    _require(target, _in_unit_interval,
             "binary_cross_entropy: targets must be probabilities in [0, 1]")
    floor = log_floor(prob.dtype) if eps is None else eps
    log_p = autograd.clip(prob, min=floor).log()
    log_q = autograd.clip(1.0 - prob, min=floor).log()
    # 1 - y in prob's dtype: a float16/32 target meets float64 probabilities uncast, and
    # 1 - y rounded in float16 would be off by up to 2.4e-4
    rest = 1.0 - target if type(target) is float else \
        np.subtract(1.0, target, dtype=np.result_type(prob.dtype, target.dtype))
    return _reduce(-(target * log_p + rest * log_q), reduction)


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Value:
    """Binary cross-entropy of ``sigmoid(z)`` per element: ``softplus(z) - z y``, where the
    engine's softplus is the stable ``max(z, 0) + log1p(exp(-|z|))`` (finite at |z| = 1000).
    One smooth node, so the gradient is ``sigmoid(z) - y`` everywhere, z = 0 included."""
    name = "binary_cross_entropy_with_logits"
    z, target = _elementwise(name, logits, target, reduction)
    _require(target, _in_unit_interval, f"{name}: targets must be probabilities in [0, 1]")
    return _reduce(z.softplus() - z * target, reduction)


def _labels(target: np.ndarray, classes: int) -> np.ndarray:
    """Class labels as int64; whole-number floats (labels read from a CSV) are accepted.
    Integer labels' range is checked once, by softmax_cross_entropy; float ones here, before
    the cast (which would turn 1e20 into -2**63)."""
    if target.dtype.kind in "fb":
        whole = np.isfinite(target) & (target == np.round(target))
        if not whole.all():
            raise ValueError(f"cross_entropy: class labels must be whole numbers, got "
                             f"{target[~whole][:5].tolist()}")
        outside = (target < 0) | (target >= classes)
        if outside.any():
            raise ValueError(f"cross_entropy: labels must be in 0..{classes - 1} for {classes} "
                             f"classes, got {np.unique(target[outside])[:5].tolist()}")
        target = target.astype(np.int64)
    return target


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Value:
    """Softmax cross-entropy per sample of ``logits`` (N, C) or (..., C): ``-log
    softmax(z)[label]`` for labels (N,) in 0..C-1, or ``-sum(t * log softmax(z))`` for
    one-hot/probability rows (N, C). Fused and stable for any logits."""
    _check_reduction(reduction, "cross_entropy")
    logits = _pred(logits)
    target = np.asarray(_target(target, "cross_entropy"))
    if logits.ndim == 0:
        raise ValueError("cross_entropy: logits must have a class axis, got a scalar")
    if target.shape == logits.shape[:-1]:
        target = _labels(target, logits.shape[-1])
    elif target.shape == logits.shape:
        if np.any(target < 0):
            raise ValueError("cross_entropy: target probabilities must not be negative")
        target = target.astype(logits.dtype, copy=False)  # int/bool one-hot rows too
    else:
        raise ValueError(f"cross_entropy: logits of shape {logits.shape} need labels of shape "
                         f"{logits.shape[:-1]} or probabilities of shape {logits.shape}, got "
                         f"target of shape {target.shape}")
    return autograd.softmax_cross_entropy(logits, target, reduction)  # one fused node


def hinge(scores: Any, target: Any, reduction: str = "mean", margin: float = 1.0) -> Value:
    """Max-margin loss ``max(0, margin - y * score)`` per element for labels y = ±1."""
    scores, target = _elementwise("hinge", scores, target, reduction)
    _require(target, lambda y: abs(y) == 1,
             "hinge: labels must be -1 or +1 (for 0/1 labels use 2 * y - 1)")
    return _reduce((margin - scores * target).relu(), reduction)


l1_loss, mse_loss = mae, mse


def l2_penalty(parameters: Iterable[Value], coefficient: float) -> Value:
    """``coefficient * sum over p of sum(p**2)``, a scalar to add to a loss. Its gradient is
    ``2 * coefficient * p``, so SGD's ``weight_decay=wd`` equals ``l2_penalty(params, wd / 2)``."""
    if coefficient < 0:
        raise ValueError(f"l2_penalty: coefficient must be >= 0, got {coefficient}")
    terms = [(p * p).sum() for p in parameters]
    if not terms:
        raise ValueError("l2_penalty: no parameters given (an exhausted generator?)")
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
    """The loss function ``(pred, target) -> Value`` for a name in `LOSSES`
    (case-insensitive), or a callable as is."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]
    raise ValueError(f"unknown loss {loss!r}; valid names: {', '.join(LOSSES)} (or a function "
                     "(pred, target) -> Value)")


# ----------------------------------------------------------------------- module forms
class _Loss(Module):
    """A loss as a module: it only stores the settings and calls the function."""

    function: Callable[..., Value] = staticmethod(mse)
    settings: tuple[str, ...] = ("reduction",)  # constructor arguments, passed to `function`

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(reduction, type(self).__name__)  # a bad name fails now, not mid-fit
        self.reduction = reduction

    def forward(self, pred: Any, target: Any) -> Value:
        return type(self).function(pred, target, **self.config())

    def config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.settings}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items())


class L1Loss(_Loss):
    function = staticmethod(mae)


class MSELoss(_Loss):
    function = staticmethod(mse)


class BCELoss(_Loss):
    function = staticmethod(binary_cross_entropy)
    settings = ("reduction", "eps")

    def __init__(self, reduction: str = "mean", eps: float | None = None) -> None:
        super().__init__(reduction)
        self.eps = None if eps is None else float(eps)


class BCEWithLogitsLoss(_Loss):
    function = staticmethod(binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    function = staticmethod(cross_entropy)


class HingeLoss(_Loss):
    function = staticmethod(hinge)
    settings = ("reduction", "margin")

    def __init__(self, reduction: str = "mean", margin: float = 1.0) -> None:
        super().__init__(reduction)
        self.margin = float(margin)
