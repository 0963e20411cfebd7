"""The netgrad command line, run in-process through main([...]) (plus one real subprocess)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(code, err, *fragments):
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("netgrad: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["draw"], ["evaluate"]])
def test_help_on_every_command(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert out.startswith("usage: netgrad")


def test_no_command_prints_help_and_fails(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "demo" in out and "evaluate" in out


@pytest.mark.parametrize("argv,fragments", [
    (["frobnicate"], ["invalid choice", "frobnicate"]),
    (["train", "--data", "moons", "--optimizer", "adamm"], ["unknown optimizer 'adamm'", "adam"]),
    (["train", "--data", "mnsit"], ["unknown dataset 'mnsit'", "digits"]),
    (["train", "--data", "moons", "--layers", "3,8,2"], ["starts with 3 inputs", "2 features"]),
    (["train", "--data", "moons", "--layers", "2,8,3"], ["ends with 3 outputs", "2 classes"]),
    (["train", "--data", "loan", "--layers", "3,8,2"], ["ends with 2 outputs", "1 targets"]),
    (["train", "--data", "moons", "--layers", "2,x"], ["comma-separated integers"]),
    (["train", "--data", "moons", "--epochs", "0"], ["--epochs"]),
    (["train", "--data", "moons", "--val-split", "0.9"], ["--val-split"]),
    (["train", "--data", "csv:nowhere.csv"], ["needs --target"]),
    (["train", "--data", "csv:nowhere.csv", "--target", "y"], ["nowhere.csv", "does not exist"]),
    (["train", "--data", "mnist:no-such-dir"], ["no-such-dir", "does not exist"]),
    (["train", "--data", "moons", "--lr", "fast"], ["--lr", "invalid float"]),
    (["draw", "missing.npz"], ["model file 'missing.npz' does not exist"]),
    (["evaluate", "missing.npz", "--data", "moons"], ["model file 'missing.npz'"]),
])
def test_bad_arguments_give_one_clear_line(capsys, tmp_path, monkeypatch, argv, fragments):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv, *(["--out", "o"] if argv[0] == "train" else []))
    assert_one_error_line(code, err, *fragments)


def test_unwritable_output_folder(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "train", "--data", "moons", "--out", str(blocker / "sub"))
    assert_one_error_line(code, err, "cannot write to output folder", "a-file")


def test_output_folder_that_is_a_file_is_named_as_such(capsys, tmp_path):
    (tmp_path / "run").write_text("kept")
    code, _, err = run(capsys, "train", "--data", "moons", "--out", str(tmp_path / "run"))
    assert_one_error_line(code, err, "run' is a file", "--out")
    assert (tmp_path / "run").read_text() == "kept"


def test_csv_errors_are_reported_with_file_and_line(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n2\n")
    code, _, err = run(capsys, "train", "--data", f"csv:{path}", "--target", "a",
                       "--out", str(tmp_path / "o"))
    assert_one_error_line(code, err, "bad.csv", "line 3")


def test_python_dash_m_nn_help_runs_as_a_program():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "nn", "train", "--help"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--optimizer" in result.stdout and "mnist:DIR" in result.stdout


# ----- end to end (the nn core: MLP, optimizers, losses, save/load) --------------------------

OUTPUTS = {"model.npz", "history.npz", "loss_curve.png", "network.svg", "neuron_graph.svg"}


def test_demo_trains_the_seed_network_on_digits(capsys, tmp_path):
    pytest.importorskip("sklearn")
    code, out, err = run(capsys, "demo", "--out", str(tmp_path / "demo"), "--quiet")
    assert code == 0, err
    assert "network 64-15-10 (sigmoid)" in out and "diagnosis:" in out
    test_line = next(line for line in out.splitlines() if line.strip().startswith("test:"))
    accuracy = float(test_line.split("accuracy")[1].split(",")[0])
    assert accuracy > 0.90
    assert OUTPUTS <= {p.name for p in (tmp_path / "demo").iterdir()}
    assert (tmp_path / "demo" / "loss_curve.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (tmp_path / "demo" / "neuron_graph.svg").read_bytes()


def test_train_then_draw_then_evaluate(capsys, tmp_path):
    out_dir = tmp_path / "moons"
    code, out, err = run(capsys, "train", "--data", "moons", "--layers", "2,8,2", "--activation",
                         "tanh", "--optimizer", "momentum", "--lr", "0.1", "--epochs", "20",
                         "--seed", "1", "--out", str(out_dir), "--quiet")
    assert code == 0, err
    assert OUTPUTS <= {p.name for p in out_dir.iterdir()}
    code, out, err = run(capsys, "draw", str(out_dir / "model.npz"), "-o", str(tmp_path / "n.svg"))
    assert code == 0, err
    assert b"<svg" in (tmp_path / "n.svg").read_bytes()
    code, out, err = run(capsys, "evaluate", str(out_dir / "model.npz"), "--data", "moons",
                         "--seed", "1")
    assert code == 0, err
    accuracy = float(out.split("accuracy")[1])
    assert accuracy > 0.8
    code, _, err = run(capsys, "evaluate", str(out_dir / "model.npz"), "--data", "stairs")
    assert_one_error_line(code, err, "does not fit stairs", "4 features")


def test_train_with_trace_prints_the_same_scores(capsys, tmp_path):
    outputs = []
    for extra in ((), ("--trace",)):
        code, out, err = run(capsys, "train", "--data", "moons", "--layers", "2,8,2",
                             "--epochs", "5", "--batch-size", "16", "--out",
                             str(tmp_path / f"run{len(extra)}"), "--quiet", *extra)
        assert code == 0 and "runs eagerly" not in err, err
        outputs.append([line for line in out.splitlines() if ": loss" in line])
    assert outputs[0] == outputs[1] and len(outputs[0]) == 3  # train, validation, test


def test_train_regression_on_loan_and_on_csv(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--data", "loan", "--layers", "3,1", "--epochs", "5",
                         "--out", str(tmp_path / "loan"), "--quiet")
    assert code == 0, err
    assert "accuracy" not in out and "test: loss" in out
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    rows = ["a,b,label"] + [f"{a},{b},{'yes' if a + b > 0 else 'no'}" for a, b in X]
    (tmp_path / "d.csv").write_text("\n".join(rows))
    code, out, err = run(capsys, "train", "--data", f"csv:{tmp_path / 'd.csv'}", "--target",
                         "label", "--layers", "2,2", "--epochs", "5", "--out",
                         str(tmp_path / "csv"), "--quiet")
    assert code == 0, err
    assert (tmp_path / "csv" / "model.npz").is_file()


def test_train_on_mnist_idx_files(capsys, tmp_path):
    from test_idx import make_mnist

    make_mnist(tmp_path / "mnist", n_train=40, n_test=10, compress=True)
    code, out, err = run(capsys, "train", "--data", f"mnist:{tmp_path / 'mnist'}", "--layers",
                         "784,15,10", "--epochs", "1", "--val-split", "0",
                         "--out", str(tmp_path / "o"), "--quiet")
    assert code == 0, err
    assert "40 train / 0 validation / 10 test" in out


def test_unexpected_failures_are_one_line_unless_debugging(capsys, monkeypatch):
    import nn.cli

    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(nn.cli, "build_parser", _parser_with(nn.cli, broken))
    code, _, err = run(capsys, "draw", "m.npz")
    assert_one_error_line(code, err, "internal error (KeyError", "NETGRAD_DEBUG=1")
    monkeypatch.setenv("NETGRAD_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["draw", "m.npz"])


def _parser_with(cli, run_fn):
    original = cli.build_parser

    def build():
        parser = original()
        parser._subparsers._group_actions[0].choices["draw"].set_defaults(run=run_fn)
        return parser

    return build


def _numpy_scores(model_path, X, y):
    """Loss and accuracy of a saved 1-hidden-layer sigmoid MLP, computed with NumPy alone."""
    with np.load(model_path, allow_pickle=False) as z:
        W0, b0, W1, b1 = z["a0"], z["a1"], z["a2"], z["a3"]
    logits = 1 / (1 + np.exp(-(X @ W0.T + b0))) @ W1.T + b1
    shifted = logits - logits.max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean(), (logits.argmax(1) == y).mean()


def test_evaluate_on_a_csv_with_some_classes_uses_the_trained_labels(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    kind = np.where(X.sum(1) > 0, "dog", "cat")
    rows = ["a,b,kind"] + [f"{a},{b},{k}" for (a, b), k in zip(X, kind)]
    (tmp_path / "pets.csv").write_text("\n".join(rows))
    code, _, err = run(capsys, "train", "--data", f"csv:{tmp_path / 'pets.csv'}", "--target",
                       "kind", "--epochs", "20", "--out", str(tmp_path / "run"), "--quiet")
    assert code == 0, err
    dogs = kind == "dog"
    (tmp_path / "dogs.csv").write_text("\n".join(
        ["a,b,kind"] + [f"{a},{b},dog" for a, b in X[dogs]]))
    code, out, err = run(capsys, "evaluate", str(tmp_path / "run" / "model.npz"), "--data",
                         f"csv:{tmp_path / 'dogs.csv'}", "--target", "kind", "--split", "all")
    assert code == 0, err
    loss, accuracy = _numpy_scores(tmp_path / "run" / "model.npz", X[dogs],
                                   np.ones(dogs.sum(), dtype=np.int64))  # cat 0, dog 1
    assert f"loss {loss:.4f}, accuracy {accuracy:.4f}" in out
