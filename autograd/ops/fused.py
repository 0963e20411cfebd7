"""Fused ops for the hot path of neural networks: one node instead of several.

``affine`` is a layer's ``x @ W.T + b``; ``softmax_cross_entropy`` is log-softmax plus
negative log-likelihood, whose gradient is simply ``softmax - target``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import data_shape, primitive, raw
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


def _pick(rows, labels):
    """rows[..., labels] for integer labels of shape rows.shape[:-1] (fast 2-d indexing)."""
    flat = rows.reshape(-1, rows.shape[-1])
    return flat[np.arange(len(flat)), labels.ravel()].reshape(labels.shape)


# Largest loss for which the label VJP reuses the forward (eps * loss <= 2**-20 ~ 1e-6).
_REUSE_MAX_LOSS = {np.dtype(t): 2.0**-20 / np.finfo(t).eps for t in (np.float32, np.float64)}


@primitive("softmax_cross_entropy")
def _softmax_cross_entropy(logits, target):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=-1))
    if target.dtype.kind in "iu":
        return log_norm - _pick(shifted, target)
    return (target * (log_norm[..., None] - shifted)).sum(axis=-1)


@_softmax_cross_entropy.defvjp
def _softmax_cross_entropy_vjp(g, out, logits, target):
    labels = target.dtype.kind in "iu"
    if not isinstance(logits, Value):  # first order: one fresh array, updated in place
        if labels:
            grad = _labels_grad(g, out, logits, target)
            if grad is not None:
                return (grad,)
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        grad = e / e.sum(axis=-1, keepdims=True)
        if labels:
            flat = grad.reshape(-1, grad.shape[-1])
            flat[np.arange(len(flat)), target.ravel()] -= 1
        else:
            grad -= target
        grad *= np.reshape(g, np.shape(g) + (1,))
        return (grad,)
    if labels:
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        np.put_along_axis(onehot, target[..., None], 1, axis=-1)
        target = onehot
    return (reshape(g, data_shape(out) + (1,)) * (softmax(logits, -1) - target),)


def _labels_grad(g, out, logits, labels):
    """``g * (softmax(logits) - onehot(labels))`` reusing the forward's loss instead of
    recomputing max/exp-sum/division: the loss is ``lse - z[label]``, so the softmax is
    ``exp((z - z[label]) - loss)``. Subtracting the label's logit first cancels large
    common offsets exactly, but the result still rounds like ``eps * loss``: so this is
    used only while every loss is small enough for that to stay below ~1e-6 (float32:
    loss <= 8, float64: always in practice). None otherwise, and for a nan/inf loss
    (an overflowed row): the caller then recomputes the max-shifted softmax."""
    loss = np.asarray(out).reshape(-1, 1)
    if not loss.size or not loss.max() <= _REUSE_MAX_LOSS.get(logits.dtype, 0.0):
        return None
    flat = logits.reshape(-1, logits.shape[-1])
    rows, cols = np.arange(len(flat)), labels.ravel()
    grad = flat - flat[rows, cols][:, None]
    grad -= loss
    np.exp(grad, out=grad)
    grad[rows, cols] -= 1
    grad *= np.asarray(g).reshape(-1, 1)
    return grad.reshape(logits.shape)


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
            bad = np.unique(target[(target < 0) | (target >= sl[-1])])
            raise ValueError(f"softmax_cross_entropy: labels must be in 0..{sl[-1] - 1} for "
                             f"{sl[-1]} classes, got {bad[:5].tolist()}")
        return _softmax_cross_entropy(logits, target=target)
    if target.shape != sl:
        raise ShapeError(
            f"softmax_cross_entropy: target of shape {target.shape} does not fit logits of "
            f"shape {sl} (integer labels {sl[:-1]} or probabilities {sl})"
        )
    dtype = np.result_type(raw(logits))
    return _softmax_cross_entropy(logits, target=target.astype(dtype, copy=False))
