"""netgrad's side of the workloads, written as a user would with the product: ``nn.MLP`` +
``nn.SGD`` + ``nn.cross_entropy`` for the tensor step, ``nn.Neuron`` layers for the scalar one.
"""

from __future__ import annotations

import numpy as np

import nn
from autograd import Value, trace

__all__ = ["ScalarMLP", "TensorMLP"]


class TensorMLP:
    """An ``nn.MLP`` holding the given (weight (out, in), bias (out,)) layers; ``step`` =
    zero_grad + forward + backward + ``nn.SGD`` update, the loss computed eagerly or by its
    ``autograd.trace`` (``traced=True``: replayed once two calls on different batches have
    recorded the same graph)."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], activation: str) -> None:
        sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, _ in layers]
        self.model = nn.MLP(sizes[0], sizes[1:], activation=activation, dtype=layers[0][0].dtype)
        self.model.load_state_dict({f"layers.{i}.{name}": array for i, (w, b) in enumerate(layers)
                                    for name, array in (("weight", w), ("bias", b))})
        self.params = self.model.parameters()
        self.optimizer = nn.SGD(self.params, lr=0.01)
        self.traced_loss = trace(self.loss)

    def loss(self, x: np.ndarray, labels: np.ndarray) -> Value:
        """Mean softmax cross-entropy of the logits against integer labels."""
        return nn.cross_entropy(self.model(x), labels)

    def step(self, x: np.ndarray, labels: np.ndarray, lr: float, traced: bool = False) -> float:
        self.optimizer.param_groups[0]["lr"] = lr
        self.optimizer.zero_grad()
        loss = (self.traced_loss if traced else self.loss)(x, labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()


class NeuronLayer(nn.Module):
    """``nout`` scalar neurons reading the same inputs (micrograd's ``Layer``)."""

    def __init__(self, nin: int, nout: int, activation: str | None, rng: np.random.Generator):
        self.neurons = [nn.Neuron(nin, activation, init=_uniform, rng=rng) for _ in range(nout)]

    def forward(self, x: list) -> list[Value]:
        return [neuron(x) for neuron in self.neurons]


def _uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1, 1, shape)  # micrograd's initialisation


class ScalarMLP(nn.Module):
    """micrograd's ``MLP(nin, nouts)`` from ``nn.Neuron``s: ReLU hidden neurons, a linear
    output, weights uniform(-1, 1), biases 0; sums in micrograd's order (b + w0 x0 + ...)."""

    def __init__(self, nin: int, nouts: list[int], rng: np.random.Generator) -> None:
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [NeuronLayer(a, b, "relu" if i < last else None, rng)
                       for i, (a, b) in enumerate(zip(sizes, sizes[1:]))]

    def forward(self, x: list) -> Value:
        for layer in self.layers:
            x = layer(x)
        return x[0]
