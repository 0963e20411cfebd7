"""Fused ops for the hot path of neural networks: one node instead of several.

``affine`` is a layer's ``x @ W.T + b``; ``softmax_cross_entropy`` is log-softmax plus
negative log-likelihood (and its mean), whose gradient is simply ``softmax - target``: the
forward saves the softmax for it.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError, ShapeError
from ..primitive import data_shape, operand, primitive, raw
from ..value import Value
from .reductions import softmax
from .shape import reshape


@primitive("affine")
def _affine(x, weight, *bias):
    out = x @ weight.T
    if bias:
        out += bias[0]
    return out


@_affine.defvjp
def _affine_vjp(g, out, x, weight, *bias, needs):
    n_out, n_in = weight.shape
    g2 = g.reshape(-1, n_out)
    grad_x = g @ weight if needs[0] else None
    grad_w = g2.T @ x.reshape(-1, n_in) if needs[1] else None
    if bias:
        return grad_x, grad_w, g2.sum(axis=0) if needs[2] else None
    return grad_x, grad_w


def affine(x, weight, bias=None):
    """``x @ weight.T + bias``: x (..., in), weight (out, in), bias (out,) -> (..., out)."""
    x, weight = operand(x, "affine"), operand(weight, "affine")
    sx, sw = data_shape(x), data_shape(weight)
    if len(sw) != 2 or not sx or sx[-1] != sw[1]:
        raise ShapeError(
            f"affine: input of shape {sx} does not fit weight of shape {sw} "
            f"(expected input (..., {sw[-1] if sw else '?'}) and weight (out, in))"
        )
    if bias is None:
        return _affine(x, weight)
    bias = operand(bias, "affine")
    sb = data_shape(bias)
    if sb != (sw[0],):
        raise ShapeError(f"affine: bias of shape {sb} does not fit weight of shape {sw}")
    return _affine(x, weight, bias)


def _flat_index(labels, classes):
    """Positions of ``[..., labels]`` in the flattened (..., classes) array."""
    return np.arange(0, labels.size * classes, classes) + labels.ravel().astype(np.intp,
                                                                               copy=False)


REDUCTIONS = ("mean", "sum", "none")  # nn's losses take the same names
_UNSIGNED = {np.dtype(f"i{n}"): np.dtype(f"u{n}") for n in (1, 2, 4, 8)}  # native order


def _out_of_range(labels, classes) -> bool:
    """Any label outside 0..classes-1? Viewed as unsigned, negative labels are at least half
    the type's range, so while that is >= classes one max() checks both ends (otherwise, or
    for labels not in native byte order, two reductions)."""
    unsigned = _UNSIGNED.get(labels.dtype)
    if unsigned is not None and classes <= 1 << (8 * unsigned.itemsize - 1):
        return labels.view(unsigned).max() >= classes
    return labels.max() >= classes or (labels.dtype.kind == "i" and labels.min() < 0)


@primitive("softmax_cross_entropy", saves=True)
def _softmax_cross_entropy(logits, target, reduction):
    # C order whatever the logits' layout, so the flat positions below index views
    shifted = np.subtract(logits, np.maximum.reduce(logits, axis=-1, keepdims=True), order="C")
    probs = np.exp(shifted)
    sums = np.add.reduce(probs, axis=-1)
    log_norm = np.log(sums)
    if target.dtype.kind in "iu":
        classes = logits.shape[-1]
        if target.size and _out_of_range(target, classes):  # here, not in the wrapper: a
            bad = np.unique(target[(target < 0) | (target >= classes)])  # replay runs it too
            raise DataError(f"softmax_cross_entropy: labels must be in 0..{classes - 1} for "
                            f"{classes} classes, got {bad[:5].tolist()}")
        picks = _flat_index(target, classes)
        loss = log_norm - shifted.reshape(-1)[picks].reshape(target.shape)
    else:
        picks = None
        nll = np.subtract(log_norm[..., None], shifted)
        if np.minimum.reduce(shifted, axis=None, initial=0) == -np.inf:  # masked logits: their
            # zero targets add 0 (0 log 0 = 0), not 0 * inf = nan (the masked multiply is slow)
            nll = np.multiply(target, nll, out=np.zeros_like(nll), where=target != 0)
        else:
            nll *= target
        loss = nll.sum(axis=-1)
    probs /= sums[..., None]
    if reduction != "none":
        total = np.add.reduce(loss, axis=None)  # (np.mean's wrapper costs more than a sum)
        loss = total / loss.size if reduction == "mean" else total  # empty: nan, as np.mean
    return loss, (probs, picks)  # saved: the softmax is most of the gradient


@_softmax_cross_entropy.defvjp
def _softmax_cross_entropy_vjp(g, out, logits, target, reduction, saved):
    # d loss_row / d logits_row = softmax * sum(target_row) - target_row (one-hot: sum 1).
    labels = target.dtype.kind in "iu"
    if reduction == "none":
        scale = reshape(g, data_shape(out) + (1,))
    else:  # a scalar
        rows = max(1, math.prod(data_shape(logits)[:-1]))
        scale = g / rows if reduction == "mean" else g
    if isinstance(logits, Value):  # higher order: a differentiable expression
        probs = softmax(logits, -1)
        if labels:
            onehot = np.zeros(logits.shape, dtype=logits.dtype)
            np.put_along_axis(onehot, target[..., None], 1, axis=-1)
            return (scale * (probs - onehot),)
        return (scale * (probs * target.sum(axis=-1, keepdims=True) - target),)
    probs, picks = saved
    if type(scale) is not np.ndarray or scale.ndim == 0:
        scale = float(scale)  # keeps float32 gradients float32
    if labels:  # one fresh array, updated in place
        grad = np.multiply(probs, scale, order="C")  # C order: reshape(-1) is a view
        grad.reshape(-1)[picks] -= scale if type(scale) is float else scale.ravel()
        return (grad,)
    return ((probs * target.sum(axis=-1, keepdims=True) - target) * scale,)


def softmax_cross_entropy(logits, target, reduction: str = "none"):
    """Cross-entropy of ``logits`` (..., classes) against integer class ``target`` (...) or
    probability rows (..., classes): per row, shape (...), for ``reduction="none"``; their
    mean or sum (a scalar) for "mean"/"sum", in the same node. Stable for any logits."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"softmax_cross_entropy: reduction must be one of {REDUCTIONS}, "
                         f"got {reduction!r}")
    sl = data_shape(raw(logits))
    target = np.asarray(raw(target))
    if not sl:
        raise ShapeError("softmax_cross_entropy: logits must have a class axis, got a scalar")
    if target.dtype.kind in "iu":
        if target.shape != sl[:-1]:
            raise ShapeError(
                f"softmax_cross_entropy: labels of shape {target.shape} do not fit logits of "
                f"shape {sl} (expected labels of shape {sl[:-1]})"
            )
        return _softmax_cross_entropy(logits, target=target, reduction=reduction)
    if target.shape != sl:
        raise ShapeError(
            f"softmax_cross_entropy: target of shape {target.shape} does not fit logits of "
            f"shape {sl} (integer labels {sl[:-1]} or probabilities {sl})"
        )
    dtype = np.result_type(raw(logits))
    return _softmax_cross_entropy(logits, target=target.astype(dtype, copy=False),
                                  reduction=reduction)
