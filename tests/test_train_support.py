"""Shared pieces for the training tests: small datasets made with NumPy, and a minimal MLP and
SGD written here to the nn contract (parameters, named_parameters, state_dict, param_groups ...),
so the training code is tested on its own and the engineered runs stay put."""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd import Value


def moons(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, labels 0/1 (int)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(t), 1 - np.cos(t))
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x, y], axis=1) + rng.normal(0, noise, (n, 2))
    return X, label


def cross_entropy(logits: Value, target) -> Value:
    return ag.softmax_cross_entropy(logits, np.asarray(target)).mean()


def mse(pred: Value, target) -> Value:
    return ((pred - np.asarray(target, dtype=np.float64).reshape(pred.shape)) ** 2).mean()


class StandInLinear:
    def __init__(self, nin: int, nout: int, rng: np.random.Generator) -> None:
        self.weight = Value(rng.normal(0, 1 / np.sqrt(nin), (nout, nin)))
        self.bias = Value(np.zeros(nout))


class StandInMLP:
    """Stand-in for nn.MLP: `.layers` of Linear, `activation`, the Module methods fit needs."""

    def __init__(self, nin, nouts, activation="relu", output_activation=None, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        sizes = [nin, *nouts]
        self.layers = [StandInLinear(a, b, rng) for a, b in zip(sizes[:-1], sizes[1:])]
        self.activation, self.output_activation, self.training = activation, output_activation, True

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            x = ag.affine(x, layer.weight, layer.bias)
            act = self.activation if i < len(self.layers) - 1 else self.output_activation
            if act is not None:
                x = getattr(ag, act)(x)
        return x

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}.weight", layer.weight
            yield f"layers.{i}.bias", layer.bias

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def state_dict(self):
        return {k: np.array(p.data, copy=True) for k, p in self.named_parameters()}

    def load_state_dict(self, state):
        for k, p in self.named_parameters():
            p.data = np.array(state[k], dtype=np.float64, copy=True)


class StandInSGD:
    """Stand-in for nn.optim.SGD (PyTorch's rule, first momentum buffer = gradient)."""

    def __init__(self, params, lr=0.01, momentum=0.0):
        self.params = list(params)
        self.param_groups = [{"params": self.params, "lr": lr, "momentum": momentum}]
        self.state: dict = {}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        group = self.param_groups[0]
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if group["momentum"]:
                buf = self.state.get(i)
                buf = g.copy() if buf is None else group["momentum"] * buf + g
                self.state[i] = buf
                g = buf
            p.data = p.data - group["lr"] * g

    def state_dict(self):
        hyper = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        return {"state": {i: {"momentum_buffer": b.copy()} for i, b in self.state.items()},
                "param_groups": [hyper]}

    def load_state_dict(self, state):
        self.param_groups[0].update(state["param_groups"][0])
        self.state = {int(i): np.array(s["momentum_buffer"]) for i, s in state["state"].items()}


# The training tests use these fixed reference classes, so the engineered behaviours (and the
# thresholds they were checked at) do not move when nn's initialisation changes; the real nn
# classes are exercised in test_train_nn_integration.py.
SGD = StandInSGD


def make_mlp(nin=2, nouts=(16, 2), activation="relu", seed=0):
    return StandInMLP(nin, list(nouts), activation=activation, rng=np.random.default_rng(seed))
