"""Fused ops for the hot path of neural networks: one node instead of several.

``affine`` is a layer's ``x @ W.T + b``; ``softmax_cross_entropy`` is log-softmax plus
negative log-likelihood, whose gradient is simply ``softmax - target``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import data_shape, primitive, raw
from .reductions import _stable_logsumexp, softmax
from .shape import reshape, swapaxes


@primitive("affine")
def _affine(x, weight, *bias):
    out = x @ weight.T
    if bias:
        out += bias[0]
    return out


@_affine.defvjp
def _affine_vjp(g, out, x, weight, *bias):
    n_out, n_in = data_shape(weight)
    g2 = reshape(g, (-1, n_out))
    grad_w = swapaxes(g2, 0, 1) @ reshape(x, (-1, n_in))
    grad_x = g @ weight
    if bias:
        return grad_x, grad_w, g2.sum(axis=0)
    return grad_x, grad_w


def affine(x, weight, bias=None):
    """``x @ weight.T + bias``: x (..., in), weight (out, in), bias (out,) -> (..., out)."""
    sx, sw = data_shape(raw(x)), data_shape(raw(weight))
    if len(sw) != 2 or not sx or sx[-1] != sw[1]:
        raise ShapeError(
            f"affine: input of shape {sx} does not fit weight of shape {sw} "
            f"(expected input (..., {sw[-1] if sw else '?'}) and weight (out, in))"
        )
    if bias is None:
        return _affine(x, weight)
    sb = data_shape(raw(bias))
    if sb != (sw[0],):
        raise ShapeError(f"affine: bias of shape {sb} does not fit weight of shape {sw}")
    return _affine(x, weight, bias)


@primitive("softmax_cross_entropy")
def _softmax_cross_entropy(logits, target):
    log_probs = logits - _stable_logsumexp(logits, -1)
    if target.dtype.kind in "iu":
        return -np.take_along_axis(log_probs, target[..., None], axis=-1)[..., 0]
    return -(target * log_probs).sum(axis=-1)


@_softmax_cross_entropy.defvjp
def _softmax_cross_entropy_vjp(g, out, logits, target):
    if target.dtype.kind in "iu":
        probs = raw(logits)
        onehot = np.zeros(probs.shape, dtype=probs.dtype)
        np.put_along_axis(onehot, target[..., None], 1, axis=-1)
        target = onehot
    n = data_shape(out)
    return (reshape(g, n + (1,)) * (softmax(logits, -1) - target),)


def softmax_cross_entropy(logits, target):
    """Per-row cross-entropy of ``logits`` (..., classes) against integer class ``target``
    (...) or probability rows (..., classes); returns shape (...). Stable for any logits."""
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
        if target.size and (target.min() < 0 or target.max() >= sl[-1]):
            bad = target[(target < 0) | (target >= sl[-1])]
            raise ValueError(
                f"softmax_cross_entropy: labels must be in 0..{sl[-1] - 1}, got {bad[:5].tolist()}"
            )
        return _softmax_cross_entropy(logits, target=target)
    if target.shape != sl:
        raise ShapeError(
            f"softmax_cross_entropy: target of shape {target.shape} does not fit logits of "
            f"shape {sl} (integer labels {sl[:-1]} or probabilities {sl})"
        )
    dtype = np.result_type(raw(logits))
    return _softmax_cross_entropy(logits, target=target.astype(dtype, copy=False))
