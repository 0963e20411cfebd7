"""Training with the real nn classes (MLP, Sequential, Dropout, SGD/Adam, nn.losses, nn.io):
the contract the training code relies on."""

import inspect

import numpy as np
import pytest
from test_train_support import moons

import nn
from nn import layers, optim
from nn.diagnose import dead_relu_fraction
from nn.lr_find import lr_find
from nn.train import TrainingDiverged, evaluate, fit

X, Y = moons(120, seed=0)
XV, YV = moons(60, seed=1)


def _rng_kw(cls, seed):
    """``{"rng": Generator}`` when the class takes one (the nn contract says it does)."""
    return {"rng": np.random.default_rng(seed)} if "rng" in inspect.signature(cls).parameters \
        else {}


def weights(model):
    return {k: np.array(v) for k, v in model.state_dict().items()}


def test_fit_trains_a_real_mlp_with_a_named_loss_and_records_every_parameter():
    model = layers.MLP(2, [16, 2], activation="relu", rng=np.random.default_rng(0))
    h = fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.02), (X, Y),
            val=(XV, YV), epochs=30, batch_size=32, progress=False, seed=0)
    assert list(h.grad_norms) == [name for name, _ in model.named_parameters()]
    assert h.epoch["val_accuracy"][-1] > 0.85
    assert np.isclose(evaluate(model, "cross_entropy", XV, YV)["loss"], h.epoch["val_loss"][-1])
    assert dead_relu_fraction(model, X) is not None  # MLP exposes .layers and .activation


def test_resume_is_bit_exact_with_adam_and_dropout(tmp_path):
    def build():
        return layers.Sequential(layers.Linear(2, 16, **_rng_kw(layers.Linear, 1)),
                                 layers.Dropout(0.3, **_rng_kw(layers.Dropout, 2)),
                                 layers.Linear(16, 2, **_rng_kw(layers.Linear, 3)))

    def run(epochs, resume_from=None, checkpoint=None):
        model = build()
        fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.01), (X, Y),
            epochs=epochs, batch_size=16, progress=False, seed=5, resume_from=resume_from,
            checkpoint=checkpoint)
        return weights(model)

    full = run(4)
    run(2, checkpoint=tmp_path / "ck.npz")
    resumed = run(4, resume_from=tmp_path / "ck.npz")
    assert all(np.array_equal(resumed[k], v) for k, v in full.items())
    from nn.io import load_tree

    assert load_tree(tmp_path / "ck.npz")["format"] == "netgrad-checkpoint-1"


def test_nan_trap_with_real_layers_keeps_finite_weights_and_names_the_op():
    model = layers.MLP(2, [8, 1], activation="relu", rng=np.random.default_rng(0))
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as info:
        fit(model, "mse", optim.SGD(model.parameters(), lr=50.0), (X, Y.reshape(-1, 1)),
            epochs=50, batch_size=120, metrics=(), progress=False, seed=0)
    assert info.value.op in str(info.value) and "no single op" not in info.value.op
    assert all(np.all(np.isfinite(v)) for v in weights(model).values())


def test_lr_find_copies_a_real_model():
    model = layers.MLP(2, [16, 2], rng=np.random.default_rng(0))
    before = weights(model)
    result = lr_find(model, "cross_entropy", lambda p: optim.SGD(p, lr=0.1), (X, Y),
                     num_steps=60, start_lr=1e-4, end_lr=10.0)
    assert all(np.array_equal(v, weights(model)[k]) for k, v in before.items())
    assert result.suggested_lr > 0


def test_a_traced_training_loop_replays_and_trains_like_the_eager_one():
    """The README's trace loop: Adam on moons with nn.DataLoader, every batch shape replayed
    after two recordings, and the weights equal to an eager run's at every step (a replay must
    compute exactly what the recorded ops compute)."""
    from autograd import trace

    X, y = nn.datasets.moons(n=200, seed=0)
    models = [nn.MLP(2, [16, 2], activation="relu", rng=np.random.default_rng(0)) for _ in "ab"]
    optimizers = [nn.Adam(m.parameters(), lr=0.01) for m in models]
    traced = trace(lambda x, t: nn.cross_entropy(models[1](x), t))
    losses = []
    loader = nn.DataLoader(X, y, batch_size=32, seed=0)
    for _ in range(3):
        for xb, yb in loader:
            for model, optimizer, f in zip(models, optimizers, (None, traced)):
                optimizer.zero_grad()
                loss = nn.cross_entropy(model(xb), yb) if f is None else f(xb, yb)
                loss.backward()
                optimizer.step()
            losses.append(loss.item())
    assert traced.mode(X[:32], y[:32]) == "replay" and traced.mode(X[:8], y[:8]) == "replay"
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-15)
    assert np.mean(losses[-7:]) < 0.6 * np.mean(losses[:7])
