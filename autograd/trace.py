"""`trace`: run a function's Python once, then replay the ops it recorded on new inputs.

At small batch a training step is mostly Python: building nodes, ordering the graph, the
layers' and losses' checks. ``step = trace(fn)`` records the graph ``fn`` builds; once two
training steps (calls on different inputs, with a parameter update between them) have built
the same graph, later calls run only the recorded ops' forward functions, and
``backward()`` only their VJP rules, on the new inputs. The
result is one node whose parents are the parameters, so ``backward()``, ``gradients()``
and optimizers work on it as on any Value.

Replayed is what the engine saw: ops, their settings, parameters (read afresh on every call,
so updates are seen) and constants. ``fn``'s Python does not run on a replay: its prints,
its checks and any value it computes from the data outside the engine (an ``.item()``, an
``if`` on data, a NumPy mask, a Dropout mask) stay as recorded. The guards:

- replay starts only after two recordings, every input and every parameter of the result
  different between them, built the same graph with equal constants, no Value without
  gradient created anew in each call (a Dropout mask), and a replay on the second call's data
  gives its result; otherwise ``fn`` runs eagerly from then on (with a warning naming the
  op whose operand or setting changed), as it does after five calls in a row with an
  unchanged input, 32 with an unchanged parameter, when ``fn`` calls another traced
  function, or for more than 16 argument shapes (an array passed twice is a shape of its own);
- inputs of another shape, dtype or kind, and parameters whose shape, dtype or
  ``requires_grad`` changed, are recorded anew;
- calls 8, 64, 512, ... after that re-record, and a graph that changed or a replay that
  disagrees with the call raises TraceError (then ``fn`` runs eagerly);
- under ``detect_anomaly()`` every call runs eagerly.
"""

from __future__ import annotations

import copy
import functools
import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import TraceError
from .mode import MODE, enable_grad
from .primitive import Primitive, _record, constant
from .recording import Recording, replayed, same, snapshot
from .value import Value

__all__ = ["Traced", "trace"]

_FIRST_CHECK, _CHECK_FACTOR = 8, 8  # re-check calls 8, 64, 512, ... after confirmation
_MAX_UNCHECKED = 4  # recordings in a row whose inputs did not all change: then run eagerly
_MAX_UNCHANGED_PARAMS = 32  # recordings without a parameter update in between: likewise
_MAX_KEYS = 16  # recordings kept per traced function (shapes, dtypes, settings)
_HIDDEN_STATE = ("a replay on the same data gives another result than the call: the function "
                 "changes data while it runs (a scratch array refilled and cleared, a parameter "
                 "perturbed and put back, a result's data written in NumPy), or an op's "
                 "forward is random or keeps state (ops must be pure functions of their inputs)")


def trace(fn: Callable[..., Value]) -> Traced:
    """``fn`` recorded once and replayed on later calls (see the module's docstring).

    ``fn`` returns a Value, or ``(result, *extras)`` whose extras come back as constants.
    Float arrays and Python floats among its arguments are inputs
    and reach ``fn`` as Values; integer and bool arrays (class labels, masks) are inputs
    passed as arrays; anything else (ints, strings, None) is a setting: each setting
    value gets a recording of its own.
    """
    return Traced(fn)


