"""nn.diagnose: the right behaviour is named on synthetic curves and on real runs engineered to
show it (too-large / too-small learning rate, tiny model, big model on 30 samples, deep sigmoid
MLP), and a healthy run reports nothing alarming."""

import numpy as np
import pytest
from test_train_support import SGD, cross_entropy, make_mlp, moons

from nn.diagnose import Finding, dead_relu_fraction, diagnose
from nn.history import History
from nn.train import fit

EPOCHS = np.arange(30)


def curve_history(train, val=None, grads=None, **epoch_columns):
    """A History whose epoch i has one step with loss train[i] (and optional columns)."""
    h = History()
    for i, loss in enumerate(train):
        norms = None if grads is None else {k: v[i] for k, v in grads.items()}
        h.record_step(loss, 0.1, i, [0], norms)
        extra = {k: v[i] for k, v in epoch_columns.items()}
        if val is not None:
            extra["val_loss"] = val[i]
        h.record_epoch(loss=loss, **extra)
    return h


def kinds(history):
    return [f.kind for f in diagnose(history, verbose=False)]


SYNTHETIC = {
    "oscillating": curve_history(0.7 + 0.3 * (-1.0) ** EPOCHS),
    "diverging": curve_history(1.0 * 1.15 ** EPOCHS),
    "slow": curve_history(1.0 - 0.004 * EPOCHS),
    "plateau": curve_history(0.69 + 0.002 * np.sin(EPOCHS) + 0.05 * np.exp(-EPOCHS)),
    "overfitting": curve_history(np.exp(-EPOCHS / 5), val=0.3 + 0.002 * (EPOCHS - 10) ** 2),
    "sharp_increase": curve_history(np.exp(-EPOCHS / 5) * np.where(EPOCHS == 20, 50.0, 1.0)),
    "vanishing_gradients": curve_history(
        np.exp(-EPOCHS / 5), grads={"l0.weight": 1e-7 * np.ones(30), "l1.weight": np.ones(30),
                                    "l2.weight": np.ones(30)}),
    "exploding_gradients": curve_history(
        np.exp(-EPOCHS / 5), grads={"w": 10.0 ** (EPOCHS / 5)}),
    "dead_relu": curve_history(np.exp(-EPOCHS / 5), dead_relu=np.full(30, 0.6)),
    "healthy": curve_history(np.exp(-EPOCHS / 5), val=0.1 + np.exp(-EPOCHS / 5),
                             grads={"a.weight": np.ones(30), "b.weight": np.ones(30),
                                    "c.weight": np.ones(30)}),
}


@pytest.mark.parametrize("kind", list(SYNTHETIC))
def test_synthetic_curve_is_named_by_exactly_its_behaviour(kind):
    assert kinds(SYNTHETIC[kind]) == [kind]


def test_a_run_too_short_for_the_curve_checks_is_not_called_healthy():
    # 3 epochs at a loss of 7e5 (lr 1e6 on moons): no curve rule can run, so nothing may
    # claim "the loss falls and settles"
    (finding,) = diagnose(curve_history([7e5, 7.1e5, 6.9e5]), verbose=False)
    assert finding.kind == "too_short" and "settles" not in finding.message
    assert finding.evidence["epochs"] == 3


def test_healthy_names_only_the_checks_that_ran():
    no_val = diagnose(curve_history(np.exp(-EPOCHS / 5)), verbose=False)
    assert [f.kind for f in no_val] == ["healthy"]
    assert "validation" not in no_val[0].message and "gradients" not in no_val[0].message
    full = diagnose(SYNTHETIC["healthy"], verbose=False)[0].message
    assert "validation follows training" in full and "gradients look healthy" in full


def test_nan_in_the_step_losses_is_reported_first():
    h = curve_history(np.exp(-EPOCHS / 5))
    h.record_step(float("nan"), 0.1, 30, [0])
    assert kinds(h)[0] == "nan"


def test_findings_print_plain_language_with_evidence_and_suggestion(capsys):
    findings = SYNTHETIC["oscillating"].diagnose()
    out = capsys.readouterr().out
    assert isinstance(findings[0], Finding)
    assert "[oscillating]" in out and "evidence:" in out and "try:" in out
    assert "lr=0.1" in out and "nn.lr_find" in findings[0].suggestion
    assert findings[0].evidence["fraction_of_epochs_up"] == 14 / 29  # every other epoch


