"""The training loop: `fit` (or `Trainer`), `evaluate`, `predict`, `predict_proba`.

One step = forward on a mini-batch, scalar loss, backward, gradient norms per parameter, NaN
check, optimizer step, all inside ``autograd.gc_paused()``. Everything measured goes into a
`History` (plain data). When the loss, a gradient or the updated weights become nan/inf, the
step is undone, the step is replayed under ``autograd.detect_anomaly()`` to name the first op
that produced the bad numbers, and `TrainingDiverged` is raised naming epoch, step and op; the
model keeps its last good weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import AnomalyError, Value, detect_anomaly, gc_paused, no_grad
from autograd import trace as trace_step

from .callbacks import Callback, LRSchedulerCallback, ModelCheckpoint
from .checks import integer_at_least
from .data import DataLoader, check_arrays
from .history import History, LivePlot
from .metrics import resolve_metrics
from .progress import Progress

__all__ = ["Trainer", "TrainingDiverged", "evaluate", "fit", "predict", "predict_proba",
           "resolve_loss"]


class TrainingDiverged(FloatingPointError):
    """The loss, a gradient or the weights became nan/inf; names epoch, step and op."""

    def __init__(self, message: str, epoch: int, step: int, op: str, history: History) -> None:
        super().__init__(message)
        self.epoch, self.step, self.op, self.history = epoch, step, op, history


def resolve_loss(loss: str | Callable) -> Callable:
    """A loss function ``(pred, target) -> scalar Value`` from a name (`nn.losses`) or callable."""
    if callable(loss):
        return loss
    from .losses import get_loss

    return get_loss(loss)


def _forward(model: Any, X: np.ndarray) -> Value:
    return model(Value(X, requires_grad=False))


def _outputs(model: Any, X: Any, batch_size: int | None) -> np.ndarray:
    X = check_arrays(X, None, "predict")[0]
    step = batch_size or len(X)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            parts = [np.asarray(_forward(model, X[i:i + step]).data)
                     for i in range(0, len(X), step)]
    finally:
        if was_training:
            model.train()
    return np.concatenate([np.atleast_1d(p) for p in parts])


def predict(model: Any, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The model's raw outputs on X (eval mode, no graph), as an array."""
    return _outputs(model, X, batch_size)


def predict_proba(model: Any, X: Any, from_logits: bool = True,
                  batch_size: int | None = None) -> np.ndarray:
    """Class probabilities (N, C): softmax of (N, C) logits; for one output per sample the
    sigmoid p gives columns ``[1 - p, p]``. ``from_logits=False`` takes outputs as probabilities."""
    out = _outputs(model, X, batch_size)
    if out.ndim >= 2 and out.shape[-1] > 1:
        if not from_logits:
            return out
        z = np.exp(out - out.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)
    p = out.reshape(len(out))
    if from_logits:
        p = 1.0 / (1.0 + np.exp(-p))
    return np.stack([1.0 - p, p], axis=-1)


def evaluate(model: Any, loss: str | Callable, X: Any, y: Any,
             metrics: Sequence[str | Callable] | None = None,
             batch_size: int | None = None) -> dict[str, float]:
    """``{"loss": ..., metric: ...}`` of the model on (X, y) in eval mode."""
    X, y = check_arrays(X, y, "evaluate")
    loss_fn = resolve_loss(loss)
    return _scores(model, loss_fn, resolve_metrics(metrics, loss_fn), X, y, batch_size)


def _scores(model: Any, loss_fn: Callable, metrics: dict[str, Callable], X: np.ndarray,
            y: np.ndarray, batch_size: int | None = None) -> dict[str, float]:
    """`evaluate` with the loss and metrics already resolved."""
    out = _outputs(model, X, batch_size)
    with no_grad():
        result = {"loss": float(loss_fn(Value(out, requires_grad=False), y).data)}
    result.update({name: f(out, y) for name, f in metrics.items()})
    return result


