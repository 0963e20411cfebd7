"""Optimizers with PyTorch's names, state keys and update formulas (its documented algorithms),
so a trajectory matches step for step. The base class holds the parameter groups, the
per-parameter state and the loop; each optimizer writes only its update rule.

Updates work on the raw arrays in place (no graph is recorded); scalar parameters (Python
floats) are updated through a 0-d array and written back. Parameters without ``.grad`` are
skipped. ``maximize`` negates the gradient before anything else, as PyTorch's code does (SGD's
documented pseudo-code flips the sign at the end instead; the two differ only with weight
decay, where negating first keeps the decay shrinking the parameters).
Learning-rate schedulers live in `nn.schedulers` and are importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Value, enable_grad

from .schedulers import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR

__all__ = [
    "OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "CosineAnnealingLR", "ExponentialLR",
    "Optimizer", "RMSprop", "ReduceLROnPlateau", "StepLR", "get_optimizer",
]


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite, got {value}")
    return float(value)


Params = Iterable[Value] | Iterable[dict[str, Any]]

class Optimizer:
    """Base class: ``param_groups`` (dicts holding "params" and hyperparameters), ``state``
    (per parameter: a dict with PyTorch's keys), ``zero_grad()``, ``step(closure=None)``,
    ``state_dict()`` / ``load_state_dict()``."""

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        if isinstance(params, Value):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Values "
                            "(e.g. model.parameters()), got a single Value")
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Value, dict[str, Any]] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        dicts = [isinstance(g, dict) for g in groups]
        if any(dicts) and not all(dicts):
            raise TypeError(f"{type(self).__name__}: params must be all Values or all "
                            "parameter-group dicts, not a mix")
        for group in groups if dicts[0] else [{"params": groups}]:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add parameters with their own hyperparameters (missing ones take the defaults)."""
        owner = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{owner}: a parameter group is a dict with a 'params' entry")
        params = group["params"]
        params = [params] if isinstance(params, Value) else list(params)
        for p in params:
            if not isinstance(p, Value):
                raise TypeError(f"{owner}: parameters must be Values, got {type(p).__name__}")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in taken for p in params):
            raise ValueError(f"{owner}: a parameter appears more than once")
        group = {**self.defaults, **group, "params": params}
        self.check(group)
        self.param_groups.append(group)

    def check(self, group: dict[str, Any]) -> None:
        """Raise ValueError for invalid hyperparameters (every optimizer: lr > 0)."""
        if _number(type(self).__name__, "lr", group["lr"]) <= 0:
            raise ValueError(f"{type(self).__name__}: lr must be > 0, got {group['lr']}")

    def require(self, name: str, value: Any, low: float, high: float = math.inf,
                high_open: bool = False) -> None:
        """Check the hyperparameter ``name``: ``low <= value <= high`` (``< high`` when
        ``high_open``)."""
        value = _number(type(self).__name__, name, value)
        if value < low or value > high or (high_open and value == high):
            bound = f"in [{low:g}, {high:g}{')' if high_open else ']'}" if high < math.inf \
                else f">= {low:g}"
            raise ValueError(f"{type(self).__name__}: {name} must be {bound}, got {value}")

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets it to None, PyTorch's default)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; ``closure`` (re-computing and returning
        the loss, with backward) is called first. Returns the closure's loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states, update = self.state, self.update
        for group in self.param_groups:
            maximize = group.get("maximize")
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if type(grad) is not np.ndarray:
                    grad = np.asarray(grad.data if isinstance(grad, Value) else grad)
                data = p.data
                scalar = not isinstance(data, np.ndarray)
                if scalar:
                    data = np.array(data, dtype=float)
                if grad.shape != data.shape:
                    raise ValueError(f"{type(self).__name__}.step: a parameter of shape "
                                     f"{data.shape} has a gradient of shape {grad.shape}")
                if maximize:
                    grad = -grad
                state = states.get(p)
                if state is None:
                    state = states[p] = {}
                update(data, grad, state, group)
                if scalar:
                    p.data = float(data)
        return loss

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        """The rule: change ``param`` in place from ``grad`` (maximize already applied)."""
        raise NotImplementedError

    @staticmethod
    def buffer(state: dict[str, Any], key: str, like: np.ndarray,
               fill: float = 0.0) -> np.ndarray:
        """``state[key]``, created as an array shaped and typed like ``like`` on first use."""
        if key not in state:
            state[key] = np.full_like(like, fill)
        return state[key]

    # ------------------------------------------------------------------ resuming
    def _params(self) -> list[Value]:
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and state by parameter index (numbers and arrays only: storable
        with `nn.io.save_tree` and JSON)."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[id(p)]: {k: np.array(v) if isinstance(v, np.ndarray) else v
                                for k, v in s.items()} for p, s in self.state.items()}
        groups, start = [], 0
        for g in self.param_groups:
            groups.append({**{k: v for k, v in g.items() if k != "params"},
                           "params": list(range(start, start + len(g["params"])))})
            start += len(g["params"])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` returned (index keys may be strings). Group or parameter
        counts and state shapes must match; mismatches are listed in one ValueError."""
        owner = f"{type(self).__name__}.load_state_dict"
        try:
            groups, saved = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError(f"{owner}: expected a dict with 'state' and 'param_groups'") from None
        params = self._params()
        problems = []
        if len(groups) != len(self.param_groups):
            problems.append(f"{len(groups)} parameter groups saved, {len(self.param_groups)} here")
        else:
            problems += [f"group {i}: {len(g['params'])} parameters saved, "
                         f"{len(mine['params'])} here"
                         for i, (g, mine) in enumerate(zip(groups, self.param_groups))
                         if len(g["params"]) != len(mine["params"])]
            settings = set(self.defaults)  # another optimizer's save has other names
            problems += [f"group {i}: settings {sorted(settings - set(g))} missing and "
                         f"{sorted(set(g) - settings - {'params', 'initial_lr'})} unknown "
                         f"(saved by another optimizer?)"
                         for i, g in enumerate(groups)
                         if settings - set(g) or set(g) - settings - {"params", "initial_lr"}]
        state = {}
        for key, entries in saved.items():
            i = int(key)
            if not 0 <= i < len(params):
                problems.append(f"state for parameter {i}, which does not exist")
                continue
            state[params[i]], found = _restore(entries, params[i].data)
            problems += [f"parameter {i} {found_problem}" for found_problem in found]
        if problems:
            raise ValueError(f"{owner}: " + "; ".join(problems))
        merged = [{**mine, **{k: tuple(v) if k == "betas" else v for k, v in g.items()
                              if k != "params"}} for mine, g in zip(self.param_groups, groups)]
        for group in merged:  # saved settings are checked like given ones
            self.check(group)
        for mine, group in zip(self.param_groups, merged):
            mine.update(group)  # in place: whoever holds a group dict sees the restored one
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _restore(entries: dict[str, Any], data: Any) -> tuple[dict[str, Any], list[str]]:
    """One parameter's saved state as fresh copies in the parameter's dtype ("step" as an
    int), and the problems found (buffers whose shape is not the parameter's)."""
    shape, dtype = np.shape(data), np.result_type(data)
    restored, problems = {}, []
    for name, value in entries.items():
        if name == "step":
            restored[name] = int(np.asarray(value))
        elif isinstance(value, (np.ndarray, list, float, int)) and not isinstance(value, bool):
            array = np.array(value, dtype=dtype)
            if array.shape != shape:
                problems.append(f"{name}: shape {array.shape} saved, {shape} here")
            restored[name] = array
        else:
            restored[name] = value
    return restored, problems


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
