"""Saving and loading: exact round trips, atomic writes, refusal of pickles and broken files."""

import os
import stat

import numpy as np
import pytest

from nn import io
from nn.activations import Tanh
from nn.layers import MLP, Dropout, Linear, Neuron, Perceptron, Sequential
from nn.module import Module, Parameter


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(np.array_equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("model", [
    MLP(5, [7, 3], activation="sigmoid", output_activation="softmax", rng=0),
    MLP(4, [2], activation=None, rng=1, dtype=np.float32),
    Sequential(Linear(3, 4, rng=0), Tanh(), Dropout(0.1), Linear(4, 2, bias=False, rng=1)),
    Neuron(3, activation="relu", rng=0),
    Perceptron(4, activation="sigmoid", rng=0),
], ids=["mlp", "mlp-float32", "sequential", "neuron", "perceptron"])
def test_save_load_round_trips_exactly(tmp_path, model):
    path = model.save(tmp_path / "model.npz")
    loaded = io.load(path)
    assert type(loaded) is type(model) and repr(loaded) == repr(model)
    assert same_weights(loaded, model)
    assert [p.dtype for p in loaded.parameters()] == [p.dtype for p in model.parameters()]
    width = getattr(model, "nin", None) or getattr(model, "sizes", [3])[0]
    x = np.random.default_rng(0).normal(size=width if isinstance(model, Neuron) else (2, width))
    np.testing.assert_array_equal(loaded.eval()(x).data, model.eval()(x).data)


def test_files_are_plain_npz_without_pickles_and_ordinary_permissions(tmp_path):
    path = MLP(2, [2], rng=0).save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


def test_a_crash_mid_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "m.npz"
    old = MLP(2, [3], rng=0)
    old.save(path)
    before = path.read_bytes()

    def crash(f):
        f.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        io.atomic_write(path, crash)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]


def test_a_pickle_inside_an_npz_is_refused_without_running_it(tmp_path):
    path = tmp_path / "evil.npz"

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    np.savez(path, __tree__=np.array("{}"), payload=np.array([Boom()], dtype=object))
    with pytest.raises(ValueError, match="pickled Python objects"):
        io.load(path)
    assert not (tmp_path / "pwned").exists()


def test_truncated_and_foreign_files_fail_clearly(tmp_path):
    good = MLP(3, [4, 2], rng=0).save(tmp_path / "good.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated.npz' is not a readable netgrad file"):
        io.load(truncated)
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.npz' is not a readable netgrad file"):
        io.load(text)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(3))
    with pytest.raises(ValueError, match="no netgrad contents"):
        io.load(foreign)
    with pytest.raises(FileNotFoundError, match="missing.npz' does not exist"):
        io.load(tmp_path / "missing.npz")


def test_tampered_contents_fail_clearly(tmp_path):
    path = tmp_path / "m.npz"
    MLP(3, [4, 2], rng=0).save(path)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["__tree__"] = np.array(str(arrays["__tree__"]).replace('"MLP"', '"Trojan"'))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="unknown module class 'Trojan'"):
        io.load(path)
    tree = io.load_tree(path)
    tree["model"]["class"] = "MLP"
    tree["state"]["layers.0.weight"] = np.zeros((4, 5))
    io.save_tree(path, tree)
    with pytest.raises(ValueError, match=r"layers.0.weight \(model \(4, 3\), given \(4, 5\)\)"):
        io.load(path)
    io.save_tree(path, {"format": "something else"})
    with pytest.raises(ValueError, match="not a netgrad model file"):
        io.load(path)


def test_trees_keep_structure_int_keys_and_arrays(tmp_path):
    tree = {"state": {0: {"step": 3, "exp_avg": np.arange(3.0)}}, "groups": [{"lr": 0.1,
            "betas": (0.9, 0.999), "params": [0, 1]}], "name": "adam", "none": None,
            "f32": np.ones(2, dtype=np.float32)}
    back = io.load_tree(io.save_tree(tmp_path / "t.npz", tree))
    assert back["state"][0]["step"] == 3 and back["groups"][0]["betas"] == [0.9, 0.999]
    assert np.array_equal(back["state"][0]["exp_avg"], np.arange(3.0))
    assert back["f32"].dtype == np.float32 and back["none"] is None
    with pytest.raises(TypeError, match="cannot store a set"):
        io.save_tree(tmp_path / "bad.npz", {"x": {1, 2}})


def test_own_module_classes_load_when_named(tmp_path):
    class Scaler(Module):
        def __init__(self, n):
            self.n = n
            self.scale = Parameter(np.ones(n))

        def forward(self, x):
            return x * self.scale

        def config(self):
            return {"n": self.n}

    model = Scaler(3)
    model.scale.data[:] = [1.0, 2.0, 3.0]
    path = model.save(tmp_path / "s.npz")
    with pytest.raises(ValueError, match=r"classes=\[Scaler\]"):
        io.load(path)
    assert same_weights(io.load(path, classes=[Scaler]), model)


def test_unsaveable_activation_and_missing_folder_are_explained(tmp_path):
    with pytest.raises(ValueError, match="activation given as ufunc cannot be saved"):
        MLP(2, [2], activation=np.tanh).save(tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError, match="folder .* does not exist"):
        MLP(2, [2]).save(tmp_path / "no" / "m.npz")
    assert os.listdir(tmp_path) == []  # nothing half-written left behind


def test_keys_json_cannot_give_back_are_refused_and_the_old_file_kept(tmp_path):
    path = io.save_tree(tmp_path / "t.npz", {"w": np.arange(3.0)})
    for key in [(1, 2), np.int64(1)]:  # a tuple key was written, then could never be read
        with pytest.raises(TypeError, match=f"dict key .* of type {type(key).__name__}"):
            io.save_tree(path, {"state": {key: 1.0}})
    assert np.array_equal(io.load_tree(path)["w"], np.arange(3.0))


def test_keys_spelled_like_the_file_markers_round_trip(tmp_path):
    tree = {"__array__": "a0", "x": np.ones(2), "y": {"__items__": [[1, 2]]}}
    back = io.load_tree(io.save_tree(tmp_path / "t.npz", tree))
    assert back["__array__"] == "a0" and back["y"] == {"__items__": [[1, 2]]}
    assert np.array_equal(back["x"], np.ones(2))


def test_a_folder_is_not_reported_as_missing(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder, not a netgrad file"):
        io.load_tree(tmp_path)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        io.load(tmp_path)
