"""`History`: the record of a training run as plain data (lists of numbers and strings).

Per step: ``loss``, ``lr``, ``epoch``, the sample indices of the batch and one gradient norm per
parameter name. Per epoch: ``loss`` (mean train loss) and whatever `fit` measured (``val_loss``,
``accuracy``, ``val_accuracy``, ``lr``, ``dead_relu`` ...). ``meta`` holds the seed and settings.
It saves to JSON or NPZ (no pickle; atomic temp file + os.replace) and loads back equal, so a run
can be inspected or re-plotted later.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .io import atomic_write

__all__ = ["History", "LivePlot"]


def _plain(value: Any) -> Any:
    """JSON for NumPy scalars and arrays in ``meta`` (e.g. a seed given as ``np.int64``)."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"History: a {type(value).__name__} in meta cannot be saved as JSON")


def _pad(column: list, length: int) -> None:
    column.extend([math.nan] * (length - len(column)))


class History:
    """Per-step and per-epoch records of one run (see module docstring for the keys)."""

    def __init__(self, meta: dict | None = None) -> None:
        self.meta: dict = dict(meta or {})
        self.step: dict[str, list] = {"loss": [], "lr": [], "epoch": [], "batch": []}
        self.grad_norms: dict[str, list[float]] = {}
        self.epoch: dict[str, list[float]] = {"loss": []}

    # ----- recording -------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        return len(self.step["loss"])

    @property
    def n_epochs(self) -> int:
        return len(self.epoch["loss"])

    def record_step(self, loss: float, lr: float, epoch: int, batch: Any = (),
                    grad_norms: dict[str, float] | None = None) -> None:
        """Append one optimisation step; unseen gradient names are back-filled with nan."""
        n = self.n_steps
        self.step["loss"].append(float(loss))
        self.step["lr"].append(float(lr))
        self.step["epoch"].append(int(epoch))
        self.step["batch"].append(np.asarray(batch, dtype=np.int64).ravel().tolist())
        for name, value in (grad_norms or {}).items():
            column = self.grad_norms.setdefault(name, [])
            _pad(column, n)
            column.append(float(value))
        for column in self.grad_norms.values():
            _pad(column, n + 1)

    def record_epoch(self, **values: float) -> None:
        """Append one epoch (``loss=`` required); missing columns are nan for that epoch."""
        if "loss" not in values:
            raise ValueError("History.record_epoch needs loss=<mean train loss>")
        n = self.n_epochs
        for key, value in values.items():
            column = self.epoch.setdefault(key, [])
            _pad(column, n)
            column.append(float(value))
        for column in self.epoch.values():
            _pad(column, n + 1)

    def truncate(self, n_epochs: int) -> None:
        """Forget epochs after `n_epochs` and their steps (used when resuming a checkpoint)."""
        keep = sum(1 for e in self.step["epoch"] if e < n_epochs)
        for column in [*self.step.values(), *self.grad_norms.values()]:
            del column[keep:]
        for column in self.epoch.values():
            del column[n_epochs:]

    def __repr__(self) -> str:
        cols = ", ".join(self.epoch)
        return f"History({self.n_epochs} epochs, {self.n_steps} steps; epoch columns: {cols})"

    # ----- plain data --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-able copy: ``{"meta", "step", "grad_norms", "epoch"}``."""
        return json.loads(json.dumps({"meta": self.meta, "step": self.step,
                                      "grad_norms": self.grad_norms, "epoch": self.epoch},
                                     default=_plain))

    @classmethod
    def from_dict(cls, data: dict) -> History:
        try:
            history = cls(data.get("meta"))
            history.step = {k: list(v) for k, v in data["step"].items()}
            history.grad_norms = {k: [float(x) for x in v] for k, v in data["grad_norms"].items()}
            history.epoch = {k: [float(x) for x in v] for k, v in data["epoch"].items()}
        except (KeyError, AttributeError, TypeError) as exc:
            raise ValueError(f"not a History record (missing or malformed {exc})") from None
        return history

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``.json`` or ``.npz`` (chosen by the suffix) atomically; returns the path."""
        path = Path(path)
        if path.suffix == ".json":
            text = json.dumps(self.to_dict(), allow_nan=True).encode()
            atomic_write(path, lambda f: f.write(text))
        elif path.suffix == ".npz":
            atomic_write(path, lambda f: np.savez(f, **self._arrays()))
        else:
            raise ValueError(f"History.save: use a .json or .npz path, got {str(path)!r}")
        return path

    def _arrays(self) -> dict[str, np.ndarray]:
        batches = self.step["batch"]
        arrays = {
            "meta": np.array(json.dumps(self.meta, default=_plain)),
            "step/loss": np.array(self.step["loss"], dtype=np.float64),
            "step/lr": np.array(self.step["lr"], dtype=np.float64),
            "step/epoch": np.array(self.step["epoch"], dtype=np.int64),
            "step/batch_sizes": np.array([len(b) for b in batches], dtype=np.int64),
            "step/batch": np.array([i for b in batches for i in b], dtype=np.int64),
        }
        arrays.update({f"grad_norms/{k}": np.array(v) for k, v in self.grad_norms.items()})
        arrays.update({f"epoch/{k}": np.array(v) for k, v in self.epoch.items()})
        return arrays

    @classmethod
    def load(cls, path: str | os.PathLike) -> History:
        """Read a file written by `save` (NPZ is opened with ``allow_pickle=False``)."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"History.load: no such file {str(path)!r}")
        if path.suffix == ".json":
            return cls.from_dict(json.loads(path.read_text()))
        if path.suffix != ".npz":
            raise ValueError(f"History.load: use a .json or .npz path, got {str(path)!r}")
        with np.load(path, allow_pickle=False) as z:
            if "meta" not in z.files or "step/loss" not in z.files:
                raise ValueError(f"History.load: {str(path)!r} is not a saved History")
            sizes = z["step/batch_sizes"]
            flat = z["step/batch"].tolist()
            starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
            data = {
                "meta": json.loads(str(z["meta"])),
                "step": {"loss": z["step/loss"].tolist(), "lr": z["step/lr"].tolist(),
                         "epoch": z["step/epoch"].tolist(),
                         "batch": [flat[a:b] for a, b in zip(starts[:-1], starts[1:])]},
                "grad_norms": {k[len("grad_norms/"):]: z[k].tolist()
                               for k in z.files if k.startswith("grad_norms/")},
                "epoch": {k[len("epoch/"):]: z[k].tolist()
                          for k in z.files if k.startswith("epoch/")},
            }
        return cls.from_dict(data)

    # ----- analysis and pictures -------------------------------------------------------------
    def diagnose(self, verbose: bool = True) -> list:
        """Findings about the loss curves and gradients (see `nn.diagnose.diagnose`)."""
        from .diagnose import diagnose

        return diagnose(self, verbose=verbose)

    def plot(self, path: str | os.PathLike | None = None, metrics: bool = True):
        """Train/validation loss per epoch (and metrics in a second panel); returns the Figure.

        Needs matplotlib (``pip install netgrad[plot]``); works headless; saves PNG at `path`.
        """
        plt = _pyplot()
        extra = [k for k in self.epoch if metrics and k not in ("loss", "val_loss", "lr")
                 and not k.startswith("dead")]
        fig, axes = plt.subplots(1, 2 if extra else 1, figsize=(10 if extra else 6, 4),
                                 squeeze=False)
        epochs = np.arange(1, self.n_epochs + 1)
        ax = axes[0, 0]
        ax.plot(epochs, self.epoch["loss"], "o-", label="train loss")
        if "val_loss" in self.epoch:
            ax.plot(epochs, self.epoch["val_loss"], "s-", label="validation loss")
        ax.set(xlabel="epoch", ylabel="loss", title="loss")
        ax.legend()
        if extra:
            for key in extra:
                axes[0, 1].plot(epochs, self.epoch[key], "o-", label=key)
            axes[0, 1].set(xlabel="epoch", title="metrics")
            axes[0, 1].legend()
        fig.tight_layout()
        if path is not None:
            atomic_write(Path(path), lambda f: fig.savefig(f, format="png"))
        return fig


def _pyplot():
    try:  # matplotlib falls back to the Agg backend by itself when there is no display
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install netgrad[plot]") from None

    return plt


class LivePlot:
    """Redraws the loss curves in place in Jupyter after each epoch; a no-op elsewhere.

    The figure is one display output updated through its handle, so the epoch lines and bars
    printed around it stay (``clear_output`` would erase them).
    """

    def __init__(self) -> None:
        self.enabled = _in_notebook()
        self._handle = None

    def update(self, history: History) -> None:
        if not self.enabled or history.n_epochs == 0:
            return
        from IPython.display import display

        plt = _pyplot()
        fig = history.plot()
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
