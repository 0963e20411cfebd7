"""The limit: one MLP training step written by hand in NumPy, exactly netgrad's math.

Layers ``y = x @ W.T + b`` (W of shape (out, in)), sigmoid or ReLU between layers, raw
logits out, softmax cross-entropy averaged over the batch, plain SGD ``p -= lr * grad``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NumpyMLP", "init_mlp_weights"]


def init_mlp_weights(sizes: list[int], rng: np.random.Generator,
                     dtype: type = np.float64) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W (out, in), b (out,)) per layer, uniform in ±1/sqrt(in) like PyTorch's Linear."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        weight = rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype)
        bias = rng.uniform(-bound, bound, n_out).astype(dtype)
        layers.append((weight, bias))
    return layers


class NumpyMLP:
    """Hand-written forward/backward of an MLP with ``activation`` ('sigmoid' or 'relu')
    on hidden layers; ``step`` does forward + backward + SGD and returns the mean loss."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], activation: str) -> None:
        if activation not in ("sigmoid", "relu"):
            raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
        self.weights = [w.copy() for w, _ in layers]
        self.biases = [b.copy() for _, b in layers]
        self.activation = activation

    def gradients(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, list, list]:
        """Mean cross-entropy of x (batch, in) against integer labels (batch,), and the
        gradients of the weights and biases (same order and shapes as theirs)."""
        sigmoid = self.activation == "sigmoid"
        inputs, hidden = [], x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            inputs.append(hidden)
            z = hidden @ w.T
            z += b
            if i < last:
                if sigmoid:
                    np.negative(z, out=z)
                    np.exp(z, out=z)
                    z += 1
                    np.reciprocal(z, out=z)
                else:
                    np.maximum(z, 0, out=z)
            hidden = z
        logits = hidden
        batch = len(labels)
        rows = np.arange(batch)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        sums = exps.sum(axis=1)
        loss = float(np.mean(np.log(sums) - shifted[rows, labels]))
        grad = exps / sums[:, None]
        grad[rows, labels] -= 1
        grad /= batch
        grad_w, grad_b = [None] * len(self.weights), [None] * len(self.weights)
        for i in range(last, -1, -1):
            grad_w[i] = grad.T @ inputs[i]
            grad_b[i] = grad.sum(axis=0)
            if i == 0:
                break
            grad = grad @ self.weights[i]
            out = inputs[i]  # the activation output feeding layer i
            if sigmoid:
                grad *= out * (1 - out)
            else:
                grad *= out > 0
        return loss, grad_w, grad_b

    def step(self, x: np.ndarray, labels: np.ndarray, lr: float) -> float:
        """One training step; returns the loss before the update."""
        loss, grad_w, grad_b = self.gradients(x, labels)
        for param, grad in zip(self.weights + self.biases, grad_w + grad_b):
            param -= lr * grad
        return loss
