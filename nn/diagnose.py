"""Loss-curve and gradient diagnosis of a `History`, in plain language with the evidence.

Behaviours named (the seed table's): ``oscillating`` (learning rate too big), ``diverging``,
``slow`` (learning rate too small), ``plateau`` (underfitting: try a bigger model), ``nan`` and
``sharp_increase`` (anomalous values / exploding gradients), ``overfitting`` (validation loss
rising while training loss falls), and gradient health: ``vanishing_gradients`` (early layers get
tiny gradients, e.g. deep sigmoid nets), ``exploding_gradients``, ``dead_relu`` (hidden ReLU units
that output 0 for every training sample, measured by `fit` after each epoch for MLP-like models).
``healthy`` when nothing is wrong (naming only the checks that ran), ``too_short`` when the
run has too few epochs for the curve rules. The curve rules work on the per-epoch mean
training loss; the starting point is the first step's loss (the untrained model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Finding", "dead_relu_fraction", "diagnose"]

LR_FIND = "nn.lr_find(model, loss, optimizer_factory, (X, y)) suggests a learning rate"


@dataclass
class Finding:
    """One diagnosed behaviour: `kind`, a plain-language `message`, the numbers behind it
    (`evidence`) and what to try (`suggestion`)."""

    kind: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    suggestion: str = ""

    def __str__(self) -> str:
        numbers = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in self.evidence.items())
        text = f"[{self.kind}] {self.message}"
        if numbers:
            text += f"\n    evidence: {numbers}"
        if self.suggestion:
            text += f"\n    try: {self.suggestion}"
        return text


def dead_relu_fraction(model: Any, X: np.ndarray, max_rows: int = 2048) -> float | None:
    """Fraction of hidden ReLU units that are 0 for all rows of X; None unless `model` is an
    MLP-like model (``.layers`` of Linear with ``.weight``/``.bias``, ``activation == "relu"``)."""
    activation = getattr(model, "activation", None)
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    layers = getattr(model, "layers", None)
    if name != "relu" or not layers or len(layers) < 2:
        return None
    if not all(hasattr(layer, "weight") and hasattr(layer, "bias") for layer in layers):
        return None
    h = np.asarray(X[:max_rows], dtype=np.float64)
    dead, units = 0, 0
    for layer in layers[:-1]:
        bias = 0.0 if layer.bias is None else np.asarray(layer.bias.data)  # Linear(bias=False)
        h = np.maximum(h @ np.asarray(layer.weight.data).T + bias, 0.0)
        dead += int(np.sum(np.all(h <= 0.0, axis=0)))
        units += h.shape[-1]
    return dead / units if units else None


MIN_EPOCHS = 4  # the curve rules compare halves and the last three epochs


def _curve_findings(history: Any) -> list[Finding]:
    c = np.asarray(history.epoch["loss"], dtype=np.float64)
    steps = np.asarray(history.step["loss"], dtype=np.float64)
    if len(c) < MIN_EPOCHS or not np.all(np.isfinite(c)) or len(steps) == 0:
        return []
    start = float(steps[: max(1, min(3, len(steps)))].mean())
    end, mid = float(c[-3:].mean()), len(c) // 2
    diffs = np.diff(c)
    ups = float(np.mean(diffs > 0))
    variation, net = float(np.abs(diffs).sum()), float(c[0] - c[-1])
    scale = max(abs(start), 1e-12)
    first_drop, second_drop = start - float(c[mid]), float(c[mid] - c[-1])
    ev: dict[str, Any] = {"start_loss": start, "final_loss": float(c[-1]), "epochs": len(c)}
    lr = history.step["lr"][-1] if history.step["lr"] else math.nan
    found = []
    if end > 1.2 * start:
        found.append(Finding(
            "diverging", "The training loss ends higher than it started: the steps overshoot.",
            {**ev, "ratio_end_to_start": end / scale, "lr": lr},
            f"lower the learning rate 10x; {LR_FIND}."))
    swing = variation / len(diffs) / max(float(np.mean(np.abs(c))), 1e-12)
    if ups >= 0.3 and variation > 3.0 * abs(net) and swing > 0.1:
        found.append(Finding(
            "oscillating", "The training loss goes up and down instead of settling: the "
            "learning rate is probably too big.",
            {**ev, "fraction_of_epochs_up": ups, "mean_swing_per_epoch": swing,
             "net_drop": net, "lr": lr},
            f"lower the learning rate 3-10x; {LR_FIND}."))
    if found:
        return found
    steady = ups <= 0.25 and second_drop > 0 and second_drop >= 0.3 * first_drop
    if steady and c[-1] > 0.5 * start:
        found.append(Finding(
            "slow", "The loss falls steadily but slowly and is still falling at the end: the "
            "learning rate is probably too small (or train longer).",
            {**ev, "drop_first_half": first_drop, "drop_second_half": second_drop, "lr": lr},
            f"raise the learning rate 3-10x or train for more epochs; {LR_FIND}."))
        return found
    acc = history.epoch.get("accuracy")
    final_acc = float(acc[-1]) if acc and np.isfinite(acc[-1]) else None
    flat = abs(second_drop) < 0.05 * scale
    high = c[-1] > 0.5 * start or (final_acc is not None and final_acc < 0.75)
    if flat and high:
        extra = {} if final_acc is None else {"train_accuracy": final_acc}
        found.append(Finding(
            "plateau", "The training loss stopped improving at a high value: the model is "
            "underfitting (too small for the task, or stuck).",
            {**ev, "drop_second_half": second_drop, **extra},
            "use a bigger model (more units/layers), better features, or a different "
            "learning rate / optimizer."))
    return found


def _nan_findings(history: Any) -> list[Finding]:
    info = history.meta.get("diverged")
    steps = np.asarray(history.step["loss"], dtype=np.float64)
    if info is None and np.all(np.isfinite(steps)):
        return []
    info = info or {"step_index": int(np.argmax(~np.isfinite(steps)))}
    return [Finding(
        "nan", "The loss or gradients became nan/inf (anomalous values or exploding "
        "gradients); training stopped at the last good weights.", dict(info),
        f"lower the learning rate, clip gradients, check inputs for nan/inf; {LR_FIND}.")]


def _spike_findings(history: Any) -> list[Finding]:
    """A step whose loss jumps above 10x the median of the 10 steps before it (and by more
    than a tenth of the starting loss, so tiny losses near zero do not count)."""
    steps = np.asarray(history.step["loss"], dtype=np.float64)
    if len(steps) == 0:
        return []
    start = abs(float(steps[0]))
    for i in range(5, len(steps)):
        before = float(np.median(steps[max(0, i - 10):i]))
        if steps[i] > 10.0 * before and steps[i] - before > 0.1 * start:
            return [Finding(
                "sharp_increase", "The loss jumped suddenly: anomalous values in a batch or "
                "exploding gradients.",
                {"step": i + 1, "epoch": int(history.step["epoch"][i]) + 1,
                 "loss": float(steps[i]), "median_before": before,
                 "batch_indices": history.step["batch"][i][:10]},
                "inspect that batch for outliers, lower the learning rate or clip gradients; "
                "run under autograd.detect_anomaly() to find the op.")]
    return []


def _overfitting(history: Any) -> list[Finding]:
    val = np.asarray(history.epoch.get("val_loss", []), dtype=np.float64)
    train = np.asarray(history.epoch["loss"], dtype=np.float64)
    if len(val) < 5 or not np.all(np.isfinite(val)):
        return []
    best = int(np.argmin(val))
    rise = float(val[-1] - val[best])
    train_drop = float(train[best] - train[-1])
    if best < len(val) - 2 and rise > 0.1 * abs(val[best]) + 1e-3 \
            and train_drop > 0.1 * abs(train[best]):
        return [Finding(
            "overfitting", "Validation loss rises while training loss keeps falling: the model "
            "memorises the training set.",
            {"best_epoch": best + 1, "best_val_loss": float(val[best]),
             "final_val_loss": float(val[-1]), "final_train_loss": float(train[-1])},
            "stop earlier (EarlyStopping restores the best epoch), get more data, use a "
            "smaller model, dropout or weight_decay.")]
    return []


def _finite_median(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else math.nan


def _gradient_findings(history: Any) -> list[Finding]:
    found = []
    dead = history.epoch.get("dead_relu")
    if dead and np.isfinite(dead[-1]) and dead[-1] >= 0.3:
        found.append(Finding(
            "dead_relu", f"{dead[-1]:.0%} of the hidden ReLU units output 0 for every "
            "training sample: they get no gradient and never recover.",
            {"dead_fraction": float(dead[-1])},
            "lower the learning rate, use leaky_relu, or re-initialise."))
    norms = {k: np.asarray(v, dtype=np.float64) for k, v in history.grad_norms.items()}
    if not norms:
        return found
    weights = [k for k in norms if "weight" in k] or list(norms)
    tail = max(1, len(norms[weights[0]]) // 4)
    typical = {k: _finite_median(norms[k][-tail:]) for k in weights}
    if len(weights) >= 3:
        first, rest = typical[weights[0]], max(typical[k] for k in weights[1:])
        if rest > 0 and first / rest < 1e-3:
            found.append(Finding(
                "vanishing_gradients", f"The first layer ({weights[0]}) gets gradients "
                f"{rest / max(first, 1e-300):.3g}x smaller than later layers: it barely learns.",
                {"first_layer": weights[0], "first_grad_norm": first,
                 "largest_later_grad_norm": rest, "layers": len(weights)},
                "use relu/tanh instead of sigmoid in hidden layers, fewer layers, or a "
                "careful initialisation."))
    with np.errstate(over="ignore"):
        total = np.sqrt(sum(np.nan_to_num(v) ** 2 for v in norms.values()))
    quarter = max(1, len(total) // 4)
    early, late = float(np.median(total[:quarter])), float(np.median(total[-quarter:]))
    peak = float(np.max(total))
    if peak > 1e4 or (late > 100.0 * max(early, 1e-12) and late > 1.0):
        found.append(Finding(
            "exploding_gradients", "Gradient norms grow very large during training.",
            {"early_grad_norm": early, "late_grad_norm": late, "max_grad_norm": peak},
            f"lower the learning rate, clip gradients, normalise inputs; {LR_FIND}."))
    return found


def _nothing_wrong(history: Any) -> Finding:
    """No rule fired: say which checks ran (a 3-epoch run has no curve to judge)."""
    epochs = history.n_epochs
    final = {"final_loss": history.epoch["loss"][-1] if epochs else math.nan}
    if epochs < MIN_EPOCHS:
        return Finding("too_short", f"{epochs} epoch(s) are too few to judge the loss curve "
                       f"(the checks need {MIN_EPOCHS} or more).", {"epochs": epochs, **final},
                       f"train for at least {MIN_EPOCHS} epochs to diagnose the run.")
    checked = ["The loss falls and settles"]
    if "val_loss" in history.epoch:
        checked.append("validation follows training")
    if history.grad_norms:
        checked.append("gradients look healthy")
    return Finding("healthy", "; ".join(checked) + ".", final)


def diagnose(history: Any, verbose: bool = True) -> list[Finding]:
    """Findings for `history` (a `History`); prints them when `verbose`."""
    findings = _nan_findings(history)
    if not findings:
        findings = _spike_findings(history) + _curve_findings(history) + _overfitting(history)
    findings += _gradient_findings(history)
    if not findings:
        findings = [_nothing_wrong(history)]
    if verbose:
        print("\n".join(str(f) for f in findings))
    return findings
