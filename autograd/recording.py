"""A recording: the graph one call of a traced function built, as steps over numbered
slots, compiled by `codegen` into straight-line Python (`Recording.source`) that
`autograd.trace` replays.

Two recordings are compared (`Recording.difference`) to decide whether replaying is safe:
the same ops wired the same way, the same parameters, and equal constants and settings.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .backward import forward_order
from .codegen import Input, compile_recording
from .data import as_data
from .primitive import Constant, Converted
from .value import Value

__all__ = ["Recording", "replayed", "same", "snapshot"]


class Recording:
    """One recording, ready to replay: the graph as steps over numbered slots (the inputs,
    then the leaves, then one per op node in forward order), and that graph compiled into
    two straight-line Python functions, ``forward`` and ``backward`` (see ``source``)."""

    def __init__(self, outputs: list[Value], values: list, inputs: list,
                 returns_tuple: bool = False) -> None:
        self.inputs = inputs
        self.returns_tuple = returns_tuple  # the function returned (result, *extras)
        self.leaves: list[Value] = []
        slot_of = {v: k for k, v in enumerate(values) if isinstance(v, Value)}
        # an input array met again (a loss's target as a constant operand or a setting)
        input_arrays = {id(x): k for k, x in enumerate(inputs) if type(x) is np.ndarray}
        result_graph = forward_order(outputs[0])
        graphs = [result_graph, *map(forward_order, outputs[1:])]  # (each in order)
        nodes = list(dict.fromkeys(n for graph in graphs for n in graph if n._op is not None))
        operands = [p for node in nodes for p in node._parents] + outputs[1:]  # (extras too)
        for leaf in operands:
            if leaf._op is None and leaf not in slot_of:
                k = None if leaf.requires_grad else input_arrays.get(id(leaf.data))
                if k is not None:
                    slot_of[leaf] = k
                else:
                    slot_of[leaf] = len(inputs) + len(self.leaves)
                    self.leaves.append(leaf)
        self.first = len(inputs) + len(self.leaves)
        # leaves that are an input reshaped (nn.mse's (N,) target against (N, 1)
        # predictions): made from the call's input by the generated forward
        self.reshaped = [None if leaf.requires_grad else _reshape_of(leaf.data, inputs)
                         for leaf in self.leaves]
        arrays = [x for x in inputs if type(x) is np.ndarray]
        # constants converted from an array operand (``w * mask`` with a bool mask): converted
        # afresh by the generated forward, from the call's input (an `Input`) or from the
        # array as it is then, as float arrays are read afresh (None: not converted)
        self.converted = [None if r is not None else _conversion(leaf, input_arrays, arrays)
                          for leaf, r in zip(self.leaves, self.reshaped)]
        self.read = [leaf for leaf, r, c in zip(self.leaves, self.reshaped, self.converted)
                     if r is None and c is None]
        slot_of.update((node, self.first + j) for j, node in enumerate(nodes))
        self.out_slots = [slot_of[out] for out in outputs]
        # backward runs only the VJPs of nodes the first output (the result) depends on
        self.result_nodes = {slot_of[n] for n in result_graph if n._op is not None}
        self.ops = [node._op for node in nodes]
        self.calls_traced = any(op.forward is replayed for op in self.ops)
        self.float_slots = {slot for slot, data in enumerate(
            [*inputs, *[leaf.data for leaf in self.leaves], *[node.data for node in nodes]])
            if type(data) is float}  # (other slots hold arrays or NumPy scalars)
        self.arg_slots = [tuple(slot_of[p] for p in node._parents) for node in nodes]
        self.attrs = [{name: _mark(value, input_arrays)
                       for name, value in (node._attrs or {}).items()
                       if name not in ("saved", "needs")} for node in nodes]
        self.params = tuple(leaf for leaf in self.leaves if leaf.requires_grad)
        result_leaves = set(result_graph)
        self.params_of_result = [p in result_leaves for p in self.params]
        # copies to compare recordings by (an array refilled in place would equal itself)
        self.seen = [None if leaf.requires_grad else r if r is not None else c
                     if type(c) is Input else snapshot(leaf.data)
                     for leaf, r, c in zip(self.leaves, self.reshaped, self.converted)]
        self.seen_attrs = [snapshot(attrs) for attrs in self.attrs]
        # leaves and settings holding a view of an argument array (``x.data[:, :1]``): computed
        # from the input, they are judged by the copies above, never by the array as it is
        # before a later call (a caller refilling one buffer would make them look unchanged)
        self.aliased = [r is None and c is None and not leaf.requires_grad
                        and _aliases(leaf.data, arrays)
                        for leaf, r, c in zip(self.leaves, self.reshaped, self.converted)]
        self.attrs_aliased = [_aliases(attrs, arrays) for attrs in self.attrs]
        self.param_slots = [len(inputs) + m for m, leaf in enumerate(self.leaves)
                            if leaf.requires_grad]
        self.watched = [(leaf, [leaf.data], _signature(leaf)) for leaf in self.read
                        if not isinstance(leaf, Constant)]  # (constants are the recording's)
        self.source = self.forward = self.backward = None  # see compile()

    def compile(self) -> None:
        """Generate ``source`` and the ``forward``/``backward`` functions (done once the
        recording is confirmed: candidates are only compared)."""
        self.source, self.forward, self.backward = compile_recording(self)

    @classmethod
    def of(cls, outputs: list[Value], values: list, inputs: list,
           returns_tuple: bool = False) -> Recording | None:
        """The recording of the graph below ``outputs`` (None when the first, the result,
        is not an op's result). ``values`` are what the function received: input Values,
        arrays, settings."""
        if outputs[0]._op is None:
            return None
        return cls(outputs, values, inputs, returns_tuple)

    def current(self) -> bool:
        """Do the parameters and other watched leaves still have the recorded shapes,
        dtypes and requires_grad?"""
        for leaf, seen, signature in self.watched:
            data = leaf.data
            if data is not seen[0] or leaf.requires_grad is not signature[0]:
                if _signature(leaf) != signature:
                    return False
                seen[0] = data  # updated in place by optimizers: usually the same array
        return True

    def keep(self) -> Recording:
        """Self as a candidate: holding copies of its inputs (the caller may refill its
        arrays) and of the parameters' values, to compare the next recording with."""
        self.inputs = [np.array(x) if isinstance(x, np.ndarray) else x for x in self.inputs]
        self.param_values = [snapshot(p.data) for p in self.params]
        return self

    def unchanged_param(self, candidate: Recording) -> tuple | None:
        """The shape of a parameter of the result with the value it had at ``candidate``'s
        recording (None: all changed). Without an update in between, a value computed
        from the parameters outside the graph (under no_grad) would pass for a constant."""
        if [id(p) for p in self.params] != [id(p) for p in candidate.params]:
            return None  # other parameters: difference() reports it
        for p, value, used in zip(self.params, candidate.param_values, self.params_of_result):
            if used and same(value, p.data):
                return np.shape(p.data)
        return None

    def values_now(self) -> tuple[list, list]:
        """Copies of the leaves' data and of the settings as they are now: taken before a
        recording call, they tell a change the call makes (which a replay would not) from one
        made outside it (which a replay reads afresh)."""
        return [snapshot(self._now(m)) for m in range(len(self.leaves))], snapshot(self.attrs)

    def _now(self, m: int) -> Any:
        """Leaf ``m``'s data as a replay would get it now."""
        source = self.converted[m]
        return as_data(source) if type(source) is np.ndarray else self.leaves[m].data

    def written(self, before: tuple[list, list]) -> str | None:
        """What the call wrote into since ``before`` (`values_now`), in the user's terms."""
        leaves, settings = before
        for m, value in enumerate(leaves):
            now = self._now(m)
            if np.shape(value) == np.shape(now) and not same(value, now):
                return (f"the function writes into the data of a Value of shape "
                        f"{np.shape(now)} that it uses (a replay would not)")
        for op, value, now in zip(self.ops, settings, self.attrs):
            if not same(value, now):
                return (f"the function writes into an array it passes to '{op.name}' as a "
                        "setting (a replay would not)")
        return None

    def replays(self, inputs: list, outputs: list[Value]) -> bool:
        """Does a replay on a recording call's inputs give the outputs that call computed? A
        function that changes state while it runs and restores it before returning (a scratch
        array, a parameter perturbed and put back) looks unchanged before and after the call;
        only running the replay shows it."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # (the call itself warned already)
                replayed, _ = self.forward(*inputs, *[leaf.data for leaf in self.read])
        except Exception:  # noqa: BLE001 (any failure is a disagreement)
            return False
        return all(_agree(r, out.data) for r, out in zip(replayed, outputs))

    def unchanged_input(self, other: Recording) -> int | None:
        """The first input equal to ``other``'s (None: all differ). Comparing recordings
        proves nothing about such an input: a constant computed from it looks constant."""
        for k, (a, b) in enumerate(zip(self.inputs, other.inputs)):
            if a is not None and same(a, b):
                return k
        return None

    def difference(self, other: Recording, before: tuple[list, list]) -> str | None:
        """How ``other``, recorded by a later call, differs from this recording, in the
        user's terms (None: same). ``before`` is this recording's `values_now` from before
        that call: its leaves' data and settings as replays read them (the caller may refill
        or replace an array between calls), so an array both recordings read differs only if
        the call wrote into it, which `written` reports first."""
        if (self.ops != other.ops or self.arg_slots != other.arg_slots
                or self.out_slots != other.out_slots or self.returns_tuple != other.returns_tuple):
            return ("the function builds a different graph on different inputs "
                    "(control flow that depends on the data?)")
        for m, (a, b) in enumerate(zip(self.leaves, other.leaves)):
            made_per_call = a is not b and not isinstance(b, Constant) and not b.requires_grad
            if a.requires_grad or b.requires_grad:
                changed = a is not b
            else:  # (a reshaped input by its shape, a view of an input by its values: `seen`)
                fresh = (self.reshaped[m] is None and type(self.converted[m]) is not Input
                         and not self.aliased[m])
                seen = before[0][m] if fresh else self.seen[m]
                changed = made_per_call or not same(seen, other.seen[m])
            if changed:
                slot = len(self.inputs) + m
                user = next((op.name for op, slots in zip(self.ops, self.arg_slots)
                             if slot in slots), "an extra result")
                if made_per_call:
                    return (f"a Value without gradient used by '{user}' (shape {b.shape}) is "
                            "created anew in every call (by Value(...) inside the function, "
                            "or by an op on Values without gradient, such as frozen "
                            "parameters); its data may be random (a Dropout mask in training "
                            "mode) or computed from data or parameters, even when two calls "
                            "agree, so trace cannot replay it")
                if a.requires_grad or b.requires_grad:
                    return (f"a parameter used by '{user}' (shape {b.shape}) is another Value "
                            "than before (a replaced layer or model?): make a new trace")
                if a is b and not isinstance(a, Constant):
                    return (f"the data of a Value without gradient used by '{user}' (shape "
                            f"{b.shape}) changed between calls; trace cannot tell whether the "
                            "function changes it (a replay would not) or you do outside it")
                return (f"a constant operand of '{user}' (shape {b.shape}) changed between "
                        "calls: it is computed from the data outside the engine's ops, or "
                        "drawn at random (Dropout in training mode?)")
        for op, a, b, recorded, aliased in zip(self.ops, before[1], other.seen_attrs,
                                               self.seen_attrs, self.attrs_aliased):
            if not same(recorded if aliased else a, b):
                return (f"a setting of '{op.name}' changed between calls: it is computed "
                        "from the data outside the engine's ops, or drawn at random")
        return None


def replayed(*args: Any) -> Any:
    """The forward of a traced function's result nodes: they are made by the traced
    function, never by calling their op (a recording that holds one is not replayable)."""
    raise TypeError("a traced function's node is made by calling the traced function")


def _mark(value: Any, input_arrays: dict[int, int]) -> Any:
    """``value`` with input arrays (by identity) replaced by `codegen.Input` markers; ``value``
    itself when it holds none."""
    if type(value) is np.ndarray and id(value) in input_arrays:
        return Input(input_arrays[id(value)])
    if isinstance(value, (tuple, list)):
        marked = [_mark(v, input_arrays) for v in value]
        if any(m is not v for m, v in zip(marked, value)):
            return type(value)(marked)
    return value


def _conversion(leaf: Value, input_arrays: dict[int, int], arrays: list) -> Any:
    """Where a constant converted from an array operand comes from: `Input` k, or the
    array itself (read afresh); None when it is no conversion, or one of a view of an input
    (a value computed from the data, judged like any constant)."""
    if type(leaf) is not Converted:
        return None
    k = input_arrays.get(id(leaf.source))
    if k is not None:
        return Input(k)
    return None if _aliases(leaf.source, arrays) else leaf.source


def _aliases(value: Any, arrays: list[np.ndarray]) -> bool:
    """Does ``value`` hold an array (also inside tuples, lists and dicts) that may share
    memory with one of ``arrays``?"""
    if type(value) is np.ndarray:
        return any(np.may_share_memory(value, x) for x in arrays)
    if isinstance(value, (tuple, list)):
        return any(_aliases(v, arrays) for v in value)
    if isinstance(value, dict):
        return any(_aliases(v, arrays) for v in value.values())
    return False


def _agree(a: Any, b: Any) -> bool:
    """Equal up to rounding (the same ops on the same data; only summation order, which can
    follow memory alignment, may differ): within sqrt(eps) of the larger magnitudes."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind not in "fc" or not a.size:
        return bool(np.array_equal(a, b))
    tol = float(np.sqrt(np.finfo(a.dtype).eps))
    scale = float(np.max(np.abs(b), initial=0.0, where=np.isfinite(b)))
    return bool(np.allclose(a, b, rtol=tol, atol=tol * scale, equal_nan=True))


