"""Data for training: mini-batches, splits, folds and feature scaling over NumPy arrays.

`DataLoader` yields ``(X_batch, y_batch)`` pairs; with ``shuffle=True`` every epoch is a fresh
permutation drawn from the loader's own seeded ``np.random.Generator``, so the same seed gives the
same batches and the loader's RNG state can be checkpointed (`state_dict`). ``steps_per_epoch``
makes "virtual epochs": a fixed number of batches per epoch independent of the dataset size,
continuing through the shuffled data and reshuffling when it runs out.
Scalers are fitted on the training split only and then applied to the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .checks import integer_at_least

__all__ = [
    "DataLoader", "KFold", "MinMaxScaler", "StandardScaler", "check_arrays", "train_test_split",
    "train_val_test_split",
]


def check_arrays(X: Any, y: Any = None, what: str = "data") -> tuple[np.ndarray, np.ndarray | None]:
    """Return X (and y) as arrays after checking they are non-empty and have equal lengths."""
    X = np.asarray(X)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"{what}: X is empty (shape {X.shape}); need at least one sample")
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(
            f"{what}: X has {len(X)} samples but y has shape {y.shape}; "
            "X and y need the same number of rows"
        )
    return X, y


def _check_seed(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


class DataLoader:
    """Mini-batches ``(X[idx], y[idx])`` of at most ``batch_size`` rows.

    Each epoch covers every sample exactly once (the last batch may be smaller unless
    ``drop_last``). ``steps_per_epoch`` fixes the number of batches per epoch instead (virtual
    epochs). ``last_indices`` holds the sample indices of the batch just yielded.
    """

    def __init__(
        self, X: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
        seed: int | np.random.Generator | None = None, drop_last: bool = False,
        steps_per_epoch: int | None = None,
    ) -> None:
        self.X, self.y = check_arrays(X, y, "DataLoader")
        batch_size = integer_at_least(batch_size, "DataLoader: batch_size")
        if steps_per_epoch is not None:
            steps_per_epoch = integer_at_least(steps_per_epoch, "DataLoader: steps_per_epoch")
        if drop_last and batch_size > len(self.X):
            raise ValueError(
                f"DataLoader: drop_last=True with batch_size={batch_size} > {len(self.X)} "
                "samples would yield no batches"
            )
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.steps_per_epoch = steps_per_epoch
        self.seed = seed if isinstance(seed, (int, np.integer)) else None
        self.rng = _check_seed(seed)
        self._order: np.ndarray = np.empty(0, dtype=np.int64)
        self._cursor = len(self.X)  # position in _order (at the end: draw a new order)
        self.last_indices: np.ndarray = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def _new_order(self) -> None:
        n = len(self.X)
        self._order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        self._cursor = 0

    def _next_indices(self) -> np.ndarray:
        n = len(self.X)
        if self._cursor >= n or (self.drop_last and self._cursor + self.batch_size > n):
            self._new_order()
        idx = self._order[self._cursor:self._cursor + self.batch_size]
        self._cursor += len(idx)
        return idx

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        if self.steps_per_epoch is None:
            self._cursor = len(self.X)  # a real epoch always starts a fresh pass
        for _ in range(len(self)):
            idx = self._next_indices()
            self.last_indices = idx
            yield self.X[idx], (None if self.y is None else self.y[idx])

    def state_dict(self) -> dict:
        """RNG state and position, so a resumed run draws the same batches (JSON-able)."""
        return {"rng": self.rng.bit_generator.state, "order": self._order.tolist(),
                "cursor": self._cursor}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self._order = np.asarray(state["order"], dtype=np.int64)
        self._cursor = int(state["cursor"])


def _split_sizes(n: int, fractions: tuple[float, ...], what: str) -> list[int]:
    for f in fractions:
        if not 0 < f < 1:
            raise ValueError(f"{what}: split fractions must be in (0, 1), got {fractions}")
    if sum(fractions) >= 1:
        raise ValueError(f"{what}: split fractions {fractions} leave nothing for training")
    sizes = [max(1, int(round(f * n))) for f in fractions]
    if n - sum(sizes) < 1:
        raise ValueError(f"{what}: {n} samples are too few for fractions {fractions}")
    return sizes


def _permute(n: int, rng: np.random.Generator, stratify: Any, sizes: list[int]) -> list[np.ndarray]:
    """Split a permutation of range(n) into parts of `sizes` plus the rest (first = rest)."""
    if stratify is None:
        order = rng.permutation(n)
        parts, start = [], 0
        for s in sizes:
            parts.append(order[start:start + s])
            start += s
        return [order[start:], *parts]
    labels = np.asarray(stratify)
    if len(labels) != n:
        raise ValueError(f"stratify has {len(labels)} labels for {n} samples")
    if labels.ndim > 1:  # one-hot rows: each distinct row is a class
        labels = np.unique(labels.reshape(n, -1), axis=0, return_inverse=True)[1].reshape(-1)
    # each class spread evenly over [0, 1) in random order; cutting the order sorted by that
    # position gives every part its exact size with each class's share within one sample
    position = np.empty(n)
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        position[members] = (np.arange(len(members)) + 0.5) / len(members)
    order = rng.permutation(n)  # random among equal positions
    order = order[np.argsort(position[order], kind="stable")]
    parts = np.split(order, np.cumsum(sizes))
    return [rng.permutation(part) for part in [parts[-1], *parts[:-1]]]


def _split(X, y, fractions, seed, stratify, what) -> list[np.ndarray]:
    X, y = check_arrays(X, y, what)
    sizes = _split_sizes(len(X), fractions, what)
    parts = _permute(len(X), _check_seed(seed), stratify, sizes)
    out = []
    for idx in parts:
        out.append(X[idx])
        if y is not None:
            out.append(y[idx])
    return out


def train_test_split(
    X: Any, y: Any = None, test_size: float = 0.25, seed: int | None = None, stratify: Any = None
) -> list[np.ndarray]:
    """``X_train, X_test, y_train, y_test`` (like scikit-learn); `stratify` keeps class ratios."""
    X_tr, *rest = _split(X, y, (test_size,), seed, stratify, "train_test_split")
    if y is None:
        return [X_tr, rest[0]]
    y_tr, X_te, y_te = rest
    return [X_tr, X_te, y_tr, y_te]


def train_val_test_split(
    X: Any, y: Any, val_size: float = 0.15, test_size: float = 0.15, seed: int | None = None,
    stratify: Any = None,
) -> list[np.ndarray]:
    """``X_train, X_val, X_test, y_train, y_val, y_test`` with disjoint, covering index sets."""
    X_tr, y_tr, X_va, y_va, X_te, y_te = _split(
        X, y, (val_size, test_size), seed, stratify, "train_val_test_split")
    return [X_tr, X_va, X_te, y_tr, y_va, y_te]


class KFold:
    """k train/validation index splits; each sample is in exactly one validation fold."""

    def __init__(self, k: int = 5, shuffle: bool = True, seed: int | None = None) -> None:
        self.k, self.shuffle, self.seed = integer_at_least(k, "KFold: k", 2), shuffle, seed

    def split(self, X: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, val_indices)`` k times."""
        n = len(check_arrays(X, None, "KFold")[0])
        if n < self.k:
            raise ValueError(f"KFold: {n} samples cannot make {self.k} folds")
        order = np.random.default_rng(self.seed).permutation(n) if self.shuffle else np.arange(n)
        for fold in np.array_split(order, self.k):
            yield np.setdiff1d(order, fold), np.sort(fold)