# The two checks below run for every parameter on every step: callers silence NumPy's
# overflow/invalid warnings once around all of them (np.errstate costs more than a dot).
def _norm(g: Any) -> float:
    """Euclidean norm of a gradient (0 for None); inf only if the gradient holds nan/inf."""
    if g is None:
        return 0.0
    flat = np.ravel(g)
    norm = math.sqrt(float(np.dot(flat, flat))) if flat.size else 0.0
    if math.isfinite(norm) or not np.all(np.isfinite(g)):
        return norm
    scale = float(np.max(np.abs(g)))  # finite but huge: rescale to avoid overflow
    return scale * float(np.linalg.norm(np.asarray(g) / scale))


def _finite(x: Any) -> bool:
    """True when x holds no nan/inf (a sum is cheaper than isfinite; overflow re-checks)."""
    return math.isfinite(float(np.add.reduce(x, axis=None))) or bool(np.all(np.isfinite(x)))


def _as_loader(data: Any, batch_size: int, seed: Any, steps_per_epoch: int | None,
               shuffle: bool, what: str) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"fit: {what} must be an (X, y) pair or a DataLoader, got "
                        f"{type(data).__name__}")
    return DataLoader(data[0], data[1], batch_size=batch_size, shuffle=shuffle, seed=seed,
                      steps_per_epoch=steps_per_epoch)


