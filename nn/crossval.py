"""k-fold cross-validation of a training recipe, folds optionally in parallel through joblib.

Each fold builds a fresh model and optimizer, trains on k-1 folds with a fold-specific seed and
scores on the held-out fold, so the scores do not depend on ``n_jobs`` or on the order folds
finish. ``n_jobs`` > 1 needs joblib (``pip install netgrad[parallel]``).

Running folds on a cluster: folds go through ``joblib.Parallel``, so any joblib backend takes
them. With Dask::

    from dask.distributed import Client
    import joblib
    client = Client("scheduler-address:8786")
    with joblib.parallel_backend("dask"):
        scores = cross_validate(make_model, X, y, k=5, n_jobs=-1, ...)

With Ray: ``from ray.util.joblib import register_ray; register_ray()`` and
``joblib.parallel_backend("ray")``. `make_model` / `make_optimizer` / `loss` must be picklable by
cloudpickle (module-level functions or lambdas are fine).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import KFold, check_arrays

__all__ = ["CrossValidation", "cross_validate"]


@dataclass
class CrossValidation:
    """Per-fold scores (``scores["val_loss"]``, ``scores["val_accuracy"]`` ...) and histories."""

    scores: dict[str, list[float]]
    histories: list = field(default_factory=list)

    def mean(self) -> dict[str, float]:
        return {k: float(np.mean(v)) for k, v in self.scores.items()}

    def std(self) -> dict[str, float]:
        return {k: float(np.std(v)) for k, v in self.scores.items()}


def _run_fold(fold: int, train_idx: np.ndarray, val_idx: np.ndarray, X: np.ndarray,
              y: np.ndarray, make_model: Callable, make_optimizer: Callable, loss: Any,
              scaler: Callable | None, fit_kwargs: dict) -> tuple[dict, Any]:
    from .train import evaluate, fit

    X_tr, X_va = X[train_idx], X[val_idx]
    if scaler is not None:  # fitted on the training folds only
        s = scaler().fit(X_tr)
        X_tr, X_va = s.transform(X_tr), s.transform(X_va)
    model = make_model()
    history = fit(model, loss, make_optimizer(model.parameters()), (X_tr, y[train_idx]),
                  progress=False, **fit_kwargs)
    scores = evaluate(model, loss, X_va, y[val_idx], metrics=fit_kwargs.get("metrics"))
    return {f"val_{k}": v for k, v in scores.items()}, history


def cross_validate(make_model: Callable[[], Any], X: Any, y: Any, k: int = 5, *,
                   loss: str | Callable, make_optimizer: Callable[[list], Any],
                   epochs: int = 10, batch_size: int = 32,
                   metrics: Sequence[str | Callable] | None = None, seed: int = 0,
                   n_jobs: int = 1, scaler: Callable | None = None) -> CrossValidation:
    """Train and score `k` times, each fold held out once; returns per-fold scores.

    ``make_model()`` builds a fresh model, ``make_optimizer(params)`` its optimizer; `scaler` is
    a class like `StandardScaler`, fitted per fold on the training part. Fold ``i`` uses batch
    seed ``seed + i``; ``n_jobs`` only changes where folds run, never the scores.
    """
    X, y = check_arrays(X, y, "cross_validate")
    folds = list(KFold(k, shuffle=True, seed=seed).split(X))
    fit_kwargs = {"epochs": epochs, "batch_size": batch_size,
                  "metrics": None if metrics is None else tuple(metrics)}
    jobs = [(i, tr, va, X, y, make_model, make_optimizer, loss, scaler,
             {**fit_kwargs, "seed": seed + i}) for i, (tr, va) in enumerate(folds)]
    if n_jobs == 1:
        results = [_run_fold(*job) for job in jobs]
    else:
        try:
            from joblib import Parallel, delayed
        except ImportError:
            raise ImportError("cross_validate(n_jobs != 1) needs joblib: "
                              "pip install netgrad[parallel]") from None
        results = Parallel(n_jobs=n_jobs)(delayed(_run_fold)(*job) for job in jobs)
    scores: dict[str, list[float]] = {}
    for fold_scores, _ in results:
        for key, value in fold_scores.items():
            scores.setdefault(key, []).append(value)
    return CrossValidation(scores, [h for _, h in results])