class Traced:
    """A traced function: call it like ``fn``. ``mode(*args)`` tells what the next call with
    such arguments does, ``code(*args)`` shows the Python a replay runs."""

    def __init__(self, fn: Callable[..., Value]) -> None:
        if not callable(fn):
            raise TypeError(f"trace: expected a function, got {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self._name = getattr(fn, "__name__", type(fn).__name__)
        self._op = Primitive(f"trace({self._name})", replayed)
        self._op.defvjp(_replay_vjp)
        self._entries: dict[tuple, _Entry] = {}
        self._full = False  # warned that no more keys are recorded

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"trace({self._name}): pass arguments by position (got keywords "
                            f"{', '.join(kwargs)}): each position is an input or a setting")
        key, inputs = _inputs(args, self._name)
        if MODE.anomaly:
            return self._eager_call(args, inputs)
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= _MAX_KEYS:  # not kept: keys may hold big settings
                if not self._full:
                    self._full = True
                    warnings.warn(f"trace({self._name}) runs eagerly for new argument shapes, "
                                  f"dtypes or settings: {_MAX_KEYS} were seen already (each "
                                  "needs a recording of its own)", stacklevel=2)
                return self._eager_call(args, inputs)
            entry = self._entries[key] = _Entry()
        if entry.eager is not None:
            return self._eager_call(args, inputs)
        recording = entry.confirmed
        if recording is not None:
            if not recording.current():  # a parameter changed shape, dtype or requires_grad
                entry.confirmed = None
            else:
                entry.calls += 1
                if entry.calls < entry.next_check:
                    return self._replay(recording, inputs)
                entry.next_check *= _CHECK_FACTOR  # (before fn runs: it may raise)
        return self._record(entry, args, inputs)

    def __set_name__(self, owner: type, name: str) -> None:
        self._home = (owner, name)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        """As a method decorator: each instance gets a traced bound method of its own, kept
        under a private key of its ``__dict__`` (freed with the instance; the method's own
        name stays free, so a subclass can override it and call it through super())."""
        if instance is None:
            return self
        home = getattr(self, "_home", None) or next(
            ((klass, k) for klass in type(instance).__mro__ for k, v in vars(klass).items()
             if v is self), None)
        state = getattr(instance, "__dict__", None)
        key = None if home is None else f"__trace {home[0].__qualname__}.{home[1]} {id(self):x}"
        cached = None if state is None else state.get(key)
        if cached is not None and cached.fn.__self__ is instance:  # (not a shallow copy's)
            return cached
        bound = Traced(types.MethodType(self.fn, instance))
        if state is not None:  # entries a pickle brought back empty (see __reduce__)
            for old in [k for k, v in state.items() if v is None and str(k).startswith("__trace ")]:
                del state[old]
        if state is None or key is None:
            warnings.warn(f"trace({self._name}): a traced method needs an instance __dict__ "
                          "to keep its recordings in; without one it never replays", stacklevel=2)
            return bound
        bound._home = home
        state[key] = bound
        return bound

    def __deepcopy__(self, memo: dict) -> Traced:
        """A copy without the recordings: it records afresh (bound to the copied instance
        when it is a traced method)."""
        twin = Traced(copy.deepcopy(self.fn, memo))
        if hasattr(self, "_home"):
            twin._home = self._home
        return twin

    def __reduce__(self) -> tuple:
        """Pickled without the recordings: a traced function as ``trace(fn)``; a traced
        method's cached entry as None (its descriptor binds afresh on first use)."""
        if getattr(self, "_home", None) is not None:
            return _nothing, ()
        return trace, (self.fn,)

    def code(self, *args: Any) -> str:
        """The Python that calls with such arguments replay: a straight-line ``forward``
        and ``backward`` over the recorded ops (ValueError while none is confirmed)."""
        entry = self._entries.get(_inputs(args, self._name)[0])
        if entry is None or entry.confirmed is None:
            raise ValueError(f"trace({self._name}): no replay for such arguments yet "
                             f"({self.mode(*args)})")
        return entry.confirmed.source

    def mode(self, *args: Any) -> str:
        """What the next call with such arguments does: "record", "replay", or "eager: "
        and the reason."""
        key, _ = _inputs(args, self._name)
        entry = self._entries.get(key)
        if MODE.anomaly:
            return "eager: detect_anomaly is on"
        if entry is not None and entry.eager is not None:
            return "eager: " + entry.eager
        if entry is None and len(self._entries) >= _MAX_KEYS:
            return f"eager: {_MAX_KEYS} argument shapes, dtypes or settings were seen already"
        if entry is None or entry.confirmed is None or not entry.confirmed.current():
            return "record"
        return "record" if entry.calls + 1 >= entry.next_check else "replay"

    # ------------------------------------------------------------------ recording
    def _eager_call(self, args: tuple, inputs: list) -> Any:
        return self._results(self.fn(*_arguments(args, inputs)))[1]

    def _results(self, returned: Any) -> tuple[list[Value], Any]:
        """``fn``'s result as a list of Values, and as the caller gets it: one Value, or a
        tuple whose extra entries (predictions for metrics, say) are constants."""
        outputs = list(returned) if isinstance(returned, (tuple, list)) else [returned]
        if not outputs or not all(isinstance(v, Value) for v in outputs):
            raise TypeError(f"trace({self._name}): the function must return a Value or a "
                            f"tuple of Values (the result first), got {_kinds(returned)}")
        if len(outputs) == 1 and not isinstance(returned, (tuple, list)):
            return outputs, returned
        return outputs, (outputs[0], *[_detached(v.data) for v in outputs[1:]])

    def _record(self, entry: _Entry, args: tuple, inputs: list) -> Any:
        values = _arguments(args, inputs)
        grad_mode = MODE.grad_enabled
        known = entry.confirmed or entry.candidate
        before = None if known is None else known.values_now()
        inputs_before = [snapshot(x) for x in inputs]
        with enable_grad():  # the graph is the recording, also for calls under no_grad
            outputs, returned = self._results(self.fn(*values))
        recording = Recording.of(outputs, values, inputs, not isinstance(returned, Value))
        if not grad_mode or recording is not None and not recording.params:
            result = constant(outputs[0].data)  # as a replay returns it
            returned = result if isinstance(returned, Value) else (result, *returned[1:])
        written = _written(inputs_before, inputs) or (
            None if known is None else known.written(before))
        if written is not None and recording is not None:
            if entry.confirmed is not None:
                entry.confirmed, entry.eager = None, written
                raise TraceError(f"trace({self._name}): {written}; replayed results may have "
                                 "been wrong; it runs eagerly from now on")
            self._eager(entry, written)
            return returned
        if recording is None:
            self._eager(entry, "its result is not computed by any op from the inputs or "
                               "parameters")
        elif recording.calls_traced:
            self._eager(entry, "it calls a traced function, whose replayed results hide "
                               "what they were computed from: trace only the outer function")
        elif entry.confirmed is not None:  # a scheduled re-check of a confirmed recording
            difference = entry.confirmed.difference(recording, before=before) or (
                None if entry.confirmed.replays(inputs, outputs) else _HIDDEN_STATE)
            if difference:
                entry.confirmed, entry.eager = None, difference  # no more replays
                raise TraceError(
                    f"trace({self._name}): call {entry.calls} after replay began built "
                    f"another graph than the recorded one ({difference}); replayed results "
                    "may have been wrong; it runs eagerly from now on. Python in the function "
                    "reads data or state that changes between calls: run it without trace")
        elif entry.candidate is None or not entry.candidate.current():
            entry.candidate = recording.keep()  # (a parameter changed since: start again)
        elif (same := recording.unchanged_input(entry.candidate)) is not None:
            entry.unchecked += 1
            entry.candidate = recording.keep()
            if entry.unchecked >= _MAX_UNCHECKED:
                self._eager(entry, f"argument {same} had the same value in {_MAX_UNCHECKED + 1} "
                                   "calls in a row, so no recording can be checked (a constant "
                                   "computed from it would look constant)")
        elif (param := recording.unchanged_param(entry.candidate)) is not None:
            entry.unchanged_params += 1  # e.g. gradient accumulation: no update in between
            entry.candidate = recording.keep()
            if entry.unchanged_params >= _MAX_UNCHANGED_PARAMS:
                self._eager(entry, f"a parameter of shape {param} kept its value over "
                                   f"{_MAX_UNCHANGED_PARAMS + 1} calls in a row (trace replays "
                                   "training steps: values computed from parameters under "
                                   "no_grad are checked across an update; set requires_grad="
                                   "False on parameters the optimizer does not update)")
        else:
            entry.unchecked = entry.unchanged_params = 0
            difference = entry.candidate.difference(recording, before=before)
            entry.candidate = None
            if not difference:
                recording.compile()
                if not recording.replays(inputs, outputs):
                    difference = _HIDDEN_STATE
            if difference:
                self._eager(entry, difference)
            else:
                entry.confirmed, entry.calls, entry.next_check = recording, 0, _FIRST_CHECK
        return returned

    def _eager(self, entry: _Entry, reason: str) -> None:
        entry.eager, entry.candidate = reason, None
        warnings.warn(f"trace({self._name}) runs eagerly for such arguments: {reason}",
                      stacklevel=4)

    # ------------------------------------------------------------------ replaying
    def _replay(self, recording: Recording, inputs: list) -> Any:
        data = (*inputs, *[leaf.data for leaf in recording.read])
        outputs, state = recording.forward(*data)
        if MODE.grad_enabled:
            result = _record(self._op, outputs[0], recording.params,
                             {"saved": (recording, data + state)})
        else:
            result = constant(outputs[0])
        if not recording.returns_tuple:
            return result
        return (result, *[_detached(v) for v in outputs[1:]])


