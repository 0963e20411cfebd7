"""Weight initialisation, reproducible through a seed.

Every function takes ``shape`` = (fan_out, fan_in) like ``Linear.weight`` and an optional
``rng`` (np.random.Generator). Without ``rng`` the package's default generator is used, which
``manual_seed(s)`` resets: the only global state of `nn` besides grad mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "INITIALIZERS", "default_init_for", "get_init", "get_rng", "he_normal", "he_uniform",
    "manual_seed", "xavier_normal", "xavier_uniform", "zeros",
]

_default_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator used when a layer gets ``rng=None``; returns it."""
    global _default_rng
    _default_rng = np.random.default_rng(seed)
    return _default_rng


def get_rng(rng: np.random.Generator | int | None = None) -> np.random.Generator:
    """``rng`` itself, a new Generator for an int seed, or the default one for None."""
    if rng is None:
        return _default_rng
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], 1
    return shape[-1], shape[0]  # (fan_out, fan_in) layout -> fan_in = last, fan_out = first


def xavier_uniform(shape: tuple[int, ...], rng: np.random.Generator | None = None,
                   gain: float = 1.0) -> np.ndarray:
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)); for tanh/sigmoid."""
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return get_rng(rng).uniform(-bound, bound, size=shape)


def xavier_normal(shape: tuple[int, ...], rng: np.random.Generator | None = None,
                  gain: float = 1.0) -> np.ndarray:
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    return get_rng(rng).normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
    """He/Kaiming uniform: U(-a, a), a = sqrt(6 / fan_in); for ReLU layers."""
    fan_in, _ = _fans(shape)
    bound = math.sqrt(6.0 / fan_in)
    return get_rng(rng).uniform(-bound, bound, size=shape)


def he_normal(shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
    """He/Kaiming normal: N(0, 2 / fan_in); for ReLU layers."""
    fan_in, _ = _fans(shape)
    return get_rng(rng).normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


def zeros(shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
    """All zeros (biases; ``rng`` is accepted for a uniform signature and unused)."""
    return np.zeros(shape)


INITIALIZERS: dict[str, Callable] = {
    "xavier_uniform": xavier_uniform, "xavier_normal": xavier_normal,
    "he_uniform": he_uniform, "he_normal": he_normal, "zeros": zeros,
}
_HE_ACTIVATIONS = {"relu", "leaky_relu"}


def default_init_for(activation: str | None) -> str:
    """He uniform for relu/leaky_relu, Xavier uniform for everything else (tanh, sigmoid...)."""
    return "he_uniform" if activation in _HE_ACTIVATIONS else "xavier_uniform"


def get_init(init: str | Callable) -> Callable:
    """An initializer ``f(shape, rng) -> ndarray`` from its name or itself."""
    if callable(init):
        return init
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; valid: {sorted(INITIALIZERS)} or a callable "
                         "f(shape, rng) -> ndarray")
    return INITIALIZERS[init]
