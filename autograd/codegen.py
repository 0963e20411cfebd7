"""A recording compiled to Python: straight-line ``forward`` and ``backward`` functions
that call each recorded op's forward and VJP rule by name (`Traced.code()` prints them), and
the small helpers that code calls."""

from __future__ import annotations

import keyword
import linecache
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import as_data
from .primitive import unbroadcast

if TYPE_CHECKING:
    from .recording import Recording

__all__ = ["Input", "compile_recording"]


class Input:
    """Marks where an input array sits among an op's settings (``target=labels``)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __eq__(self, other: object) -> bool:
        return type(other) is Input and other.index == self.index

    __hash__ = None


# Names in generated code for the ops named by their operator.
_SYMBOLS = {"*": "mul", "**": "power", "+": "add", "-": "sub", "/": "div", "@": "matmul"}
# The generated code's own names: an op named like one of these is renamed.
_RESERVED = re.compile(r"[ilvkt]\d+|g|g_.*|_.*|a\d+_.*|forward|backward|None|True|False")


def compile_recording(rec: Recording) -> tuple[str, Callable, Callable]:
    """Python source of the recording's forward and backward, and the two functions.

    ``forward(inputs..., leaves...)`` returns the output and the state backward needs
    (every node's value and saved data); ``backward(g, inputs..., leaves..., state...)``
    runs the VJP rules of the nodes that need a gradient, latest first, and returns the
    parameters' gradients. Names: ``i`` inputs, ``l`` leaves, ``v`` node values, ``k`` saved
    data, ``g_`` gradients; ops are called by their names (``affine``, ``affine_vjp``).
    """
    names = ([f"i{k}" for k in range(len(rec.inputs))]
             + [f"l{m}" for m in range(len(rec.leaves))] + [f"v{j}" for j in range(len(rec.ops))])
    namespace = {"_fit": _fit, "_add": _add, "_own": _own, "_as_data": as_data}
    calls = []  # each op's name in the code: its own name where that is free
    for j, op in enumerate(rec.ops):
        name = re.sub(r"\W", "_", _SYMBOLS.get(op.name, op.name))
        if (namespace.get(name, op.forward) is not op.forward or not name.isidentifier()
                or keyword.iskeyword(name) or _RESERVED.fullmatch(name)):
            name = f"op{j}_{name}"
        namespace[name], namespace[f"{name}_vjp"] = op.forward, op.vjp
        calls.append(name)
    settings = [[f"{name}={_expr(value, namespace, f'a{j}_{name}')}"
                 for name, value in attrs.items()] for j, attrs in enumerate(rec.attrs)]
    forward, state = _forward_source(rec, names, calls, settings, namespace)
    source = forward + "\n\n\n" + _backward_source(rec, names, calls, settings, state)
    filename = f"<trace {abs(hash(source)):x}>"  # so tracebacks show the generated line
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 (our own generated code)
    return source, namespace["forward"], namespace["backward"]


def _forward_source(rec: Recording, names: list[str], calls: list[str],
                    settings: list[list[str]], namespace: dict) -> tuple[str, list[str]]:
    """``def forward``: one line per op; and the names of the state it returns."""
    given = _given(rec, names)
    lines, state = [f"def forward({', '.join(given)}):"], []
    for m, reshape in enumerate(rec.reshaped):
        if reshape is not None:
            k, shape = reshape
            lines.append(f"    l{m} = i{k}.reshape({shape!r})")
            state.append(f"l{m}")
    for m, source in enumerate(rec.converted):  # a bool or int array operand, as floats
        if source is not None:
            lines.append(f"    l{m} = _as_data({_expr(source, namespace, f'_src{m}')})")
            state.append(f"l{m}")
    for j, (op, slots) in enumerate(zip(rec.ops, rec.arg_slots)):
        outputs = f"v{j}, k{j}" if op.saves else f"v{j}"
        args = ", ".join([names[s] for s in slots] + settings[j])
        lines.append(f"    {outputs} = {calls[j]}({args})")
        state += [f"v{j}", f"k{j}"] if op.saves else [f"v{j}"]
    outputs = ", ".join(names[s] for s in rec.out_slots)
    comma = "," * (len(state) == 1)
    lines.append(f"    return ({outputs},), ({', '.join(state)}{comma})")
    return "\n".join(lines), state


def _given(rec: Recording, names: list[str]) -> list[str]:
    """The names forward receives: the inputs and the leaves read at each call."""
    read = [names[len(rec.inputs) + m] for m, (r, c) in enumerate(zip(rec.reshaped,
            rec.converted)) if r is None and c is None]
    return names[:len(rec.inputs)] + read


def _backward_source(rec: Recording, names: list[str], calls: list[str],
                     settings: list[list[str]], state: list[str]) -> str:
    """``def backward``: the VJP of each node that needs a gradient, latest first, each
    input gradient summed into its slot's ``g_`` name, the parameters' gradients returned."""
    grad_slots, needed = set(rec.param_slots), []
    for j, slots in enumerate(rec.arg_slots):
        needs = tuple(s in grad_slots for s in slots)
        if any(needs) and rec.first + j in rec.result_nodes:
            grad_slots.add(rec.first + j)
            needed.append((j, needs))
    lines = [f"def backward(g, {', '.join(_given(rec, names) + state)}):",
             f"    g_{names[rec.out_slots[0]]} = g"]
    assigned = set()
    for j, needs in reversed(needed):
        op, slots = rec.ops[j], rec.arg_slots[j]
        extra = ([f"needs={needs!r}"] if op.wants_needs else []) + \
                ([f"saved=k{j}"] if op.saves else [])
        args = ", ".join([names[s] for s in slots] + settings[j] + extra)
        temps = ", ".join(f"t{p}" if need else "_" for p, need in enumerate(needs))
        lines.append(f"    {temps}{',' * (len(slots) == 1)} = {calls[j]}_vjp(g_v{j}, v{j}, "
                     f"{args}) if g_v{j} is not None else {(None,) * len(slots)!r}")
        lines.append(f"    del g_v{j}")  # freed at once, as in the eager pass: big arrays
        for p, (slot, need) in enumerate(zip(slots, needs)):  # then reuse its memory
            if not need:
                continue
            grad, like, t = f"g_{names[slot]}", names[slot], f"t{p}"
            if slot in assigned:
                lines.append(f"    {grad} = _add({grad}, {t}, {like})")
            elif slot in rec.float_slots:
                lines.append(f"    {grad} = _fit({t}, {like})")
            else:  # _fit inline: a call per gradient costs a replay about 1%
                lines.append(f"    {grad} = {t} if {t} is None or type({t}) is float or "
                             f"{t}.shape == {like}.shape else _fit({t}, {like})")
            assigned.add(slot)
    grads = [f"g_{names[s]}" if s in assigned else "None" for s in rec.param_slots]
    lines.append(f"    return _own({', '.join(grads)})")  # (None: used by extras only)
    return "\n".join(lines) + "\n"


def _fit(g: Any, like: Any) -> Any:
    """``g`` summed to the shape of ``like`` where broadcasting stretched it (a Python-float
    slot has shape (): an array gradient for it is summed whole)."""
    if g is None or type(g) is float:
        return g
    shape = () if type(like) is float else like.shape
    return g if g.shape == shape else unbroadcast(g, shape)


def _add(total: Any, g: Any, like: Any) -> Any:
    """Sum of gradient contributions (out of place: VJPs may pass an array through)."""
    g = _fit(g, like)
    return g if total is None else total if g is None else total + g


def _own(*grads: Any) -> tuple:
    """The parameters' gradients, each its own array (add's VJP passes one array to both)."""
    if len(set(map(id, grads))) == len(grads):
        return grads
    seen, owned = set(), []
    for g in grads:
        owned.append(g.copy() if type(g) is np.ndarray and id(g) in seen else g)
        seen.add(id(g))
    return tuple(owned)


def _expr(value: Any, namespace: dict, name: str) -> str:
    """Source for a setting in generated code: an input's name (``i1``), a literal, or
    ``name`` bound to the value in ``namespace``."""
    if type(value) is Input:
        return f"i{value.index}"
    if _holds_input(value):
        items = [_expr(v, namespace, f"{name}_{n}") for n, v in enumerate(value)]
        return f"({', '.join(items)},)" if type(value) is tuple else f"[{', '.join(items)}]"
    if _literal(value):
        return repr(value)
    namespace[name] = value
    return name


def _holds_input(value: Any) -> bool:
    if type(value) is Input:
        return True
    return type(value) in (tuple, list) and any(_holds_input(v) for v in value)


def _literal(value: Any) -> bool:
    """Is ``repr(value)`` Python source for an equal value?"""
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return value == value and abs(value) != float("inf")
    return type(value) is tuple and all(_literal(v) for v in value)
