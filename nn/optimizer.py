"""The optimizer base class: parameter groups with their hyperparameters, per-parameter
state (PyTorch's keys), the update loop (`step`) and a resumable ``state_dict``. Each optimizer
in `nn.optim` subclasses it and writes only its update rule.

Updates work on the raw arrays in place (no graph is recorded); scalar parameters (Python
floats) are updated through a 0-d array and written back. Parameters without ``.grad`` are
skipped. ``maximize`` negates the gradient before anything else, as PyTorch's code does (SGD's
documented pseudo-code flips the sign at the end instead; the two differ only with weight
decay, where negating first keeps the decay shrinking the parameters).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Value, enable_grad

from .checks import number_in

__all__ = ["Optimizer", "Params"]


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
        number_in(group["lr"], f"{type(self).__name__}: lr", 0, low_open=True)

    def require(self, name: str, value: Any, low: float, high: float = math.inf,
                high_open: bool = False) -> None:
        """Check the hyperparameter ``name``: ``low <= value <= high`` (``< high`` when
        ``high_open``)."""
        number_in(value, f"{type(self).__name__}: {name}", low, high, high_open=high_open)

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
                grad, data = p.grad, p.data
                if grad is None:
                    continue
                if type(grad) is not np.ndarray or type(data) is not np.ndarray \
                        or grad.shape != data.shape:  # (the usual case passes these three)
                    grad, data = self._operands(grad, data)
                if maximize:
                    grad = -grad
                state = states.get(p)
                if state is None:
                    state = states[p] = {}
                update(data, grad, state, group)
                if data is not p.data:  # a scalar parameter, updated as a 0-d array
                    p.data = float(data)
        return loss

    def _operands(self, grad: Any, data: Any) -> tuple[np.ndarray, np.ndarray]:
        """``grad`` and ``data`` as arrays of one shape: a Value or NumPy-scalar gradient as an
        array, a Python-float parameter as a 0-d array (written back after the update)."""
        if type(grad) is not np.ndarray:
            grad = np.asarray(grad.data if isinstance(grad, Value) else grad)
        if not isinstance(data, np.ndarray):
            data = np.array(data, dtype=float)
        if grad.shape != data.shape:
            raise ValueError(f"{type(self).__name__}.step: a parameter of shape "
                             f"{data.shape} has a gradient of shape {grad.shape}")
        return grad, data

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
