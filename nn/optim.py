"""Optimizers with PyTorch's names, state keys and update formulas (its documented algorithms),
so a trajectory matches step for step: each is its update rule on top of `nn.optimizer`'s
`Optimizer` (groups, state, loop, resume). Learning-rate schedulers live in `nn.schedulers` and
are importable from here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer, Params
from .schedulers import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR

__all__ = [
    "OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "CosineAnnealingLR", "ExponentialLR",
    "Optimizer", "RMSprop", "ReduceLROnPlateau", "StepLR", "get_optimizer",
]


class SGD(Optimizer):
    """Stochastic gradient descent: ``g += wd * p``; with momentum
    ``b = mu * b + (1 - dampening) * g`` (the first ``b = g``), then ``g = g + mu * b``
    (Nesterov) or ``g = b``; ``p -= lr * g``."""

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay,
                                      maximize=maximize))

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        for name in ("momentum", "dampening", "weight_decay"):
            self.require(name, group[name], 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        mu = group["momentum"]
        if mu:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.array(grad, dtype=param.dtype)
            else:
                buf = state["momentum_buffer"]
                buf *= mu
                buf += (1 - group["dampening"]) * grad
            buf = state["momentum_buffer"]
            grad = grad + mu * buf if group["nesterov"] else buf
        param -= group["lr"] * grad


class Adagrad(Optimizer):
    """Adagrad: ``g += wd * p``; ``sum += g**2``; ``p -= lr / (1 + (t - 1) * lr_decay) * g /
    (sqrt(sum) + eps)``."""

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            self.require(name, group[name], 0.0)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        state["step"] = step = state.get("step", 0) + 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        total = self.buffer(state, "sum", param, group["initial_accumulator_value"])
        total += grad * grad
        lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        param -= lr * grad / (np.sqrt(total) + group["eps"])


class Adam(Optimizer):
    """Adam: ``g += wd * p`` (AdamW instead shrinks ``p *= 1 - lr * wd``); ``m = b1 m + (1 - b1)
    g``; ``v = b2 v + (1 - b2) g**2`` (amsgrad: its running max); ``p -= lr / (1 - b1**t) * m /
    (sqrt(v) / sqrt(1 - b2**t) + eps)``."""

    decoupled_weight_decay = False

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), "
                             f"got {betas!r}")
        group["betas"] = tuple(betas)
        for i, beta in enumerate(betas):
            self.require(f"betas[{i}]", beta, 0.0, 1.0, high_open=True)
        self.require("eps", group["eps"], 0.0)
        self.require("weight_decay", group["weight_decay"], 0.0)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        state["step"] = step = state.get("step", 0) + 1
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if wd and self.decoupled_weight_decay:
            param *= 1 - lr * wd
        elif wd:
            grad = grad + wd * param
        m, v = self.buffer(state, "exp_avg", param), self.buffer(state, "exp_avg_sq", param)
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            v = np.maximum(self.buffer(state, "max_exp_avg_sq", param), v,
                           out=state["max_exp_avg_sq"])
        denom = np.sqrt(v) / math.sqrt(1 - beta2**step) + group["eps"]
        param -= lr / (1 - beta1**step) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the update)."""

    decoupled_weight_decay = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    """RMSprop: ``g += wd * p``; ``s = alpha s + (1 - alpha) g**2``; centered: ``a = alpha a +
    (1 - alpha) g``, ``s' = s - a**2``; ``d = sqrt(s') + eps``; with momentum ``b = mu b + g / d``,
    ``p -= lr * b``, else ``p -= lr * g / d``."""

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        self.require("alpha", group["alpha"], 0.0, 1.0, high_open=True)
        for name in ("eps", "weight_decay", "momentum"):
            self.require(name, group[name], 0.0)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        state["step"] = state.get("step", 0) + 1
        alpha = group["alpha"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        square_avg = self.buffer(state, "square_avg", param)
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = self.buffer(state, "grad_avg", param)
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denom = np.sqrt(square_avg) + group["eps"]
        if group["momentum"]:
            buf = self.buffer(state, "momentum_buffer", param)
            buf *= group["momentum"]
            buf += grad / denom
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * grad / denom


OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}), "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}), "adagrad": (Adagrad, {}),
    "adam": (Adam, {}), "adamw": (AdamW, {}), "rmsprop": (RMSprop, {}),
}


def get_optimizer(name: str, params: Params, **hyperparameters: Any) -> Optimizer:
    """An optimizer by name (case-insensitive): sgd, momentum (SGD, momentum 0.9), nesterov
    (SGD, Nesterov momentum 0.9), adagrad, adam, adamw, rmsprop."""
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid names: {', '.join(OPTIMIZERS)}")
    cls, defaults = OPTIMIZERS[key]
    return cls(params, **{**defaults, **hyperparameters})
