"""Activation functions, as functions (``nn.relu(x)``) and as layers (``nn.ReLU()``).

Anywhere an activation is asked for, a name works too (``activation="relu"``);
`get_activation` turns names into functions. Each layer class only names its function,
so every formula lives once (in the engine's ops, or `step` below).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
from autograd import Value, primitive

from .module import Module

__all__ = [
    "ACTIVATIONS", "Identity", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Softplus", "Step",
    "Tanh", "get_activation", "identity", "leaky_relu", "relu", "sigmoid", "softmax", "softplus",
    "step", "tanh",
]


def identity(x: Value) -> Value:
    """f(x) = x (a "linear" layer)."""
    return x


relu, sigmoid, tanh, softplus = autograd.relu, autograd.sigmoid, autograd.tanh, autograd.softplus


def leaky_relu(x: Value, negative_slope: float = 0.01) -> Value:
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return autograd.leaky_relu(x, negative_slope)


def softmax(x: Value, axis: int = -1) -> Value:
    """exp(x) / sum(exp(x)) along ``axis`` (stable: shifted by the max)."""
    return autograd.softmax(x, axis)


@primitive("step")
def step(x):
    """Heaviside step: 1 where x > 0, else 0 (the classic perceptron's output).

    Its derivative is 0 everywhere (undefined at 0), so gradients through it are zero:
    a step network cannot learn by backpropagation, which is why the perceptron has its
    own learning rule and MLPs use smooth activations.
    """
    if type(x) is float:
        return 1.0 if x > 0 else 0.0
    return (x > 0).astype(x.dtype)


@step.defvjp
def _step_vjp(g, out, x):
    return (g * 0.0,)


ACTIVATIONS: dict[str, Callable] = {
    "identity": identity, "linear": identity, "relu": relu, "leaky_relu": leaky_relu,
    "sigmoid": sigmoid, "tanh": tanh, "softplus": softplus, "softmax": softmax, "step": step,
}


def get_activation(activation: str | Callable | None) -> Callable:
    """The function for ``activation``: a name from `ACTIVATIONS`, a callable (returned as
    is), or None (identity)."""
    if activation is None:
        return identity
    if isinstance(activation, str):
        fn = ACTIVATIONS.get(activation.lower())
        if fn is None:
            raise ValueError(f"unknown activation {activation!r}; valid names: "
                             f"{', '.join(ACTIVATIONS)} (or None for identity, or a function)")
        return fn
    if callable(activation):
        return activation
    raise TypeError(f"activation must be a name, a function or None, got "
                    f"{type(activation).__name__}")


class _Activation(Module):
    """An activation as a layer without parameters; subclasses set ``name``."""

    name = "identity"

    def forward(self, x: Value) -> Value:
        return ACTIVATIONS[self.name](x, **self.config())

    def config(self) -> dict[str, Any]:
        return {}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items())


class Identity(_Activation):
    name = "identity"


class ReLU(_Activation):
    name = "relu"


class Sigmoid(_Activation):
    name = "sigmoid"


class Tanh(_Activation):
    name = "tanh"


class Softplus(_Activation):
    name = "softplus"


class Step(_Activation):
    """Heaviside step (gradient zero everywhere; see `step`)."""

    name = "step"


class LeakyReLU(_Activation):
    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class Softmax(_Activation):
    name = "softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = int(axis)

    def config(self) -> dict[str, Any]:
        return {"axis": self.axis}