class _Entry:
    """What is known about calls with one key: a recording waiting for a second one
    (``candidate``), a ``confirmed`` one with its call count, or why it runs ``eager``."""

    __slots__ = ("candidate", "confirmed", "calls", "next_check", "unchecked",
                 "unchanged_params", "eager")

    def __init__(self) -> None:
        self.candidate = self.confirmed = self.eager = None
        self.calls = self.next_check = self.unchecked = self.unchanged_params = 0


def _replay_vjp(g: Any, out: Any, *params: Any, saved: tuple) -> tuple:
    """A replayed call's parameter gradients: its recording's compiled backward run on that
    call's data."""
    if isinstance(g, Value):
        raise TypeError("a traced function's result cannot be differentiated with "
                        "create_graph=True; call the function without trace for "
                        "higher-order gradients")
    recording, data = saved
    return recording.backward(g, *data)


# ----------------------------------------------------------------------- helpers
def _inputs(args: tuple, name: str) -> tuple[tuple, list]:
    """The call's key (kinds, shapes, dtypes, setting values) and its input data (None in
    the places of settings)."""
    key, inputs = [], []
    for position, arg in enumerate(args):
        if type(arg) is np.ndarray and arg.ndim and arg.dtype.kind in "fiub":  # the usual
            key.append((arg.shape, arg.dtype, arg.flags.c_contiguous))
            inputs.append(arg)
            continue
        if isinstance(arg, Value):
            if arg.requires_grad:
                raise TypeError(
                    f"trace({name}): argument {position} is a Value that requires grad; pass "
                    "data, and let the function use parameters from outside (as a model does)")
            arg = arg.data
        if type(arg) is float:
            key.append(float)
            inputs.append(arg)
            continue
        if isinstance(arg, np.generic) and arg.dtype.kind in "iub":
            key.append((type(arg), arg))  # a NumPy int or bool: a setting, like an int
            inputs.append(None)
            continue
        if isinstance(arg, (list, np.ndarray, np.generic)):
            try:
                arg = np.asarray(arg)
            except ValueError:
                raise ValueError(f"trace({name}): argument {position} is a ragged "
                                 "sequence, not an array") from None
            if arg.dtype.kind not in "fiub":
                raise TypeError(f"trace({name}): argument {position} holds {arg.dtype}, "
                                "not numbers")
            if arg.dtype.kind == "f" and arg.ndim == 0 and arg.dtype == np.float64:
                arg = float(arg)
                key.append(float)
            else:
                key.append((arg.shape, arg.dtype, arg.flags.c_contiguous))
            inputs.append(arg)
            continue
        try:
            hash(arg)
        except TypeError:
            raise TypeError(f"trace({name}): argument {position} ({type(arg).__name__}) is "
                            "neither data nor a hashable setting") from None
        key.append((type(arg), arg))
        inputs.append(None)
    arrays = [id(x) for x in inputs if type(x) is np.ndarray]
    if len(set(arrays)) < len(arrays):  # one array passed twice: not the same call as two
        key.append(tuple(arrays.index(i) for i in arrays))
    return tuple(key), inputs


