"""Layers from one neuron up: Neuron (scalar Values, micrograd-style), Perceptron, Linear
(the matrix form, fast on batches), MLP, Sequential and Dropout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from autograd import Value, affine

from .activations import get_activation, step
from .checks import integer_at_least
from .init import default_init_for, get_init, get_rng
from .module import Module, Parameter

__all__ = ["MLP", "Dropout", "Linear", "Neuron", "NeuronWeights", "Perceptron", "Sequential"]

Init = str | Callable | None
RNG = np.random.Generator | int | None


def _activation_name(activation: Any) -> Any:
    """Names are kept lower-case (and checked now, not at the first forward)."""
    get_activation(activation)
    return activation.lower() if isinstance(activation, str) else activation


def _initial(init: Init, activation: Any, shape: tuple[int, ...], rng: RNG) -> np.ndarray:
    name = activation if isinstance(activation, str) or activation is None else None
    return get_init(init or default_init_for(name))(shape, get_rng(rng))


def _input(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


def _savable(activation: Any, model: str) -> Any:
    if activation is None or isinstance(activation, str):
        return activation
    raise ValueError(f"{model}: an activation given as {type(activation).__name__} cannot be "
                     "saved; pass its name (e.g. activation='relu') to save the model")


class Neuron(Module):
    """One neuron on scalar Values: ``activation(w · x + b)`` with ``w`` a list of ``nin``
    scalar Parameters and ``b`` a scalar, so every multiply shows up in diagrams."""

    def __init__(self, nin: int, activation: str | Callable | None = "tanh", init: Init = None,
                 rng: RNG = None) -> None:
        self.nin = integer_at_least(nin, "Neuron: nin")
        self.activation = _activation_name(activation)
        weights = _initial(init, self.activation, (1, self.nin), rng)[0]
        self.w = [Parameter(float(v)) for v in weights]
        self.b = Parameter(0.0)

    def forward(self, x: Sequence[Any]) -> Value:
        """x: ``nin`` numbers or scalar Values (or a Value of shape (nin,)) -> scalar Value."""
        if isinstance(x, Value):
            x = [x[i] for i in range(len(x))] if x.ndim == 1 else [x]
        elif isinstance(x, np.ndarray):
            x = x.tolist() if x.ndim else [float(x)]
        elif not isinstance(x, (list, tuple)):
            x = [x]
        if len(x) != self.nin:
            raise ValueError(f"Neuron: expected {self.nin} inputs, got {len(x)}")
        out = self.b
        for wi, xi in zip(self.w, x):
            out = out + wi * xi
        return get_activation(self.activation)(out)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": _savable(self.activation, "Neuron")}

    def extra_repr(self) -> str:
        return f"{self.nin}, activation={self.activation!r}"


class Perceptron(Module):
    """One unit over a batch: ``activation(x @ weight + bias)``; x (N, nin) -> (N,).

    ``activation="step"`` is Rosenblatt's perceptron (outputs 0/1, trained by `fit`'s
    perceptron rule); ``"sigmoid"`` makes it logistic regression (the same `fit` rule is then
    gradient descent on binary cross-entropy).
    """

    def __init__(self, nin: int, activation: str | Callable = "step", init: Init = None,
                 rng: RNG = None) -> None:
        self.nin = integer_at_least(nin, "Perceptron: nin")
        self.activation = _activation_name(activation)
        self.weight = Parameter(_initial(init, self.activation, (1, self.nin), rng)[0])
        self.bias = Parameter(0.0)

    def forward(self, x: Any) -> Value:
        x = _input(x)
        if x.shape[-1:] != (self.nin,):
            raise ValueError(f"Perceptron: expected inputs with {self.nin} features (last "
                             f"axis), got shape {x.shape}")
        return get_activation(self.activation)(x @ self.weight + self.bias)

    def predict(self, X: Any) -> np.ndarray:
        """Class 0/1 per row: 1 where ``w · x + b > 0``."""
        z = np.asarray(getattr(X, "data", X), dtype=float) @ self.weight.data + self.bias.data
        return (z > 0).astype(np.int64)

    def fit(self, X: Any, y: Any, epochs: int = 100, lr: float = 1.0, shuffle: bool = True,
            rng: RNG = None) -> Perceptron:
        """The perceptron learning rule, one sample at a time: ``w += lr * (y - out) * x``,
        ``b += lr * (y - out)``, with out the unit's output (0/1 for step, a probability for
        sigmoid). Stops after an epoch without mistakes; ``errors_`` holds the mistakes per
        epoch. y holds 0/1 labels. Returns self."""
        X = np.asarray(getattr(X, "data", X), dtype=float)
        y = np.asarray(getattr(y, "data", y), dtype=float).reshape(-1)
        if X.ndim != 2 or X.shape[1] != self.nin or len(X) != len(y) or len(X) == 0:
            raise ValueError(f"Perceptron.fit: expected X of shape (N, {self.nin}) and y of "
                             f"shape (N,), got {X.shape} and {y.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("Perceptron.fit: X holds nan/inf in rows "
                             f"{np.flatnonzero(~np.isfinite(X).all(axis=1))[:5].tolist()}")
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("Perceptron.fit: labels must be 0 or 1, got "
                             f"{np.unique(y[(y != 0) & (y != 1)])[:5].tolist()}")
        out = get_activation(self.activation)
        order_rng = get_rng(rng)
        self.errors_ = []
        for _ in range(integer_at_least(epochs, "Perceptron.fit: epochs")):
            order = order_rng.permutation(len(X)) if shuffle else range(len(X))
            for i in order:
                error = y[i] - float(out(float(X[i] @ self.weight.data + self.bias.data)))
                self.weight.data += lr * error * X[i]
                self.bias.data += lr * error
            self.errors_.append(int(np.sum(self.predict(X) != y)))
            if self.errors_[-1] == 0 and out is step:
                break
        return self

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": _savable(self.activation, "Perceptron")}

    def extra_repr(self) -> str:
        return f"{self.nin}, activation={self.activation!r}"


class Linear(Module):
    """``x @ weight.T + bias``: x (..., nin) -> (..., nout); weight (nout, nin), bias (nout,)."""

    def __init__(self, nin: int, nout: int, bias: bool = True, init: Init = None,
                 rng: RNG = None, dtype: Any = np.float64) -> None:
        self.nin = integer_at_least(nin, "Linear: nin")
        self.nout = integer_at_least(nout, "Linear: nout")
        weight = _initial(init, None, (self.nout, self.nin), rng)
        self.weight = Parameter(weight.astype(dtype))
        self.bias = Parameter(np.zeros(self.nout, dtype=dtype)) if bias else None

    def forward(self, x: Any) -> Value:
        x = _input(x)
        if x.shape[-1:] != (self.nin,):
            raise ValueError(f"Linear({self.nin} -> {self.nout}): expected inputs with "
                             f"{self.nin} features (last axis), got shape {x.shape}")
        return affine(x, self.weight, self.bias)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "bias": self.bias is not None,
                "dtype": self.weight.dtype.name}

    def extra_repr(self) -> str:
        return f"{self.nin} -> {self.nout}" + ("" if self.bias is not None else ", bias=False")


class NeuronWeights(NamedTuple):
    """One neuron of a Linear layer: its incoming weights (nin,) and its bias."""

    weights: np.ndarray
    bias: float


class MLP(Module):
    """A multi-layer perceptron of `Linear` layers: ``MLP(nin, [h1, ..., nout])``.

    ``activation`` follows every hidden layer; ``output_activation`` (default None) the last,
    so by default the outputs are logits/values for a loss. Weights start Xavier-uniform
    (He-uniform for relu/leaky_relu) unless ``init`` names another.
    """

    def __init__(self, nin: int, nouts: int | Sequence[int], activation: Any = "relu",
                 output_activation: Any = None, init: Init = None, rng: RNG = None,
                 dtype: Any = np.float64) -> None:
        nouts = [nouts] if isinstance(nouts, (int, np.integer)) else list(nouts)
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size, e.g. [15, 10]")
        self.sizes = [integer_at_least(nin, "MLP: nin"),
                      *(integer_at_least(n, "MLP: layer size") for n in nouts)]
        self.activation = _activation_name(activation)
        self.output_activation = _activation_name(output_activation)
        rng = get_rng(rng)
        count = len(self.sizes) - 1
        self.layers = [
            Linear(a, b, init=init or default_init_for(
                self.activation if i < count - 1 and isinstance(self.activation, str) else None),
                rng=rng, dtype=dtype)
            for i, (a, b) in enumerate(zip(self.sizes, self.sizes[1:]))]

    def forward(self, x: Any) -> Value:
        hidden, last = get_activation(self.activation), get_activation(self.output_activation)
        for layer in self.layers[:-1]:
            x = hidden(layer(x))
        return last(self.layers[-1](x))

    def neuron(self, layer: int, index: int) -> NeuronWeights:
        """Weights into neuron ``index`` of layer ``layer`` (0 = first hidden) and its bias."""
        linear = self.layers[layer]
        return NeuronWeights(linear.weight.data[index], float(linear.bias.data[index]))

    def config(self) -> dict[str, Any]:
        return {"nin": self.sizes[0], "nouts": self.sizes[1:],
                "activation": _savable(self.activation, "MLP"),
                "output_activation": _savable(self.output_activation, "MLP"),
                "dtype": self.layers[0].weight.dtype.name}

    def extra_repr(self) -> str:
        return (f"{' -> '.join(map(str, self.sizes))}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}")


class Sequential(Module):
    """Modules (or activation names/functions) applied in order: ``Sequential(Linear(2, 8),
    ReLU(), Linear(8, 1))``."""

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, not a Module "
                                "(wrap activations as nn.ReLU() etc.)")
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def config(self) -> dict[str, Any]:
        from .io import module_spec

        return {"layers": [module_spec(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any], classes: dict[str, type]) -> Sequential:
        from .io import build_module

        return cls(*(build_module(spec, classes) for spec in config["layers"]))


class Dropout(Module):
    """While training, zero each input with probability ``p`` and scale the rest by
    1 / (1 - p); in eval mode, the identity."""

    def __init__(self, p: float = 0.5, rng: RNG = None) -> None:
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        # its own stream, drawn from the seeded default when none is given
        self.rng = get_rng(rng) if rng is not None else np.random.default_rng(
            get_rng(None).integers(2**63))

    def forward(self, x: Any) -> Value:
        x = _input(x)
        if not self.training or self.p == 0:
            return x
        keep = self.rng.random(x.shape) >= self.p
        return x * Value(np.asarray(keep / (1.0 - self.p), dtype=x.dtype), requires_grad=False)

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"
