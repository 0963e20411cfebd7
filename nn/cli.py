"""The ``netgrad`` command line (also ``python -m nn``): demo, train, draw, evaluate.

``netgrad demo`` is the README's main job: the seed's input-15-10 network (sigmoid hidden layer,
softmax output) trained on the real 8x8 digits, with the pictures and the model written to a
folder. Every mistake in the arguments ends as one ``netgrad: error: ...`` line on stderr and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .io import atomic_write

__all__ = ["CLIError", "main"]

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adam", "adamw", "rmsprop")
BUILTIN_DATA = ("digits", "stairs", "loan", "moons", "circles", "spirals")
DATA_HELP = f"{', '.join(BUILTIN_DATA)}, mnist:DIR (the 4 MNIST IDX files) or csv:PATH"
TEST_FRACTION = 0.2


class CLIError(Exception):
    """A user mistake, reported as one line: ``netgrad: error: <message>``."""


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one ``netgrad: error:`` line (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CLIError(f"{message} (see: {self.prog} --help)")


@dataclass
class Data:
    """A dataset resolved from ``--data``: features, targets, task and an optional fixed test."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str  # "classification" or "regression"
    test: tuple[np.ndarray, np.ndarray] | None = None
    classes: list[str] = field(default_factory=list)

    @property
    def n_outputs(self) -> int:
        if self.task == "classification" and self.classes:
            return len(self.classes)
        if self.task == "classification":
            return int(max(self.y.max(), self.test[1].max() if self.test else 0)) + 1
        return 1 if self.y.ndim == 1 else self.y.shape[1]


def load_data(spec: str, seed: int, target: str | None = None,
              trained: dict | None = None) -> Data:
    """The dataset named by a ``--data`` value (see DATA_HELP); stairs pixels scaled to 0..1.

    ``trained`` (what `train` saved beside the model: task and classes) makes a CSV's target
    read the way the model was trained: the same task and the same class labels."""
    from . import datasets

    kind, _, arg = spec.partition(":")
    if kind == "mnist" and arg:
        from .idx import load_mnist

        (X, y), test = load_mnist(arg)
        return Data(spec, X, y, "classification", test)
    if kind == "csv" and arg:
        if not target:
            raise CLIError("--data csv:PATH needs --target COLUMN (the column to predict)")
        task, known = (trained or {}).get("task", "auto"), (trained or {}).get("classes")
        known = (known or None) if task == "classification" else None
        X, y, classes = datasets.load_csv(arg, target, task=task, classes=known)
        return Data(spec, X, y, "classification" if classes else "regression", classes=classes)
    if spec not in BUILTIN_DATA:
        raise CLIError(f"unknown dataset {spec!r}; choose {DATA_HELP}")
    X, y = datasets.load_dataset(spec, seed=seed)
    if spec == "stairs":
        X = X / 255.0  # pixels 0..255 -> 0..1
    task = datasets.DATASETS[spec][1]
    return Data(spec, X, y, task)


def split(data: Data, val_split: float, seed: int) -> tuple[tuple, tuple | None, tuple]:
    """``(train, val, test)`` pairs; the test part is the data's own test set when it has one."""
    from .data import train_test_split, train_val_test_split

    stratify = data.y if data.task == "classification" else None
    if data.test is not None:
        if val_split == 0:
            return (data.X, data.y), None, data.test
        X_tr, X_va, y_tr, y_va = train_test_split(data.X, data.y, test_size=val_split, seed=seed,
                                                  stratify=stratify)
        return (X_tr, y_tr), (X_va, y_va), data.test
    if val_split == 0:
        X_tr, X_te, y_tr, y_te = train_test_split(data.X, data.y, test_size=TEST_FRACTION,
                                                  seed=seed, stratify=stratify)
        return (X_tr, y_tr), None, (X_te, y_te)
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(
        data.X, data.y, val_size=val_split, test_size=TEST_FRACTION, seed=seed, stratify=stratify)
    return (X_tr, y_tr), (X_va, y_va), (X_te, y_te)


def _targets(data: Data, y: np.ndarray) -> np.ndarray:
    """Regression targets as (n, outputs) so they match the network's output shape."""
    return y.reshape(len(y), -1) if data.task == "regression" else y