class Trainer:
    """Holds one run: model, loss, optimizer, loaders, callbacks and the `History`."""

    def __init__(self, model: Any, loss: str | Callable, optimizer: Any, train: Any,
                 val: Any = None, *, batch_size: int = 32,
                 metrics: Sequence[str | Callable] | None = None,
                 callbacks: Sequence[Callback] = (), schedulers: Sequence[Any] = (),
                 progress: bool = True, seed: int | None = None,
                 steps_per_epoch: int | None = None, live_plot: bool = False,
                 checkpoint: str | None = None, trace: bool = False) -> None:
        self.model, self.optimizer = model, optimizer
        # the step's loss and predictions, replayed by autograd.trace with trace=True
        self.step_loss = trace_step(self._loss) if trace else self._loss
        self.loss_fn = resolve_loss(loss)
        self.metrics = resolve_metrics(metrics, self.loss_fn)
        if seed is None:  # draw one and record it, so the run can be repeated from its History
            seed = int(np.random.SeedSequence().entropy % 2**32)
        self.loader = _as_loader(train, batch_size, seed, steps_per_epoch, True, "train")
        self.val = None
        if val is not None:
            if isinstance(val, DataLoader):
                val = (val.X, val.y)
            if not isinstance(val, (tuple, list)) or len(val) != 2:
                raise TypeError(f"fit: val must be an (X, y) pair or a DataLoader, got "
                                f"{type(val).__name__}")
            self.val = check_arrays(val[0], val[1], "fit(val=...)")
        # schedulers step before any checkpoint is written, so a resumed run matches
        self.callbacks = [*(LRSchedulerCallback(s) for s in schedulers), *callbacks]
        if checkpoint is not None:
            self.callbacks.append(ModelCheckpoint(checkpoint))
        self.schedulers = list(schedulers)
        self.progress, self.live_plot = progress, LivePlot() if live_plot else None
        self.history = History({"seed": self.loader.seed, "batch_size": self.loader.batch_size,
                                "optimizer": type(optimizer).__name__,
                                "model": type(model).__name__})
        self.epoch, self.stop_training = 0, False
        self.named_params = list(model.named_parameters())  # refreshed each epoch
        self._buffers: list[Any] = []  # the parameters before the current update

    # ----- one step ----------------------------------------------------------------------------
    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _loss(self, Xb: np.ndarray, yb: np.ndarray) -> tuple[Value, Value]:
        """The batch's loss and predictions (in the order `autograd.trace` replays:
        the result first)."""
        pred = _forward(self.model, Xb)
        return self.loss_fn(pred, yb), pred

    def _diverged(self, step: int, what: str, Xb, yb, lr: float) -> TrainingDiverged:
        """Replay the step under anomaly detection to name the op; build the error."""
        self.optimizer.zero_grad()
        op = "no single op (the numbers overflowed in the optimizer update)"
        finite = np.isfinite(np.asarray(Xb, dtype=float)).reshape(len(Xb), -1).all(axis=1)
        if not finite.all():  # no op produced these: they came with the data
            rows = np.asarray(self.loader.last_indices)[~finite][:5].tolist()
            op = f"none, the input data holds nan/inf (rows {rows} of X)"
        else:
            try:
                with detect_anomaly():
                    self._loss(Xb, yb)[0].backward()
            except AnomalyError as exc:
                op = str(exc)
        self.optimizer.zero_grad()
        self.history.record_step(float("nan"), lr, self.epoch, self.loader.last_indices)
        self.history.meta["diverged"] = {"epoch": self.epoch + 1, "step": step + 1,
                                         "what": what, "op": op}
        message = (f"training diverged at epoch {self.epoch + 1}, step {step + 1}: {what} "
                   f"became nan/inf (lr={lr:.3g}). First op producing it: {op}. The model "
                   "keeps its last good weights" + (" (and the optimizer starts its momentum "
                   "and moment estimates afresh)" if what == "the updated weights" else "") +
                   ". Try a smaller learning rate (nn.lr_find) or gradient clipping; check "
                   "the data for nan/inf.")
        return TrainingDiverged(message, self.epoch + 1, step + 1, op, self.history)

    def _snapshot(self, params: list[Value]) -> list[Any]:
        """Copies of the parameters' data, restored if an update makes them nan/inf. The
        copies go into buffers kept from step to step: a fresh copy of every parameter on
        every step would cost the allocator as much as the copying."""
        buffers = self._buffers
        if len(buffers) != len(params):
            buffers[:] = [None] * len(params)
        for i, p in enumerate(params):
            data, buffer = p.data, buffers[i]
            if type(data) is not np.ndarray:
                buffers[i] = float(data)
            elif type(buffer) is np.ndarray and buffer.shape == data.shape \
                    and buffer.dtype == data.dtype:
                np.copyto(buffer, data)
            else:
                buffers[i] = data.copy()
        return buffers

    @gc_paused()  # graphs are acyclic (freed by refcounts): collections would only re-scan them
    def train_step(self, step: int, Xb: np.ndarray, yb: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward, backward, checks and update on one batch, with the cyclic collector
        paused for the step (it runs as before between steps)."""
        lr = self._lr()
        self.optimizer.zero_grad()
        loss, pred = self.step_loss(Xb, yb)
        loss_value = float(loss.data)
        if not np.isfinite(loss_value):
            raise self._diverged(step, "the loss", Xb, yb, lr)
        loss.backward()
        with np.errstate(over="ignore", invalid="ignore"):
            norms = {name: _norm(p.grad) for name, p in self.named_params}
        bad = [n for n, v in norms.items() if not math.isfinite(v)]
        if bad:
            raise self._diverged(step, f"the gradient of {bad[0]}", Xb, yb, lr)
        params = [p for _, p in self.named_params]
        snapshot = self._snapshot(params)
        self.optimizer.step()
        with np.errstate(over="ignore", invalid="ignore"):
            finite = all(_finite(p.data) for p in params)
        if not finite:
            for p, old in zip(params, snapshot):
                if type(old) is float:
                    p.data = old
                else:
                    np.copyto(p.data, old)  # in place: the parameter keeps its array
            state = getattr(self.optimizer, "state", None)
            if isinstance(state, dict):  # momentum/moments took in the overflowing step:
                state.clear()            # kept, they would make the next step diverge too
            raise self._diverged(step, "the updated weights", Xb, yb, lr)
        self.history.record_step(loss_value, lr, self.epoch, self.loader.last_indices, norms)
        return loss_value, np.asarray(pred.data)

    # ----- epochs ------------------------------------------------------------------------------
    def run_epoch(self, bar: Progress) -> dict[str, float]:
        if hasattr(self.model, "train"):
            self.model.train()
        self.named_params = list(self.model.named_parameters())
        total, count, metric_sums = 0.0, 0, dict.fromkeys(self.metrics, 0.0)
        for step, (Xb, yb) in enumerate(self.loader):
            loss_value, out = self.train_step(step, Xb, yb)
            total, count = total + loss_value * len(Xb), count + len(Xb)
            for name, f in self.metrics.items():
                metric_sums[name] += f(out, yb) * len(Xb)
            bar.step(loss_value)
        logs = {"loss": total / count, **{k: v / count for k, v in metric_sums.items()}}
        if self.val is not None:
            scores = _scores(self.model, self.loss_fn, self.metrics, *self.val)
            logs.update({f"val_{k}": v for k, v in scores.items()})
        from .diagnose import dead_relu_fraction

        dead = dead_relu_fraction(self.model, self.loader.X)
        extra = {} if dead is None else {"dead_relu": dead}
        logs["lr"] = self._lr()
        self.history.record_epoch(**logs, **extra)
        return logs

    def run(self, epochs: int = 10, resume_from: str | None = None) -> History:
        """Train until `epochs` epochs are done (counting those in a resumed checkpoint)."""
        integer_at_least(epochs, "fit: epochs")
        if resume_from is not None:
            from .checkpoint import load_checkpoint

            load_checkpoint(resume_from, self)
        self.stop_training = False
        bar = Progress(epochs, len(self.loader), self.progress)
        for cb in self.callbacks:
            cb.on_train_begin(self)
        try:
            while self.epoch < epochs and not self.stop_training:
                bar.start_epoch(self.epoch)
                logs = self.run_epoch(bar)
                bar.end_epoch(self.epoch, {k: v for k, v in logs.items() if k != "lr"})
                self.epoch += 1  # callbacks (checkpoints) see the finished-epoch count
                for cb in self.callbacks:
                    cb.on_epoch_end(self, self.epoch - 1, logs)
                if self.live_plot is not None:
                    self.live_plot.update(self.history)
        finally:
            bar.close()
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history


def fit(model: Any, loss: str | Callable, optimizer: Any, train: Any, val: Any = None,
        epochs: int = 10, batch_size: int = 32,
        metrics: Sequence[str | Callable] | None = None, callbacks: Sequence[Callback] = (),
        progress: bool = True, *, seed: int | None = None, steps_per_epoch: int | None = None,
        schedulers: Sequence[Any] = (), diagnose: bool = False, live_plot: bool = False,
        checkpoint: str | None = None, resume_from: str | None = None,
        trace: bool = False) -> History:
    """Train `model` on ``train = (X, y)`` (or a DataLoader) and return its `History`.

    `loss` is a name from `nn.losses` or ``f(pred, target) -> scalar Value``; `val` an (X, y)
    pair scored after each epoch (``val_loss``, ``val_<metric>``); `metrics` default to accuracy,
    none for the regression losses (mse, mae). `seed` fixes the batch order.
    `schedulers` are stepped once per epoch. `checkpoint` writes a resumable checkpoint after
    each epoch; `resume_from` continues one bit for bit. `diagnose=True` prints the findings.
    `trace=True` replays each batch shape's recorded step with `autograd.trace` (faster at
    small batch; steps it cannot replay safely, e.g. with Dropout's masks, run eagerly with a
    warning).
    Raises `TrainingDiverged` (model left at its last good weights) when numbers become nan/inf.
    """
    trainer = Trainer(model, loss, optimizer, train, val, batch_size=batch_size, metrics=metrics,
                      callbacks=callbacks, schedulers=schedulers, progress=progress, seed=seed,
                      steps_per_epoch=steps_per_epoch, live_plot=live_plot,
                      checkpoint=checkpoint, trace=trace)
    history = trainer.run(epochs, resume_from=resume_from)
    if diagnose:
        history.diagnose(verbose=True)
    return history