class _Scaler:
    """Per-feature affine scaling fitted on one split and applied to others."""

    def fit(self, X: Any) -> _Scaler:
        X = check_arrays(X, None, type(self).__name__)[0].astype(np.float64)
        self._fit(X)
        return self

    def _check_fitted(self, X: Any) -> np.ndarray:
        name = type(self).__name__
        if not hasattr(self, "offset_"):
            raise RuntimeError(f"{name}: call fit(X_train) before transform")
        X = np.asarray(X, dtype=np.float64)
        if X.shape[1:] != self.offset_.shape:
            raise ValueError(
                f"{name}: fitted on features of shape {self.offset_.shape}, got X {X.shape}")
        return X

    def transform(self, X: Any) -> np.ndarray:
        return (self._check_fitted(X) - self.offset_) / self.scale_

    def inverse_transform(self, X: Any) -> np.ndarray:
        return self._check_fitted(X) * self.scale_ + self.offset_

    def fit_transform(self, X: Any) -> np.ndarray:
        return self.fit(X).transform(X)


class StandardScaler(_Scaler):
    """``(X - mean) / std`` per feature; constant features keep scale 1."""

    def _fit(self, X: np.ndarray) -> None:
        self.mean_, std = X.mean(axis=0), X.std(axis=0)
        self.offset_, self.scale_ = self.mean_, np.where(std > 0, std, 1.0)


class MinMaxScaler(_Scaler):
    """Maps each feature's training range to ``feature_range`` (default 0..1)."""

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        lo, hi = feature_range
        if not lo < hi:
            raise ValueError(
                f"MinMaxScaler: feature_range must be (low, high), got {feature_range}")
        self.feature_range = (float(lo), float(hi))

    def _fit(self, X: np.ndarray) -> None:
        lo, hi = self.feature_range
        self.data_min_, self.data_max_ = X.min(axis=0), X.max(axis=0)
        span = self.data_max_ - self.data_min_
        self.scale_ = np.where(span > 0, span, 1.0) / (hi - lo)
        self.offset_ = self.data_min_ - lo * self.scale_