def _signature(leaf: Value) -> tuple:
    data = leaf.data
    if type(data) is float:
        return (leaf.requires_grad, float)
    return (leaf.requires_grad, type(data), data.shape, data.dtype)


def _reshape_of(data: Any, inputs: list) -> tuple[int, tuple] | None:
    """(k, shape) when ``data`` is input k viewed in another shape: the same memory, dtype
    and C order (so its values are those of ``inputs[k].reshape(shape)`` for any input)."""
    if type(data) is not np.ndarray or data.base is None or not data.flags.c_contiguous:
        return None
    start = data.__array_interface__["data"][0]
    found = [k for k, x in enumerate(inputs)
             if type(x) is np.ndarray and x.size == data.size and x.dtype == data.dtype
             and x.flags.c_contiguous and x.__array_interface__["data"][0] == start]
    if len(found) != 1 or inputs[found[0]].shape == data.shape:
        return None  # (inputs sharing memory: which one is unknowable, so a constant)
    return found[0], data.shape


def snapshot(value: Any) -> Any:
    """A copy of the arrays in ``value`` (also inside tuples, lists and dicts)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    return value


def same(a: Any, b: Any) -> bool:
    """Equal data or settings: same types, shapes, dtypes and values (nan equal to nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind == "O":  # objects (arrays, say) compared one by one, like settings
            return all(same(x, y) for x, y in zip(a.flat, b.flat))
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    try:
        return bool(a == b)
    except Exception:  # objects without a truth value for ==: only identity counts
        return a is b