def _written(inputs_before: list, inputs: list) -> str | None:
    """Which argument array a recording call wrote into (a replay would not), if any."""
    for k, (before, now) in enumerate(zip(inputs_before, inputs)):
        if type(now) is np.ndarray and not same(before, now):
            return f"the function writes into its argument {k} (a replay would not)"
    return None


def _nothing() -> None:
    """What an instance's cached traced method unpickles to (see `Traced.__reduce__`)."""
    return None


def _detached(data: Any) -> Value:
    """An extra result: a constant holding a copy (it may be a parameter's or the recording's
    own array, which writing into it would change)."""
    return constant(np.array(data) if isinstance(data, np.ndarray) else data)


def _kinds(returned: Any) -> str:
    if isinstance(returned, (tuple, list)):
        return f"{type(returned).__name__} of {', '.join(type(v).__name__ for v in returned)}"
    return type(returned).__name__


def _arguments(args: tuple, inputs: list) -> list:
    """What ``fn`` receives: float inputs as Values that require grad (so everything
    computed from them is recorded, and a gradient with respect to them is the same in
    every mode), other inputs and settings as given."""
    out = []
    for arg, data in zip(args, inputs):
        if data is None:
            out.append(arg)
        elif type(data) is float or data.dtype.kind == "f":
            out.append(Value(data))
        else:
            out.append(data)
    return out
