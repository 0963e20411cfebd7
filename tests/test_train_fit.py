"""nn.train: fit's records against an independent NumPy re-implementation, the NaN trap,
checkpoint/resume bit for bit, callbacks, evaluate/predict, progress output, errors."""

import io
import json
import sys
import types
import warnings

import numpy as np
import pytest
from test_train_support import SGD, StandInMLP, cross_entropy, make_mlp, moons, mse

import nn
from autograd import affine, relu
from nn.callbacks import Callback, EarlyStopping, ModelCheckpoint
from nn.checkpoint import find_generators, read_checkpoint
from nn.metrics import accuracy
from nn.optim import StepLR
from nn.progress import Progress, _bar_class
from nn.train import Trainer, TrainingDiverged, evaluate, fit, predict, predict_proba

X, Y = moons(96, seed=0)
XV, YV = moons(48, seed=1)


def weights(model):
    return {k: np.array(v) for k, v in model.state_dict().items()}


def test_linear_regression_records_match_numpy_gradient_descent():
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(40, 3))
    yr = Xr @ np.array([1.0, -2.0, 0.5]) + 0.3
    model = make_mlp(3, (1,))
    W, b = weights(model)["layers.0.weight"].copy(), weights(model)["layers.0.bias"].copy()
    lr = 0.05
    history = fit(model, mse, SGD(model.parameters(), lr=lr), (Xr, yr), epochs=5,
                  batch_size=40, metrics=(), progress=False, seed=0)
    for step in range(5):  # closed-form gradient of mean squared error, written here
        r = Xr @ W[0] + b[0] - yr
        assert np.isclose(history.step["loss"][step], np.mean(r ** 2), rtol=1e-12)
        gW, gb = 2 * r @ Xr / len(yr), np.array([2 * r.mean()])
        assert np.isclose(history.grad_norms["layers.0.weight"][step], np.linalg.norm(gW))
        assert np.isclose(history.grad_norms["layers.0.bias"][step], np.linalg.norm(gb))
        W, b = W - lr * gW, b - lr * gb
    assert np.allclose(weights(model)["layers.0.weight"], W, rtol=1e-12)
    assert history.step["lr"] == [lr] * 5 and history.step["epoch"] == [0, 1, 2, 3, 4]
    assert sorted(history.step["batch"][0]) == list(range(40))
    assert np.allclose(history.epoch["loss"], history.step["loss"])


@pytest.mark.parametrize("column", [True, False])
def test_traced_fit_matches_numpy_minibatch_gradient_descent(column):
    """fit(trace=True): the per-step losses and final weights of closed-form mini-batch GD
    written here, with every batch after the first two replayed (no warning, no fallback),
    for targets (N, 1) like the predictions and (N,) (nn.mse reshapes those: a view)."""
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(40, 3))
    yr = Xr @ np.array([1.0, -2.0, 0.5]) + 0.3
    if column:
        yr = yr[:, None]
    model = make_mlp(3, (1,))
    W, b = weights(model)["layers.0.weight"].copy(), weights(model)["layers.0.bias"].copy()
    lr = 0.05
    trainer = Trainer(model, "mse", SGD(model.parameters(), lr=lr), (Xr, yr), batch_size=10,
                      metrics=(), progress=False, seed=0, trace=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = trainer.run(4)
    assert trainer.step_loss.mode(Xr[:10], yr[:10]) == "replay"
    for step in range(16):
        rows = history.step["batch"][step]
        r = Xr[rows] @ W[0] + b[0] - yr[rows].reshape(-1)
        assert np.isclose(history.step["loss"][step], np.mean(r ** 2), rtol=1e-12)
        W, b = W - lr * 2 * r @ Xr[rows] / len(rows), b - lr * np.array([2 * r.mean()])
    assert np.allclose(weights(model)["layers.0.weight"], W, rtol=1e-12)
    assert np.allclose(weights(model)["layers.0.bias"], b, rtol=1e-12)


def test_epoch_loss_is_sample_weighted_mean_and_val_metrics_are_scored():
    model = make_mlp(nouts=(8, 2))
    h = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), val=(XV, YV),
            epochs=2, batch_size=40, progress=False, seed=1)
    sizes = [len(b) for b in h.step["batch"][:3]]
    assert sizes == [40, 40, 16]
    assert np.isclose(h.epoch["loss"][0], np.dot(h.step["loss"][:3], sizes) / 96)
    logits = predict(model, XV)  # last epoch's validation scores, recomputed in NumPy
    z = logits - logits.max(1, keepdims=True)
    nll = np.log(np.exp(z).sum(1)) - z[np.arange(48), YV]
    assert np.isclose(h.epoch["val_loss"][-1], nll.mean())
    assert np.isclose(h.epoch["val_accuracy"][-1], np.mean(logits.argmax(1) == YV))
    assert 0.0 <= h.epoch["accuracy"][-1] <= 1.0 and h.epoch["lr"] == [0.1, 0.1]


