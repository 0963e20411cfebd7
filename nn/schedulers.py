"""Learning-rate schedules with PyTorch's names: step them once per epoch (``fit(...,
schedulers=[...])`` does). Each sets ``group["lr"]`` of its optimizer's parameter groups from
the group's ``initial_lr`` (recorded when the scheduler is made)."""

from __future__ import annotations

import math
from typing import Any

from .checks import integer_at_least, number_in

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "ReduceLROnPlateau", "StepLR"]


class _Scheduler:
    """What every scheduler shares: its optimizer, the current rates and resumable state."""

    optimizer: Any

    def get_last_lr(self) -> list[float]:
        """The current learning rate of each parameter group."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain numbers and lists (JSON-able)."""
        return {k: list(v) if isinstance(v, list) else v
                for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` returned (strict: the same keys, as many groups)."""
        mine = self.state_dict()
        missing, unknown = sorted(set(mine) - set(state)), sorted(set(state) - set(mine))
        problems = [f"missing {missing}"] * bool(missing) + [f"unknown {unknown}"] * bool(unknown)
        problems += [f"{k}: {len(v)} groups saved, {len(mine[k])} here" for k, v in state.items()
                     if isinstance(mine.get(k), list) and len(v) != len(mine[k])]
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        vars(self).update({k: list(v) if isinstance(v, (list, tuple)) else v
                           for k, v in state.items()})
        self._apply()

    def _apply(self) -> None:
        """Set the rates the state implies (closed-form schedules)."""


class LRScheduler(_Scheduler):
    """Base: ``last_epoch`` counts ``step()`` calls; ``lr_at(base_lr, epoch)`` is the schedule
    in closed form, so a resumed schedule continues exactly."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)

    def step(self) -> None:
        """Advance one epoch and set the new learning rates."""
        self.last_epoch += 1
        self._apply()


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = integer_at_least(step_size, "StepLR: step_size")
        self.gamma = number_in(gamma, "StepLR: gamma", 0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr = initial_lr * gamma ** epoch``."""

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = number_in(gamma, "ExponentialLR: gamma", 0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max = integer_at_least(T_max, "CosineAnnealingLR: T_max")
        self.eta_min = number_in(eta_min, "CosineAnnealingLR: eta_min", 0)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2


class ReduceLROnPlateau(_Scheduler):
    """Multiply the learning rates by ``factor`` when the monitored metric has not improved
    (by ``threshold``, relative or absolute) for ``patience`` epochs; then wait ``cooldown``
    epochs; never below ``min_lr`` (one number, or one per group); changes smaller than ``eps``
    are skipped. ``step(metric)`` once per epoch."""

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0,
                 eps: float = 1e-8) -> None:
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError("ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode "
                             f"'rel' or 'abs', got {mode!r} and {threshold_mode!r}")
        factor = number_in(factor, "ReduceLROnPlateau: factor", 0, 1, True, True)
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"ReduceLROnPlateau: {len(min_lrs)} min_lr values for {groups} "
                             "parameter groups")
        patience = integer_at_least(patience, "ReduceLROnPlateau: patience", 0)
        cooldown = integer_at_least(cooldown, "ReduceLROnPlateau: cooldown", 0)
        threshold, eps = (number_in(v, f"ReduceLROnPlateau: {name}", 0)
                          for name, v in (("threshold", threshold), ("eps", eps)))
        min_lrs = [number_in(m, "ReduceLROnPlateau: min_lr", 0) for m in min_lrs]
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.min_lrs = min_lrs
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = 0, 0, 0

    def _better(self, value: float) -> bool:
        """PyTorch's test: rel compares with ``best * (1 -/+ threshold)``, abs with
        ``best -/+ threshold``."""
        sign = -1.0 if self.mode == "min" else 1.0
        if self.threshold_mode == "rel":
            bar = self.best * (1 + sign * self.threshold)
        else:
            bar = self.best + sign * self.threshold
        return value < bar if self.mode == "min" else value > bar

    def step(self, metrics: float) -> None:
        """Record one epoch's metric; reduce the rates after ``patience`` bad epochs."""
        value = float(metrics)
        self.last_epoch += 1
        if self._better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
