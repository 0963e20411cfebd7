"""netgrad's side of the workloads: the tensor MLP step and a scalar-Value MLP.

Written directly on autograd's public API (``affine``, ``softmax_cross_entropy``, a manual
SGD update) — the same nodes ``nn.MLP`` + ``nn.optim.SGD`` record — so the suite runs
while the nn core is still landing.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Value

__all__ = ["ScalarMLP", "TensorMLP"]


class TensorMLP:
    """784-15-10-style MLP over tensor Values; ``step`` = forward + backward + SGD."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], activation: str) -> None:
        self.layers = [(Value(w.copy()), Value(b.copy())) for w, b in layers]
        self.params = [p for layer in self.layers for p in layer]
        self.activation = getattr(autograd, activation)

    def loss(self, x: np.ndarray, labels: np.ndarray) -> Value:
        """Mean softmax cross-entropy of the logits against integer labels."""
        hidden = x
        last = len(self.layers) - 1
        for i, (w, b) in enumerate(self.layers):
            hidden = autograd.affine(hidden, w, b)
            if i < last:
                hidden = self.activation(hidden)
        return autograd.softmax_cross_entropy(hidden, labels).mean()

    def step(self, x: np.ndarray, labels: np.ndarray, lr: float) -> float:
        loss = self.loss(x, labels)
        loss.backward()
        for p in self.params:
            p.data -= lr * p.grad
            p.grad = None
        return loss.item()


class ScalarMLP:
    """micrograd's ``MLP(nin, nouts)`` built from scalar Values: ReLU hidden neurons, a
    linear output, weights uniform(-1, 1), biases 0; sums in micrograd's order."""

    def __init__(self, nin: int, nouts: list[int], rng: np.random.Generator) -> None:
        sizes = [nin, *nouts]
        self.layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            neurons = [([Value(float(w)) for w in rng.uniform(-1, 1, n_in)], Value(0.0))
                       for _ in range(n_out)]
            self.layers.append(neurons)

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def __call__(self, x: list) -> Value:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            outs = []
            for ws, b in layer:
                act = b
                for wi, xi in zip(ws, x):
                    act = act + wi * xi
                outs.append(act.relu() if i < last else act)
            x = outs
        return x[0]
