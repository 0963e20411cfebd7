"""`Module` (the base of every layer and model) and `Parameter` (a trainable leaf).

A module finds its parameters and submodules by walking its attributes in the order they
were set, including lists and tuples of them, so ``self.layers = [Linear(..), ...]`` gives
dotted names like ``layers.0.weight`` (used by diagrams, checkpoints and state dicts).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from autograd import Value

__all__ = ["Module", "Parameter"]


class Parameter(Value):
    """A leaf `Value` that trains: always ``requires_grad``, holding its own copy of the data.

    Scalars stay Python floats (micrograd-style neurons keep the engine's fast scalar path);
    arrays keep a float dtype (float64 unless given float32/float16).
    """

    __slots__ = ()

    def __init__(self, data: Any, name: str | None = None) -> None:
        try:  # the engine's checks: real numbers, rectangular (ints/bools become float64)
            data = Value(data, requires_grad=False).data
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"Parameter: {exc}") from None
        data = float(data) if np.ndim(data) == 0 else np.array(data)  # its own copy
        super().__init__(data, requires_grad=True, name=name)


def _members(obj: Any) -> Iterator[tuple[str, Any]]:
    """(name, value) for each attribute; items of lists/tuples/dicts, nested too, are named
    ``attr.i`` / ``attr.key``."""
    for name, value in vars(obj).items():
        yield from _items(name, value)


def _items(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _items(f"{name}.{i}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _items(f"{name}.{key}", item)
    else:
        yield name, value


class Module:
    """Base class of layers and models: ``model(x)`` calls ``forward(x)``.

    Subclasses set parameters and submodules as attributes and define ``forward``; to be
    saved with ``save(path)`` / ``nn.load(path)`` they also define ``config()`` returning
    their constructor arguments.
    """

    training = True  # instances get their own flag from train()/eval()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        """A Parameter attribute can only be replaced by a Parameter or None: anything else
        (``m.weight = array``, ``m.weight -= step``) would silently drop out of training."""
        if isinstance(self.__dict__.get(name), Parameter) and not (
                value is None or isinstance(value, Parameter)):
            raise TypeError(
                f"{type(self).__name__}.{name} is a Parameter; assigning a {type(value).__name__} "
                "would drop it from parameters() and state_dict(). Assign a Parameter (or None), "
                f"or update it in place: {name}.data -= ... (or {name}.data[...] = ...)")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ the tree
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules with their attribute names (``layers.0`` for list items)."""
        for name, value in _members(self):
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        return (module for _, module in self.named_children())

    def _walk(self, prefix: str) -> Iterator[tuple[str, Module | Parameter]]:
        """Every submodule and parameter once, with its dotted path, depth first in the
        order the attributes were set (iterative: no recursion limit)."""
        stack, seen = [(prefix, self)], set()
        while stack:
            path, item = stack.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            yield path, item
            if isinstance(item, Module):
                members = [(f"{path}.{name}" if path else name, value)
                           for name, value in _members(item)
                           if isinstance(value, (Parameter, Module))]
                stack.extend(reversed(members))

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``, "" for the root) and every submodule, depth first."""
        return ((path, m) for path, m in self._walk(prefix) if isinstance(m, Module))

    def modules(self) -> Iterator[Module]:
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, with its dotted path (``layers.0.weight``), in the order the
        attributes were set (depth first)."""
        return ((path, p) for path, p in self._walk(prefix) if isinstance(p, Parameter))

    def parameters(self) -> list[Parameter]:
        """The trainable leaves, in a fixed order (what optimizers take)."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers training adjusts (weights and biases)."""
        return sum(int(np.size(p.data)) for p in self.parameters())

    def zero_grad(self) -> None:
        """Forget all gradients (sets them to None, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all submodules; returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); returns self."""
        return self.train(False)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """``{dotted name: copy of the parameter's data as an array}``."""
        return {name: np.array(p.data) for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy ``state`` into the parameters. Missing, unexpected or mis-shaped entries raise
        one ValueError listing all of them (``strict=False`` ignores missing/unexpected)."""
        params = dict(self.named_parameters())
        problems = []
        if strict:
            missing = [n for n in params if n not in state]
            unexpected = [n for n in state if n not in params]
            if missing:
                problems.append(f"missing: {', '.join(missing)}")
            if unexpected:
                problems.append(f"unexpected: {', '.join(map(str, unexpected))}")
        given = {}
        for n in params:
            if n in state:
                try:  # the engine's data checks: real numbers, rectangular
                    given[n] = np.asarray(Value(state[n], requires_grad=False).data)
                except (TypeError, ValueError) as exc:
                    problems.append(f"{n}: {exc}")
        shapes = [f"{n} (model {np.shape(params[n].data)}, given {new.shape})"
                  for n, new in given.items() if new.shape != np.shape(params[n].data)]
        if shapes:
            problems.append(f"shape mismatch: {', '.join(shapes)}")
        if problems:  # checked before anything is copied: a model is never half-loaded
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for name, new in given.items():
            p = params[name]
            if type(p.data) is float:
                p.data = float(new)
            else:
                np.copyto(p.data, new, casting="same_kind")

    # ------------------------------------------------------------------ saving
    def config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-able) that rebuild this module's architecture."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot be saved with save(): define config() returning its "
            "constructor arguments, or save state_dict() and rebuild the model yourself")

    @classmethod
    def from_config(cls, config: dict[str, Any], classes: dict[str, type]) -> Module:
        """A new module from `config()`'s output (``classes`` resolves nested modules)."""
        return cls(**config)

    def save(self, path: Any) -> Any:
        """Write architecture and weights to a ``.npz`` file (atomic, pickle-free); returns
        the path. ``nn.load(path)`` rebuilds the model."""
        from .io import save

        return save(self, path)

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """The settings shown inside ``Name(...)`` in repr."""
        return ""

    def _repr_lines(self, name: str, depth: int) -> list[str]:
        label = f"({name}): " if name else ""
        lines = [f"{'  ' * depth}{label}{type(self).__name__}({self.extra_repr()})"]
        for child_name, child in self.named_children():
            lines += child._repr_lines(child_name, depth + 1)
        return lines

    def __repr__(self) -> str:
        n = self.num_parameters()
        lines = self._repr_lines("", 0)
        if n:
            lines.append(f"total parameters: {n:,}")
        return "\n".join(lines)
