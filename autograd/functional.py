"""Gradients as functions: ``grad``, ``value_and_grad`` and ``hvp``.

``grad(f)(x)`` with plain numbers or arrays returns plain gradients. Given Values
(as happens inside an outer ``grad``) it returns Values still connected to the
graph, so ``grad(grad(f))`` gives second derivatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backward import gradients
from .errors import ShapeError
from .primitive import raw
from .value import Value


def _as_inputs(args: tuple, argnums: Sequence[int]) -> tuple[list, list[Value], bool]:
    given, args = args, list(args)
    nested = False
    for i in argnums:
        if i >= len(args) or i < -len(args):
            raise IndexError(f"argnums names argument {i}, but the function got {len(args)}")
        if isinstance(given[i], Value) and given[i].requires_grad:  # the caller's, not
            nested = True                                          # one made for argnums
        elif args[i] is given[i]:  # (not already made: argnums may repeat)
            args[i] = Value(raw(args[i]))
    return args, [args[i] for i in argnums], nested


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """``f``'s value and its gradient with respect to argument(s) ``argnums``.

    ``f`` must return a one-element Value. Returns ``(value, grad)``; with a tuple of
    argnums, ``grad`` is a tuple.
    """
    many = not isinstance(argnums, int)
    nums = tuple(argnums) if many else (argnums,)

    def wrapped(*args: Any) -> tuple[Any, Any]:
        args, inputs, nested = _as_inputs(args, nums)
        out = _one_element(f(*args), "grad")
        grads = gradients(out, inputs, create_graph=nested)
        if not nested:
            out = out.item()
        return out, (grads if many else grads[0])

    wrapped.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return wrapped


def _one_element(out: Any, who: str) -> Value:
    if not isinstance(out, Value) or out.size != 1:
        shape = out.shape if isinstance(out, Value) else type(out).__name__
        raise TypeError(f"{who} needs a function returning a one-element Value, got {shape}")
    return out


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The gradient of scalar-valued ``f`` with respect to argument(s) ``argnums``."""
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return wrapped


def hvp(f: Callable, x: Any, v: Any) -> Any:
    """Hessian-vector product ``H(x) @ v`` of scalar ``f``, by differentiating ``grad f · v``."""
    X = Value(raw(x))
    if np.shape(raw(v)) != X.shape:
        raise ShapeError(f"hvp: v of shape {np.shape(raw(v))} does not fit x of shape {X.shape}")
    (g,) = gradients(_one_element(f(X), "hvp"), [X], create_graph=True)
    (hv,) = gradients((g * raw(v)).sum(), [X])
    return hv