def test_evaluate_predict_and_predict_proba_agree_with_numpy():
    model = make_mlp(nouts=(8, 3))
    y3 = np.arange(len(X)) % 3
    out = predict(model, X, batch_size=10)
    assert out.shape == (96, 3) and np.allclose(out, predict(model, X))
    p = predict_proba(model, X)
    e = np.exp(out - out.max(1, keepdims=True))
    assert np.allclose(p, e / e.sum(1, keepdims=True))
    scores = evaluate(model, cross_entropy, X, y3)
    assert np.isclose(scores["accuracy"], np.mean(out.argmax(1) == y3))
    binary = make_mlp(nouts=(4, 1))
    q = predict_proba(binary, X)
    s = 1 / (1 + np.exp(-predict(binary, X).ravel()))
    assert np.allclose(q, np.stack([1 - s, s], 1))


def test_nan_trap_keeps_last_good_weights_and_names_epoch_step_and_op():
    def run(epochs):
        model = make_mlp(nouts=(8, 1))
        fit(model, mse, SGD(model.parameters(), lr=50.0), (X, Y), epochs=epochs, batch_size=96,
            metrics=(), progress=False, seed=0)
        return model

    with pytest.warns(RuntimeWarning), pytest.raises(TrainingDiverged) as info:
        model = make_mlp(nouts=(8, 1))
        fit(model, mse, SGD(model.parameters(), lr=50.0), (X, Y), epochs=50, batch_size=96,
            metrics=(), progress=False, seed=0)
    err = info.value
    message = str(err)
    assert f"epoch {err.epoch}, step 1" in message and err.op in message
    assert "affine" in err.op or "**" in err.op  # the first op to overflow, not a guess
    # one batch per epoch: the good weights are those after epoch-1 full epochs
    with np.errstate(all="ignore"):
        reference = run(err.epoch - 1)
    for k, v in weights(reference).items():
        assert np.array_equal(weights(model)[k], v) and np.all(np.isfinite(v))
    assert np.isnan(err.history.step["loss"][-1])
    assert err.history.meta["diverged"]["epoch"] == err.epoch
    assert [f.kind for f in err.history.diagnose(verbose=False)][0] == "nan"


def test_an_update_that_overflows_restores_the_weights_of_the_step_before():
    # Finite loss and gradients, but the 4th update overflows: the weights must be those
    # after 3 good steps (the snapshot buffers are reused from step to step). Reference:
    # 3 steps of gradient descent on the mean squared error, written here in NumPy.
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(40, 3))
    yr = 100 * (Xr @ np.array([1.0, -2.0, 0.5]))
    lr = 0.01

    class OverflowsOnStep4(SGD):
        calls = 0

        def step(self):
            self.calls += 1
            if self.calls == 4:
                self.param_groups[0]["lr"] = 1e308
            return super().step()

    model = make_mlp(3, (1,))
    W, b = weights(model)["layers.0.weight"][0], weights(model)["layers.0.bias"][0]
    for _ in range(3):
        r = Xr @ W + b - yr
        W, b = W - lr * 2 * r @ Xr / len(yr), b - lr * 2 * r.mean()
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged, match="updated weights") \
            as info:
        fit(model, mse, OverflowsOnStep4(model.parameters(), lr=lr), (Xr, yr), epochs=10,
            batch_size=40, metrics=(), progress=False, seed=0)
    assert info.value.epoch == 4
    restored = weights(model)
    np.testing.assert_allclose(restored["layers.0.weight"][0], W, rtol=1e-12)
    np.testing.assert_allclose(restored["layers.0.bias"][0], b, rtol=1e-12)