def _layers(text: str | None, data: Data) -> list[int]:
    n_features = data.X.shape[1]
    if text is None:
        return [n_features, 15, data.n_outputs]
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise CLIError(
            f"--layers must be comma-separated integers like 64,15,10, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise CLIError(f"--layers needs at least an input and an output size >= 1, got {text!r}")
    if sizes[0] != n_features:
        raise CLIError(f"--layers starts with {sizes[0]} inputs but {data.name} has {n_features} "
                       f"features; use --layers {n_features},...")
    what = "classes" if data.task == "classification" else "targets"
    if sizes[-1] != data.n_outputs:
        raise CLIError(f"--layers ends with {sizes[-1]} outputs but {data.name} has "
                       f"{data.n_outputs} {what}; end --layers with {data.n_outputs}")
    return sizes


def _output_folder(out: str) -> Path:
    """Create ``out`` and check it can be written to, before any training time is spent."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"output folder {out!r} is a file; give --out a folder name")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".netgrad-check-"):
            pass
    except OSError as exc:
        raise CLIError(f"cannot write to output folder {out!r}: {exc.strerror or exc}") from None
    return folder


def neuron_graph():
    """The seed's single neuron, ``sigmoid(x1*w1 + x2*w2 + b)``, after backward, as a diagram."""
    from autograd import Value
    from autograd.draw import draw

    x1, x2 = Value(0.5, name="x1", requires_grad=False), Value(-1.0, name="x2",
                                                                  requires_grad=False)
    w1, w2, b = Value(0.8, name="w1"), Value(0.3, name="w2"), Value(0.1, name="b")
    out = (x1 * w1 + x2 * w2 + b).sigmoid()
    out.name = "out"
    out.backward()
    return draw(out)


def _build_model(sizes: list[int], activation: str, seed: int):
    import nn

    return nn.MLP(sizes[0], sizes[1:], activation=activation, rng=np.random.default_rng(seed))


def _loss_name(data: Data) -> str:
    return "cross_entropy" if data.task == "classification" else "mse"


def _metrics(data: Data) -> tuple[str, ...]:
    return ("accuracy",) if data.task == "classification" else ()


def run_training(args: argparse.Namespace, data: Data, out: Path) -> int:
    """Train, report train/val/test scores and the diagnosis, and write the outputs into out."""
    sizes = _layers(args.layers, data)
    from .optim import get_optimizer
    from .train import evaluate, fit

    train, val, test = split(data, args.val_split, args.seed)
    train = (train[0], _targets(data, train[1]))
    val = (val[0], _targets(data, val[1])) if val else None
    model = _build_model(sizes, args.activation, args.seed)
    optimizer = get_optimizer(args.optimizer, model.parameters(), lr=args.lr)
    print(f"netgrad: {data.name}: {len(train[0])} train / {len(val[0]) if val else 0} validation "
          f"/ {len(test[0])} test samples; network {'-'.join(map(str, sizes))} "
          f"({args.activation}), {args.optimizer} lr={args.lr}")
    history = fit(model, _loss_name(data), optimizer, train, val, epochs=args.epochs,
                  batch_size=args.batch_size, metrics=_metrics(data),
                  progress=not args.quiet, seed=args.seed, trace=args.trace)
    parts = {"train": train, "validation": val, "test": (test[0], _targets(data, test[1]))}
    for part, pair in parts.items():
        if pair is not None:
            scores = evaluate(model, _loss_name(data), *pair, metrics=_metrics(data))
            print(f"{part:>10}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    print("diagnosis:")
    for finding in history.diagnose(verbose=False) or ["no problems found in the loss curves"]:
        print(f"  - {finding}")
    _write_outputs(model, history, out, data)
    return 0


def _write_outputs(model: Any, history: Any, out: Path, data: Data) -> None:
    from .draw import draw_network
    from .io import save

    # the task and classes let evaluate read a CSV's target the way train did
    save(model, out / "model.npz", meta={"task": data.task, "classes": list(data.classes)})
    history.save(out / "history.npz")
    history.plot(out / "loss_curve.png")
    network, graph = draw_network(model).pipe(format="svg"), neuron_graph().pipe(format="svg")
    atomic_write(out / "network.svg", lambda f: f.write(network))
    atomic_write(out / "neuron_graph.svg", lambda f: f.write(graph))
    print(f"wrote {out}/: model.npz, history.npz, loss_curve.png, network.svg, neuron_graph.svg")


def cmd_demo(args: argparse.Namespace) -> int:
    out = _output_folder(args.out)
    args.data, args.layers, args.activation, args.target = "digits", "64,15,10", "sigmoid", None
    args.optimizer, args.lr, args.batch_size, args.val_split = "adam", 0.01, 32, 0.15
    return run_training(args, load_data("digits", args.seed), out)


def cmd_train(args: argparse.Namespace) -> int:
    if args.optimizer not in OPTIMIZERS:
        raise CLIError(
            f"unknown optimizer {args.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    if not 0 <= args.val_split < 1 - TEST_FRACTION:
        raise CLIError(f"--val-split must be in [0, {1 - TEST_FRACTION:g}), got {args.val_split}")
    out = _output_folder(args.out)
    return run_training(args, load_data(args.data, args.seed, args.target), out)


def _load_model(path: str):
    import nn

    if not Path(path).is_file():
        raise CLIError(f"model file {path!r} does not exist")
    return nn.load(path)


def cmd_draw(args: argparse.Namespace) -> int:
    if not Path(args.model).is_file():
        raise CLIError(f"model file {args.model!r} does not exist")
    if not Path(args.output).resolve().parent.is_dir():
        raise CLIError(f"cannot write {args.output!r}: its folder does not exist")
    from .draw import render_model_file

    render_model_file(args.model, args.output)
    print(f"wrote {args.output}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .io import load_tree
    from .train import evaluate

    model = _load_model(args.model)
    trained = load_tree(args.model).get("meta")
    data = load_data(args.data, args.seed, args.target,
                     trained if isinstance(trained, dict) else None)
    X, y = data.test if args.split == "test" and data.test else (data.X, data.y)
    if args.split == "test" and data.test is None:
        X, y = split(data, args.val_split, args.seed)[2]
    try:
        scores = evaluate(model, _loss_name(data), X, _targets(data, y), metrics=_metrics(data))
    except Exception as exc:  # a model built for other data: say so in the user's terms
        raise CLIError(f"model {args.model!r} does not fit {data.name} ({X.shape[1]} features, "
                       f"{data.n_outputs} outputs): {exc}") from None
    print(f"{args.split} ({len(X)} samples): "
          + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    return 0


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=30, help="passes over the training data")
    p.add_argument("--seed", type=int, default=0, help="seed for data, weights and batches")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    p.add_argument("--trace", action="store_true",
                   help="replay recorded steps with autograd.trace (faster at small batch)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="netgrad", description="Train, draw and evaluate netgrad networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser("demo", help="train the seed's input-15-10 network on real digits",
                          description="Train the seed's 64-15-10 network (sigmoid hidden layer, "
                          "softmax output) on the 8x8 digits and write pictures and the model.")
    demo.add_argument("--out", default="netgrad-demo", help="output folder (default netgrad-demo)")
    _add_common(demo)
    demo.set_defaults(run=cmd_demo, epochs=30)

    train = sub.add_parser("train", help="train an MLP on a dataset",
                           description="Train an MLP and write model, loss curve and pictures.")
    train.add_argument("--data", required=True, help=DATA_HELP)
    train.add_argument("--target", help="target column name for csv:PATH")
    train.add_argument("--layers", help="sizes in,hidden...,out (default features,15,outputs)")
    train.add_argument("--activation", default="sigmoid", help="hidden activation (sigmoid)")
    train.add_argument("--optimizer", default="adam", help=f"one of {', '.join(OPTIMIZERS)}")
    train.add_argument("--lr", type=float, default=0.01, help="learning rate")
    train.add_argument("--batch-size", type=int, default=32, help="mini-batch size")
    train.add_argument("--val-split", type=float, default=0.15, help="validation fraction")
    train.add_argument("--out", default="netgrad-run", help="output folder")
    _add_common(train)
    train.set_defaults(run=cmd_train)

    draw = sub.add_parser("draw", help="draw a saved model as a network picture",
                          description="Render a saved model (.npz) as an SVG network picture.")
    draw.add_argument("model", help="model file written by train/demo (.npz)")
    draw.add_argument("-o", "--output", default="network.svg", help="SVG file to write")
    draw.set_defaults(run=cmd_draw)

    ev = sub.add_parser("evaluate", help="score a saved model on a dataset",
                        description="Loss and accuracy of a saved model on a dataset's test "
                        "split (the same split train made with the same --seed) or all of it.")
    ev.add_argument("model", help="model file written by train/demo (.npz)")
    ev.add_argument("--data", required=True, help=DATA_HELP)
    ev.add_argument("--target", help="target column name for csv:PATH")
    ev.add_argument("--split", choices=("test", "all"), default="test", help="which samples")
    ev.add_argument("--val-split", type=float, default=0.15, help="as given to train")
    ev.add_argument("--seed", type=int, default=0, help="as given to train")
    ev.set_defaults(run=cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 usage error, 1 failure)."""
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "run", None) is None:
            build_parser().print_help()
            return 2
        if getattr(args, "epochs", 1) < 1 or getattr(args, "batch_size", 1) < 1:
            raise CLIError("--epochs and --batch-size must be at least 1")
        return args.run(args)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except CLIError as exc:
        print(f"netgrad: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, ImportError, FloatingPointError, RuntimeError) as exc:
        # expected failures (missing files, bad data, no Graphviz, diverged training)
        message = str(exc) or type(exc).__name__
        print(f"netgrad: error: {message.splitlines()[0]}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("NETGRAD_DEBUG"):
            raise
        print(f"netgrad: error: internal error ({type(exc).__name__}: {exc}); set "
              "NETGRAD_DEBUG=1 to see the traceback", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("netgrad: interrupted", file=sys.stderr)
        return 130