XV, YV = moons(200, seed=1)
X, Y = moons(200, seed=0)


def run(nouts=(16, 2), lr=0.1, X=X, Y=Y, epochs=30, activation="relu", batch_size=32):
    model = make_mlp(nouts=nouts, activation=activation)
    return fit(model, cross_entropy, SGD(model.parameters(), lr=lr, momentum=0.9), (X, Y),
               val=(XV, YV), epochs=epochs, batch_size=batch_size, progress=False, seed=0)


def test_real_healthy_run_reports_nothing_alarming():
    h = run()
    assert kinds(h) == ["healthy"] and h.epoch["val_accuracy"][-1] > 0.9


def test_real_run_with_far_too_large_learning_rate_oscillates_or_diverges():
    found = kinds(run(lr=5.0))
    assert {"oscillating", "diverging"} & set(found) and "healthy" not in found


def test_real_run_with_far_too_small_learning_rate_is_slow():
    assert kinds(run(lr=1e-4)) == ["slow"]


def test_real_tiny_model_on_a_hard_task_underfits():
    rng = np.random.default_rng(0)  # concentric circles: no line separates them
    radius = np.r_[rng.uniform(0, 1, 150), rng.uniform(1.5, 2.5, 150)]
    angle = rng.uniform(0, 2 * np.pi, 300)
    Xc = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    yc = np.r_[np.zeros(150, int), np.ones(150, int)]
    h = run(nouts=(1, 2), X=Xc, Y=yc)
    assert kinds(h) == ["plateau"] and h.epoch["accuracy"][-1] < 0.75


def test_real_big_model_on_30_samples_overfits():
    Xs, Ys = moons(30, noise=0.2, seed=5)
    Ys = Ys.copy()
    Ys[:7] = 1 - Ys[:7]  # a quarter of the labels wrong: memorising them hurts validation
    h = run(nouts=(128, 128, 2), X=Xs, Y=Ys, epochs=100, batch_size=10)
    assert "overfitting" in kinds(h)


def test_real_ten_layer_sigmoid_mlp_has_vanishing_gradients():
    h = run(nouts=(16,) * 9 + (2,), activation="sigmoid", epochs=10)
    found = diagnose(h, verbose=False)
    vanishing = [f for f in found if f.kind == "vanishing_gradients"]
    assert vanishing and vanishing[0].evidence["first_layer"] == "layers.0.weight"
    relu = run(nouts=(16,) * 3 + (2,), epochs=10)  # a relu net of the same kind does not
    assert "vanishing_gradients" not in kinds(relu)


def test_fit_diagnose_true_prints_the_findings(capsys):
    model = make_mlp(nouts=(16, 2))
    fit(model, cross_entropy, SGD(model.parameters(), lr=1e-4), (X, Y), epochs=8,
        progress=False, diagnose=True, seed=0)
    assert "[slow]" in capsys.readouterr().out


def test_dead_relu_fraction_counts_units_silent_on_every_sample():
    model = make_mlp(nouts=(8, 6, 2))
    state = model.state_dict()
    state["layers.0.bias"] = np.array(state["layers.0.bias"]) - np.r_[1e3, 1e3, np.zeros(6)]
    model.load_state_dict(state)
    h = np.maximum(X @ state["layers.0.weight"].T + state["layers.0.bias"], 0)
    dead0 = np.all(h == 0, axis=0)
    h2 = np.maximum(h @ state["layers.1.weight"].T + state["layers.1.bias"], 0)
    expected = (dead0.sum() + np.all(h2 == 0, axis=0).sum()) / 14
    assert dead0[:2].all() and dead_relu_fraction(model, X) == expected
    assert dead_relu_fraction(make_mlp(nouts=(4, 2), activation="tanh"), X) is None


def test_dead_relu_fraction_of_layers_without_bias():
    model = make_mlp(nouts=(8, 2))
    W = model.layers[0].weight.data
    model.layers[0].bias = None  # as nn.Linear(bias=False) holds it
    expected = np.all(np.maximum(X @ W.T, 0) == 0, axis=0).sum() / 8
    assert dead_relu_fraction(model, X) == expected