def test_nan_in_the_data_is_trapped_before_any_update():
    bad = X.copy()
    bad[5, 0] = np.nan
    model = make_mlp(nouts=(4, 2))
    before = weights(model)
    with pytest.raises(TrainingDiverged, match="epoch 1, step 1"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (bad, Y), epochs=1,
            batch_size=96, progress=False)
    assert all(np.array_equal(v, weights(model)[k]) for k, v in before.items())


def test_after_an_overflowing_update_the_optimizer_state_starts_afresh():
    # a gradient that overflows the momentum buffer and the weights; restoring only
    # the weights would leave the buffer, and training on with the same optimizer (e.g. at a
    # smaller lr, as the message advises) would diverge again at its first step
    class HugeGradientOnStep3(SGD):
        calls = 0

        def step(self):
            self.calls += 1
            if self.calls == 3:
                for group in self.param_groups:
                    for p in group["params"]:
                        p.grad = p.grad * 1e308 * 1e308  # inf where nonzero
            return super().step()

    model = make_mlp(nouts=(4, 2))
    opt = HugeGradientOnStep3(model.parameters(), lr=0.05, momentum=0.9)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged, match="afresh"):
        fit(model, cross_entropy, opt, (X, Y), epochs=2, batch_size=16, progress=False, seed=0)
    assert opt.state == {}
    opt.param_groups[0]["lr"] = 0.01
    h = fit(model, cross_entropy, opt, (X, Y), epochs=2, batch_size=16, progress=False, seed=0)
    assert np.all(np.isfinite(h.step["loss"]))


def test_nan_in_the_data_is_named_as_the_data_not_as_an_op():
    bad = X.copy()
    bad[[5, 40], 1] = np.nan
    model = make_mlp(nouts=(4, 2))
    with pytest.raises(TrainingDiverged, match=r"input data holds nan/inf \(rows \[5, 40\] of X"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (bad, Y), epochs=1,
            batch_size=96, progress=False, seed=0)


class _Interrupt(Callback):
    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt


def test_resume_from_checkpoint_equals_the_uninterrupted_run_bit_for_bit(tmp_path):
    def run(epochs, callbacks=(), resume_from=None, checkpoint=None):
        model = make_mlp(nouts=(8, 2), seed=4)
        opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
        h = fit(model, cross_entropy, opt, (X, Y), val=(XV, YV), epochs=epochs, batch_size=16,
                progress=False, seed=11, callbacks=callbacks, resume_from=resume_from,
                checkpoint=checkpoint)
        return model, h

    full_model, full_history = run(6)
    path = tmp_path / "run.npz"
    with pytest.raises(KeyboardInterrupt):
        run(6, callbacks=[ModelCheckpoint(path), _Interrupt()])
    assert read_checkpoint(path)["epochs_done"] == 3
    resumed_model, resumed_history = run(6, resume_from=path)
    for k, v in weights(full_model).items():
        assert np.array_equal(weights(resumed_model)[k], v)
    assert resumed_history.to_dict() == full_history.to_dict()
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temp files


def test_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_checkpoint(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(ValueError):
        read_checkpoint(tmp_path / "other.npz")


def test_resuming_with_other_schedulers_than_were_saved_is_refused(tmp_path):
    # a saved schedule must not be dropped (or a new one start from scratch) silently
    def run(schedulers, **kwargs):
        model = make_mlp(nouts=(4, 2), seed=4)
        opt = SGD(model.parameters(), lr=0.05)
        fit(model, cross_entropy, opt, (X, Y), epochs=2, batch_size=16, progress=False, seed=1,
            schedulers=[make(opt) for make in schedulers], **kwargs)

    path = tmp_path / "run.npz"
    run([lambda o: StepLR(o, step_size=1)], checkpoint=path)
    for schedulers, saved, given in [([], 1, 0),
                                     ([lambda o: StepLR(o, 1), lambda o: StepLR(o, 2)], 1, 2)]:
        with pytest.raises(ValueError, match=f"run.npz.* {saved} learning-rate scheduler.* "
                                             f"{given} given"):
            run(schedulers, resume_from=path)


def test_early_stopping_restores_the_best_validation_weights():
    Xs, Ys = X[:30], Y[:30]
    model = make_mlp(nouts=(64, 64, 2), seed=0)
    stop = EarlyStopping("val_loss", patience=3)
    h = fit(model, cross_entropy, SGD(model.parameters(), lr=0.2, momentum=0.9), (Xs, Ys),
            val=(XV, YV), epochs=200, batch_size=10, progress=False, seed=0, callbacks=[stop])
    assert h.n_epochs < 200 and stop.stopped_epoch == h.n_epochs - 1
    best = int(np.argmin(h.epoch["val_loss"]))
    # patience 3: the 3rd epoch in a row without improvement stops (Keras, Lightning)
    assert h.n_epochs - 1 - best == 3 and h.meta["restored_best_epoch"] == best
    assert np.isclose(evaluate(model, cross_entropy, XV, YV)["loss"], h.epoch["val_loss"][best])
    with pytest.raises(KeyError, match="monitor='nope'"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), epochs=1,
            progress=False, callbacks=[EarlyStopping("nope")])


