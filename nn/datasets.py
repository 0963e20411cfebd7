"""Small datasets for teaching: the seeds' examples, 2-D pictures and real handwritten digits.

Every generator returns ``(X, y)`` NumPy arrays: ``X`` float64 of shape (n, features); ``y``
int64 labels for classification or float64 targets for regression. Synthetic ones take ``n``
and ``seed`` (an int or an ``np.random.Generator``) and document the formula that makes them,
so the same seed always gives the same data. Nothing is ever downloaded: `digits` uses the copy
bundled with scikit-learn; real MNIST files are read by `nn.idx.load_mnist`.
"""

from __future__ import annotations

import csv
import os
from typing import Any

import numpy as np

from .checks import integer_at_least

__all__ = ["DATASETS", "circles", "digits", "load_csv", "load_dataset", "loan_risk", "moons",
           "spirals", "stairs"]

# loan_risk: raw units of the features before scaling to 0..1.
AGE_RANGE = (20.0, 80.0)          # years; age 20 -> 0.0, age 80 -> 1.0
INCOME_RANGE = (0.0, 200_000.0)   # yearly income
SHOE_SIZE_RANGE = (35.0, 48.0)    # EU sizes: the feature that must not matter


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_noise(noise: Any) -> float:
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return noise


def _scale(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    low, high = bounds
    return (values - low) / (high - low)


def loan_risk(n: int = 200, seed: Any = 0, multi_output: bool = False,
              noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """The seed's loan example: X (n, 3) = [age, income, shoe size], each scaled to 0..1.

    Age is uniform on 20..80 years and scaled so age 20 -> 0.0 and 80 -> 1.0; income uniform on
    0..200,000 scaled by 200,000; shoe size uniform on EU 35..48 scaled likewise (it plays no
    part in any target). With ``e`` independent N(0, noise²) draws, every target clipped to 0..1:

        risk      = 0.9 - 0.5 * age - 0.3 * income + e              (credit risk)
        repayment = 0.2 + 0.5 * risk + 0.2 * age + e                  (repayment time)
        value     = 0.1 + 0.8 * income * (1 - age) + e                (customer lifetime value)

    y is ``risk`` with shape (n,), or with ``multi_output=True`` (n, 3) = [risk, repayment,
    value]: the seed's 3-in/3-out network. ``value`` has an age-income interaction that a linear
    model cannot fit exactly.
    """
    n = integer_at_least(n, "n")
    noise = _check_noise(noise)
    rng = _rng(seed)
    age = _scale(rng.uniform(*AGE_RANGE, size=n), AGE_RANGE)
    income = _scale(rng.uniform(*INCOME_RANGE, size=n), INCOME_RANGE)
    shoe = _scale(rng.uniform(*SHOE_SIZE_RANGE, size=n), SHOE_SIZE_RANGE)
    X = np.stack([age, income, shoe], axis=1)
    risk = np.clip(0.9 - 0.5 * age - 0.3 * income + rng.normal(0, noise, n), 0, 1)
    if not multi_output:
        return X, risk
    repayment = np.clip(0.2 + 0.5 * risk + 0.2 * age + rng.normal(0, noise, n), 0, 1)
    value = np.clip(0.1 + 0.8 * income * (1 - age) + rng.normal(0, noise, n), 0, 1)
    return X, np.stack([risk, repayment, value], axis=1)


# The 16 dark/light patterns of a 2x2 image, pixels in order [top-left, top-right, bottom-left,
# bottom-right]; 1 = dark.
_PATTERNS = np.array([[(k >> b) & 1 for b in (3, 2, 1, 0)] for k in range(16)])
_IS_STAIRS = (_PATTERNS[:, 2] == 1) & (_PATTERNS[:, 3] == 1) & (_PATTERNS[:, 0] != _PATTERNS[:, 1])
# Non-stairs that differ from stairs only in the top row (both dark or both light): the cases
# that need the XOR of the two top pixels, which no linear model can compute.
_IS_NEAR_MISS = (_PATTERNS[:, 2] == 1) & (_PATTERNS[:, 3] == 1) & ~_IS_STAIRS


def stairs(n: int = 500, seed: Any = 0, shaded: bool = False,
           near_miss_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The seed's 2x2 grayscale "stairs" images: X (n, 4) pixels 0..255, y (n,) labels 0/1.

    Pixels are ordered [top-left, top-right, bottom-left, bottom-right]; 0 is black (dark), 255
    white. An image is stairs (label 1) when its bottom row is dark and exactly one of the two
    top pixels is dark (left or right stairs). Half of the images are stairs (left or right at
    random); of the others, ``near_miss_fraction`` have a dark bottom row with both or neither
    top pixel dark (the hard cases), the rest are any other pattern. Dark pixels are uniform on
    0..60 and light ones on 195..255; with ``shaded=True`` (the "lightly shaded stairs") dark
    pixels are only lightly shaded, uniform on 90..150, and light ones uniform on 160..255: the
    same patterns at low contrast.
    """
    n = integer_at_least(n, "n")
    if not 0.0 <= near_miss_fraction <= 1.0:
        raise ValueError(f"near_miss_fraction must be in [0, 1], got {near_miss_fraction!r}")
    rng = _rng(seed)
    y = (rng.random(n) < 0.5).astype(np.int64)
    hard = rng.random(n) < near_miss_fraction
    stairs_ids = np.flatnonzero(_IS_STAIRS)
    near_ids = np.flatnonzero(_IS_NEAR_MISS)
    other_ids = np.flatnonzero(~_IS_STAIRS & ~_IS_NEAR_MISS)
    pattern = np.where(
        y == 1,
        rng.choice(stairs_ids, n),
        np.where(hard, rng.choice(near_ids, n), rng.choice(other_ids, n)),
    )
    dark = _PATTERNS[pattern].astype(bool)
    dark_low, dark_high, light_low = (90.0, 150.0, 160.0) if shaded else (0.0, 60.0, 195.0)
    dark_values = rng.uniform(dark_low, dark_high, size=(n, 4))
    light_values = rng.uniform(light_low, 255.0, size=(n, 4))
    X = np.where(dark, dark_values, light_values)
    return X, y


def moons(n: int = 200, noise: float = 0.1, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X (n, 2), y (n,) in {0, 1}.

    Class 0: (cos t, sin t); class 1: (1 - cos t, 0.5 - sin t), t uniform on [0, pi]; then
    N(0, noise²) added to each coordinate. Classes get n // 2 and n - n // 2 points.
    """
    n = integer_at_least(n, "n", 2)
    noise = _check_noise(noise)
    rng = _rng(seed)
    y = np.repeat([0, 1], [n // 2, n - n // 2])
    t = rng.uniform(0, np.pi, n)
    X = np.where(
        (y == 0)[:, None],
        np.stack([np.cos(t), np.sin(t)], 1),
        np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1),
    )
    return X + rng.normal(0, noise, X.shape), y


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5,
            seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one: X (n, 2), y (n,) with 1 for the inner circle.

    Class 0 lies on the unit circle, class 1 on the circle of radius ``factor`` (0 < factor < 1),
    at angles uniform on [0, 2 pi); then N(0, noise²) added to each coordinate.
    """
    n = integer_at_least(n, "n", 2)
    noise = _check_noise(noise)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    rng = _rng(seed)
    y = np.repeat([0, 1], [n // 2, n - n // 2])
    t = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, factor, 1.0)
    X = radius[:, None] * np.stack([np.cos(t), np.sin(t)], 1)
    return X + rng.normal(0, noise, X.shape), y


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, turns: float = 1.0,
            seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms: X (n, 2), y (n,) in 0..classes-1.

    Arm k has points at radius r uniform on [0, 1] and angle ``2 pi (turns * r + k / classes)
    + N(0, noise²)``, i.e. (r cos angle, r sin angle). Points are split as evenly as possible.
    """
    n = integer_at_least(n, "n", 2)
    classes = integer_at_least(classes, "classes", 2)
    noise = _check_noise(noise)
    if not np.isfinite(float(turns)):
        raise ValueError(f"turns must be a finite number, got {turns!r}")
    rng = _rng(seed)
    y = np.arange(n) % classes
    r = rng.uniform(0, 1, n)
    angle = 2 * np.pi * (turns * r + y / classes) + rng.normal(0, noise, n)
    X = r[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    return X, y.astype(np.int64)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits: X (1797, 64) in 0..1, y (1797,) in 0..9.

    Real images (UCI "Optical Recognition of Handwritten Digits", shipped inside scikit-learn,
    so no download); each pixel is a count 0..16, divided by 16 here.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(
            "digits() needs scikit-learn (its bundled copy of the digits); "
            "install it with: pip install netgrad[data]"
        ) from exc
    bunch = load_digits()
    return bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64)


# name -> (generator, task); the command line and notebooks look datasets up here.
DATASETS: dict[str, tuple[Any, str]] = {
    "digits": (digits, "classification"),
    "stairs": (stairs, "classification"),
    "loan": (loan_risk, "regression"),
    "moons": (moons, "classification"),
    "circles": (circles, "classification"),
    "spirals": (spirals, "classification"),
}


def load_dataset(name: str, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """The named built-in dataset (a key of `DATASETS`) with its default size and ``seed``."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    make, _ = DATASETS[name]
    return make() if make is digits else make(seed=seed)


def load_csv(path: str | os.PathLike, target: str, task: str = "auto",
             classes: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(X, y, classes)`` from a CSV file with a header row and a target column named ``target``.

    Every other column must be numeric and finite (X float64, used as is); empty cells and
    nan/inf are errors naming the line and column. ``task="classification"`` maps the target's
    distinct values (sorted) to labels 0..k-1 and returns them as ``classes``; ``"regression"``
    reads floats (``classes`` empty); ``"auto"`` picks classification when the target is
    non-numeric or holds at most 20 distinct integers. Passing ``classes`` (those a model was
    trained with) maps the target with them instead, so a file holding only some of the
    classes gets the same labels; a value outside them is an error. A UTF-8 byte-order mark
    is ignored.
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be auto, classification or regression, got {task!r}")
    if classes is not None:
        task = "classification"
    where = f"CSV file {str(path)!r}"
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            rows, lines = [], []  # lines: the file's line number of each row (for errors)
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
    except FileNotFoundError:
        raise FileNotFoundError(f"{where} does not exist") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not a UTF-8 text CSV file") from None
    if len(rows) < 2:
        raise ValueError(f"{where} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise ValueError(f"{where} has no column {target!r}; its columns are {', '.join(header)}")
    t = header.index(target)
    for line, row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise ValueError(f"{where}, line {line}: {len(row)} values for {len(header)} columns")
    features = [i for i in range(len(header)) if i != t]
    if not features:
        raise ValueError(f"{where} has only the target column {target!r}; no features")

    def number(cell: str, line: int, column: str) -> float:
        cell = cell.strip()
        if not cell:
            raise ValueError(f"{where}, line {line}: column {column!r} is empty")
        try:
            value = float(cell)
        except ValueError:
            raise ValueError(f"{where}, line {line}: column {column!r} has the non-numeric "
                             f"value {cell!r}") from None
        if not np.isfinite(value):
            raise ValueError(f"{where}, line {line}: column {column!r} has the non-finite "
                             f"value {cell!r}")
        return value

    X = np.array([[number(row[i], line, header[i]) for i in features]
                  for line, row in zip(lines[1:], rows[1:])], dtype=np.float64)
    raw = [row[t].strip() for row in rows[1:]]
    for line, value in zip(lines[1:], raw):
        if not value:
            raise ValueError(f"{where}, line {line}: target column {target!r} is empty")
    try:
        numbers = np.array([float(v) for v in raw])
    except ValueError:
        numbers = None
    if numbers is not None and not np.isfinite(numbers).all():
        line = lines[1:][int(np.flatnonzero(~np.isfinite(numbers))[0])]
        raise ValueError(f"{where}, line {line}: target column {target!r} has a non-finite value")
    if task == "auto":
        integral = numbers is not None and np.all(numbers == np.round(numbers))
        few = len(set(raw)) <= 20
        task = "classification" if numbers is None or (integral and few) else "regression"
    if task == "regression":
        if numbers is None:
            raise ValueError(f"{where}: target column {target!r} is not numeric; "
                             "use classification")
        return X, numbers, []
    if classes is not None:  # the labels a model was trained with
        names = [str(c) for c in classes]
        try:  # numeric classes match by value ("1" and "1.0" are one class)
            lookup: dict = {float(c): k for k, c in enumerate(names)}
            values: list = [float(v) for v in raw]
        except ValueError:
            lookup, values = {c: k for k, c in enumerate(names)}, raw
        unknown = [(line, v) for line, v, key in zip(lines[1:], raw, values) if key not in lookup]
        if unknown:
            line, value = unknown[0]
            raise ValueError(f"{where}, line {line}: target {value!r} is not one of the classes "
                             f"the model knows ({', '.join(names)})")
        return X, np.array([lookup[v] for v in values], dtype=np.int64), names
    if numbers is not None:
        found = sorted(set(numbers.tolist()))
        lookup = {c: k for k, c in enumerate(found)}
        y = np.array([lookup[v] for v in numbers.tolist()], dtype=np.int64)
        names = [str(int(c)) if float(c).is_integer() else str(c) for c in found]
        return X, y, names
    names = sorted(set(raw))
    lookup = {c: k for k, c in enumerate(names)}
    return X, np.array([lookup[v] for v in raw], dtype=np.int64), names
