"""nn.history: records are plain data that round-trip through JSON and NPZ (no pickle), plots
are drawn headless and saved as PNG; nn.lr_find and nn.crossval on small runs."""

import json

import numpy as np
import pytest
from test_train_support import SGD, cross_entropy, make_mlp, moons

from nn.crossval import cross_validate
from nn.data import StandardScaler
from nn.history import History
from nn.lr_find import lr_find
from nn.train import fit

X, Y = moons(80, seed=0)


@pytest.fixture(scope="module")
def history():
    model = make_mlp(nouts=(8, 2))
    return fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), val=(X, Y),
               epochs=3, batch_size=32, progress=False, seed=5)


def test_record_back_fills_missing_columns_with_nan():
    h = History()
    h.record_step(1.0, 0.1, 0, [0, 1])
    h.record_step(0.5, 0.1, 0, [2], {"w": 3.0})
    h.record_epoch(loss=0.75)
    h.record_epoch(loss=0.5, val_loss=0.6)
    assert np.isnan(h.grad_norms["w"][0]) and h.grad_norms["w"][1] == 3.0
    assert np.isnan(h.epoch["val_loss"][0]) and h.epoch["val_loss"][1] == 0.6
    with pytest.raises(ValueError, match="loss="):
        h.record_epoch(val_loss=1.0)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_and_load_round_trip_equal(history, tmp_path, suffix):
    path = history.save(tmp_path / f"run{suffix}")
    loaded = History.load(path)
    assert loaded.to_dict() == history.to_dict()
    assert loaded.meta["seed"] == 5 and loaded.n_steps == 9
    assert sorted(i for b in loaded.step["batch"][:3] for i in b) == list(range(80))
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:  # readable without pickle
            assert z["step/loss"].tolist() == history.step["loss"]
    else:
        assert json.loads(path.read_text())["epoch"]["loss"] == history.epoch["loss"]


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_run_seeded_with_a_numpy_integer_saves_and_loads(tmp_path, suffix):
    model = make_mlp(nouts=(4, 2))
    h = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, Y), epochs=1,
            progress=False, seed=np.int64(7))
    assert History.load(h.save(tmp_path / f"run{suffix}")).meta["seed"] == 7


def test_save_load_errors_name_the_file(tmp_path, history):
    with pytest.raises(ValueError, match="json or .npz"):
        history.save(tmp_path / "run.txt")
    with pytest.raises(FileNotFoundError, match="missing.json"):
        History.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"meta": {}}')
    with pytest.raises(ValueError, match="not a History"):
        History.load(tmp_path / "bad.json")


def test_plot_returns_a_figure_and_writes_png(history, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig = history.plot(tmp_path / "curves.png")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["train loss", "validation loss"] and len(fig.axes) == 2
    assert np.allclose(fig.axes[0].get_lines()[0].get_ydata(), history.epoch["loss"])
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(fig)


def test_live_plot_is_a_noop_outside_jupyter(history):
    from nn.history import LivePlot

    live = LivePlot()
    assert not live.enabled
    live.update(history)  # must not raise or draw


def test_lr_find_leaves_the_model_alone_and_suggests_a_rate_below_the_blow_up(tmp_path):
    model = make_mlp(nouts=(16, 2))
    before = {k: np.array(v) for k, v in model.state_dict().items()}
    result = lr_find(model, cross_entropy, lambda p: SGD(p, lr=1.0), (X, Y), num_steps=120,
                     start_lr=1e-5, end_lr=100.0)
    assert all(np.array_equal(np.array(v), before[k]) for k, v in model.state_dict().items())
    assert np.all(np.diff(np.log(result.lrs)) > 0) and len(result.lrs) == len(result.losses)
    best = result.lrs[np.argmin(result.smoothed)]
    assert np.isclose(result.suggested_lr, best / 10)
    assert result.losses.min() < result.losses[0]  # the sweep found rates that learn
    assert 1e-4 < result.suggested_lr < 10.0
    assert len(result.lrs) < 120  # stopped once the loss blew up at huge rates
    pytest.importorskip("matplotlib")
    result.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 0
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        lr_find(model, cross_entropy, lambda p: SGD(p), (X, Y), start_lr=1.0, end_lr=0.1)
    for settings, message in [({"smoothing": 1.0}, r"smoothing must be in \[0, 1\)"),
                              ({"end_lr": float("inf")}, "0 < start_lr < end_lr")]:
        with pytest.raises(ValueError, match=message):  # no sweep: 1/0, or no finite end
            lr_find(model, cross_entropy, lambda p: SGD(p), (X, Y), **settings)


def _make_model():
    return make_mlp(nouts=(8, 2), seed=3)


def _make_optimizer(params):
    return SGD(params, lr=0.1, momentum=0.9)


def test_cross_validate_parallel_equals_serial_and_scores_each_fold():
    pytest.importorskip("joblib")
    kwargs = dict(loss=cross_entropy, make_optimizer=_make_optimizer, epochs=3, batch_size=16,
                  seed=2, scaler=StandardScaler)
    serial = cross_validate(_make_model, X, Y, k=4, n_jobs=1, **kwargs)
    parallel = cross_validate(_make_model, X, Y, k=4, n_jobs=2, **kwargs)
    assert serial.scores == parallel.scores
    assert set(serial.scores) == {"val_loss", "val_accuracy"}
    assert len(serial.scores["val_loss"]) == 4 and len(serial.histories) == 4
    assert np.isclose(serial.mean()["val_loss"], np.mean(serial.scores["val_loss"]))
    assert all(0 <= a <= 1 for a in serial.scores["val_accuracy"])


def test_live_plot_redraws_in_place_in_jupyter(history, monkeypatch):
    pytest.importorskip("matplotlib")
    display = pytest.importorskip("IPython.display")
    from nn.history import LivePlot

    calls = []

    class Handle:
        def update(self, fig):
            calls.append(("update", fig))

    def show(fig, display_id=None):
        calls.append(("show", fig, display_id))
        return Handle()

    monkeypatch.setattr(display, "clear_output", lambda wait=False: calls.append(("clear",)))
    monkeypatch.setattr(display, "display", show)
    live = LivePlot()
    live.enabled = True
    live.update(history)
    live.update(history)
    # one figure output, replaced in place; clear_output would also erase the epoch log lines
    assert [c[0] for c in calls] == ["show", "update"] and calls[0][2] is True


def test_cross_validate_fold_is_train_on_the_rest_scaled_by_its_own_statistics():
    from nn.data import KFold
    from nn.train import evaluate

    cv = cross_validate(_make_model, X, Y, k=4, loss=cross_entropy,
                        make_optimizer=_make_optimizer, epochs=2, batch_size=16, seed=2,
                        scaler=StandardScaler)
    train, val = list(KFold(4, seed=2).split(X))[1]
    mu, sd = X[train].mean(0), X[train].std(0)  # scaling written out, from the training part
    model = _make_model()
    fit(model, cross_entropy, _make_optimizer(model.parameters()), ((X[train] - mu) / sd,
        Y[train]), epochs=2, batch_size=16, progress=False, seed=3)
    expected = evaluate(model, cross_entropy, (X[val] - mu) / sd, Y[val])
    assert np.isclose(cv.scores["val_loss"][1], expected["loss"], rtol=1e-12)
    assert cv.scores["val_accuracy"][1] == expected["accuracy"]