class _HalveLR:
    """A StepLR-like scheduler written here: halves the lr each epoch."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def step(self):
        self.optimizer.param_groups[0]["lr"] *= 0.5


def test_schedulers_step_once_per_epoch_and_steps_record_the_lr():
    model = make_mlp(nouts=(4, 2))
    opt = SGD(model.parameters(), lr=0.4)
    h = fit(model, cross_entropy, opt, (X, Y), epochs=3, batch_size=48, progress=False,
            schedulers=[_HalveLR(opt)])
    assert h.step["lr"] == [0.4, 0.4, 0.2, 0.2, 0.1, 0.1]


def test_progress_prints_one_line_per_epoch_when_not_a_terminal(capsys):
    model = make_mlp(nouts=(4, 2))
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), val=(XV, YV), epochs=3,
        progress=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3 loss=")
    assert "val_loss=" in lines[0] and "val_accuracy=" in lines[0]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_tqdm_bars_on_a_terminal_unless_disabled(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.delenv("TQDM_DISABLE", raising=False)  # scripts/test sets it for the suite
    stream = _Terminal()
    bar = Progress(1, 2, stream=stream)
    bar.start_epoch(0)
    bar.step(0.5)
    bar.step(0.25)
    bar.end_epoch(0, {"loss": 0.3})
    assert bar.bars and "epoch 1/1" in stream.getvalue() and "2/2" in stream.getvalue()
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert not Progress(1, 2, stream=_Terminal()).bars


def test_progress_prints_lines_on_a_terminal_when_tqdm_is_missing(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails
    stream = _Terminal()
    bar = Progress(2, 3, stream=stream)
    for epoch in range(2):
        bar.start_epoch(epoch)
        bar.step(0.5)
        bar.end_epoch(epoch, {"loss": 0.123456, "val_loss": 2.0})
    assert not bar.bars and "\r" not in stream.getvalue()
    assert stream.getvalue().splitlines() == ["epoch 1/2 loss=0.1235 val_loss=2",
                                              "epoch 2/2 loss=0.1235 val_loss=2"]


def test_progress_in_jupyter_uses_widget_bars_only_when_ipywidgets_is_there(monkeypatch):
    # tqdm.auto would print a red "IProgress not found" TqdmWarning in every notebook
    # without ipywidgets; the text bar is what it falls back to anyway
    tqdm = pytest.importorskip("tqdm")
    from tqdm.notebook import tqdm as widget_bar

    monkeypatch.setattr("nn.history._in_notebook", lambda: True)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets fails
    assert _bar_class() is tqdm.tqdm
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    assert _bar_class() is widget_bar
    monkeypatch.setattr("nn.history._in_notebook", lambda: False)
    assert _bar_class() is tqdm.tqdm


def test_fit_rejects_bad_input_with_clear_errors():
    model = make_mlp(nouts=(4, 2))
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="train must be an"):
        fit(model, cross_entropy, opt, X, epochs=1, progress=False)
    with pytest.raises(ValueError, match="96 samples but y"):
        fit(model, cross_entropy, opt, (X, Y[:5]), epochs=1, progress=False)
    with pytest.raises(ValueError, match="val"):
        fit(model, cross_entropy, opt, (X, Y), val=(XV, YV[:3]), epochs=1, progress=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, cross_entropy, opt, (X, Y), metrics=("f1",), epochs=1, progress=False)
    for epochs in (0, -1, 2.5):  # no silent empty run, no third epoch for 2.5
        with pytest.raises(ValueError, match="fit: epochs must be an integer >= 1"):
            fit(model, cross_entropy, opt, (X, Y), epochs=epochs, progress=False)


def test_accuracy_under_a_logits_loss_thresholds_at_zero_even_if_all_logits_are_in_0_1():
    model = make_mlp(nouts=(1,))
    model.layers[0].weight.data[:] = 1e-3  # logits 0.3 +- 0.003: sigmoid > 0.5, all class 1
    model.layers[0].bias.data[:] = 0.3
    ones = np.ones((len(X), 1))
    expected = float(np.mean((predict(model, X) > 0) == (ones > 0.5)))  # 1.0
    h = fit(model, "bce_logits", SGD(model.parameters(), lr=1e-9), (X, ones), val=(X, ones),
            epochs=1, batch_size=32, progress=False, seed=0)
    assert h.epoch["accuracy"] == h.epoch["val_accuracy"] == [expected] == [1.0]
    assert evaluate(model, "bce_logits", X, ones)["accuracy"] == expected


def test_default_metrics_are_accuracy_for_classification_and_none_for_regression():
    model = make_mlp(nouts=(4, 2))
    h = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), val=(XV, YV),
            epochs=1, progress=False, seed=0)
    assert "accuracy" in h.epoch and "val_accuracy" in h.epoch
    regression = make_mlp(nouts=(4, 1))
    targets = X[:, :1] * 2.0  # a continuous target: "accuracy" of it means nothing
    for loss in ("mse", nn.mse, nn.MSELoss(), "mae"):
        h = fit(regression, loss, SGD(regression.parameters(), lr=0.01), (X, targets),
                val=(X, targets), epochs=1, progress=False, seed=0)
        assert not any("accuracy" in k for k in h.epoch)
        assert set(evaluate(regression, loss, X, targets)) == {"loss"}


def test_callable_metrics_are_scored_on_the_validation_data_too():
    def top1(out, target):
        return float(np.mean(out.argmax(axis=1) == target))

    model = make_mlp(nouts=(4, 2))
    h = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), val=(XV, YV),
            metrics=[top1], epochs=1, progress=False, seed=0)
    assert h.epoch["val_top1"] == [top1(predict(model, XV), YV)]


def test_accuracy_reads_classes_signs_probabilities_and_logits():
    labels = np.array([0, 2, 1, 1])
    logits = np.array([[3.0, 1, 0], [0, 0, 1], [0, 2, 1], [5, 1, 0]])
    assert accuracy(logits, labels) == 0.75
    assert accuracy(np.array([0.9, -0.2, 0.1]), np.array([1, -1, -1])) == 2 / 3
    assert accuracy(np.array([[0.9], [0.4], [0.6]]), np.array([1, 0, 0])) == 2 / 3
    assert accuracy(np.array([2.0, -0.4, 0.3]), np.array([1, 0, 0])) == 2 / 3  # logits
    with pytest.raises(ValueError, match="do not match"):
        accuracy(np.ones(3), np.ones(4))


class _DropoutMLP(StandInMLP):
    """The stand-in MLP with a random hidden mask drawn from its own generator while training:
    resuming must restore that generator too."""

    def __init__(self):
        super().__init__(2, [16, 2], rng=np.random.default_rng(4))
        self.noise = {"rng": np.random.default_rng(21)}

    def __call__(self, x):
        h = relu(affine(x, self.layers[0].weight, self.layers[0].bias))
        if self.training:
            h = h * (self.noise["rng"].random(h.shape) > 0.3) / 0.7
        return affine(h, self.layers[1].weight, self.layers[1].bias)


def test_resume_restores_random_generators_inside_the_model(tmp_path):
    def run(epochs, callbacks=(), resume_from=None):
        model = _DropoutMLP()
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.05, momentum=0.9), (X, Y),
            epochs=epochs, batch_size=16, progress=False, seed=3, callbacks=callbacks,
            resume_from=resume_from)
        return weights(model)

    full = run(4)
    with pytest.raises(KeyboardInterrupt):
        run(4, callbacks=[ModelCheckpoint(tmp_path / "ck.npz"), _Interrupt()])
    resumed = run(4, resume_from=tmp_path / "ck.npz")
    assert all(np.array_equal(resumed[k], v) for k, v in full.items())
    assert find_generators(_DropoutMLP()).keys() == {"noise.rng"}


class _Plateau:
    """ReduceLROnPlateau-like: step(metric) halves the lr when the metric did not improve."""

    def __init__(self, optimizer):
        self.optimizer, self.best, self.seen = optimizer, np.inf, []

    def step(self, metric):
        self.seen.append(metric)
        if metric >= self.best:
            self.optimizer.param_groups[0]["lr"] *= 0.5
        self.best = min(self.best, metric)


def test_metric_driven_schedulers_get_the_validation_loss():
    model = make_mlp(nouts=(4, 2))
    opt = SGD(model.parameters(), lr=0.1)
    sched = _Plateau(opt)
    h = fit(model, cross_entropy, opt, (X, Y), val=(XV, YV), epochs=3, progress=False,
            schedulers=[sched])
    assert sched.seen == h.epoch["val_loss"]


def test_model_checkpoint_best_only_writes_when_the_monitor_improves(tmp_path):
    model = make_mlp(nouts=(8, 2))
    ck = ModelCheckpoint(tmp_path / "best-{epoch}.npz", monitor="val_loss", save_best_only=True)
    h = fit(model, cross_entropy, SGD(model.parameters(), lr=2.0, momentum=0.9), (X, Y),
            val=(XV, YV), epochs=8, batch_size=16, progress=False, seed=0, callbacks=[ck])
    val = np.array(h.epoch["val_loss"])
    improved = [i + 1 for i in range(len(val)) if val[i] < val[:i].min(initial=np.inf)]
    written = sorted(int(p.stem.split("-")[1]) for p in tmp_path.glob("best-*.npz"))
    assert written == improved and len(improved) < 8
    saved = read_checkpoint(tmp_path / f"best-{improved[-1]}.npz")
    assert saved["epochs_done"] == improved[-1]
    assert np.allclose(json.loads(saved["history"])["epoch"]["val_loss"], val[:improved[-1]])


def test_regression_metrics_by_name():
    rng = np.random.default_rng(0)
    Xr, yr = rng.normal(size=(30, 2)), rng.normal(size=30)
    model = make_mlp(2, (1,))
    scores = evaluate(model, mse, Xr, yr, metrics=("mae", "mse"))
    r = predict(model, Xr).ravel() - yr
    assert np.isclose(scores["mae"], np.abs(r).mean())
    assert np.isclose(scores["mse"], (r ** 2).mean())
    assert np.isclose(scores["loss"], scores["mse"])


def test_an_unseeded_run_records_the_seed_that_repeats_it():
    def run(seed):
        model = make_mlp(nouts=(4, 2))
        h = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), epochs=2,
                batch_size=16, progress=False, seed=seed)
        return h, weights(model)

    first, w1 = run(None)
    assert isinstance(first.meta["seed"], int)
    again, w2 = run(first.meta["seed"])
    assert again.step["batch"] == first.step["batch"]
    assert all(np.array_equal(w1[k], w2[k]) for k in w1)


def test_each_step_runs_with_the_cyclic_collector_paused_and_restores_it():
    import gc

    seen = []

    def loss(pred, target):
        seen.append(gc.isenabled())
        return cross_entropy(pred, target)

    model = make_mlp(nouts=(4, 2))
    fit(model, loss, SGD(model.parameters(), lr=0.1), (X, Y), val=(XV, YV), epochs=2,
        batch_size=32, progress=False, seed=0)
    steps = 2 * 3
    assert seen[:3] == [False] * 3 and seen.count(False) == steps  # validation: not a step
    assert gc.isenabled()
    with pytest.raises(TrainingDiverged):  # an error inside a step restores it too
        fit(model, lambda p, t: loss(p, t) * np.inf, SGD(model.parameters(), lr=0.1), (X, Y),
            epochs=1, progress=False, seed=0)
    assert gc.isenabled()


def test_traced_fit_with_dropout_runs_eagerly_and_matches_an_untraced_run():
    def run(trace):
        model = nn.Sequential(nn.Linear(2, 16, rng=np.random.default_rng(0)), nn.ReLU(),
                              nn.Dropout(0.1, rng=np.random.default_rng(1)),
                              nn.Linear(16, 2, rng=np.random.default_rng(2)))
        fit(model, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), (X, Y), epochs=2,
            batch_size=1, progress=False, seed=0, trace=trace)
        return weights(model)

    with pytest.warns(UserWarning, match="created anew in every call"):
        traced = run(True)
    for name, value in run(False).items():
        np.testing.assert_array_equal(traced[name], value)
