"""Computation-graph diagrams: ``draw(root)`` returns a graphviz Digraph of the graph below root.

Values are micrograd-style records (name | data | grad), each op a small ellipse with one
edge per operand use; parameters, inputs/constants and intermediates have distinct colours.
Walks are iterative (100,000 nodes need no recursion). Needs ``pip install netgrad[viz]``.

Module boxes (``cluster_modules=True`` with ``model=``): a parameter sits in the box of the
module that owns it; an op joins a box when it consumes that module's parameter directly
(``affine``, ``w * x``, ``+ b``), when all its operands come from that box (a neuron's
running sum), or when it is an activation applied to a node of the box.
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings
from collections import Counter, deque
from typing import Any

import numpy as np

from .backward import backward_order, forward_order, gradients
from .diagram import format_number, new_diagram
from .gradcheck import check_leaves
from .mode import detect_anomaly
from .primitive import Constant, unbroadcast
from .value import Value

__all__ = ["draw", "repr_mimebundle"]

COLOURS = {"parameter": "#c7e9c0", "input": "#eeeeee", "constant": "#eeeeee",
           "intermediate": "#dbe9f6", "op": "#fff2cc", "summary": "#f2f2f2", "bad": "#fb9a99"}
RECORD_ESCAPES = {ord(c): "\\" + c for c in "\\{}|<>"}  # characters special in record labels
ACTIVATIONS = {"tanh", "relu", "sigmoid", "leaky_relu", "softplus"}


def _describe(x: Any, precision: int) -> str:
    """Scalar as a number; up to 6 elements listed; bigger tensors as min/mean/max."""
    if x is None:
        return "—"  # before backward: a dash, since a zero would read as a real gradient
    a = np.asarray(x.data if isinstance(x, Value) else x)
    if a.ndim == 0:
        return format_number(a, precision)
    if a.size <= 6:
        number = functools.partial(format_number, precision=precision)
        return np.array2string(a, separator=", ", formatter={"float_kind": number}).replace(
            "\n", "")
    return " ".join(f"{k} {format_number(getattr(a, k)(), precision)}" for k in ("min", "mean",
                                                                                   "max"))


def _nearest(root: Value, limit: int | None) -> set[Value]:
    """The ``limit`` nodes closest to root (breadth-first); all nodes when limit is None."""
    kept, queue = {root}, deque([root])
    while queue and (limit is None or len(kept) < limit):
        for p in queue.popleft()._parents:
            if p not in kept and (limit is None or len(kept) < limit):
                kept.add(p)
                queue.append(p)
    return kept


def _nonfinite(x: Any) -> bool:
    return x is not None and not np.isfinite(np.asarray(x)).all()


def _first_nonfinite(order: list[Value], grads: dict) -> tuple[Value | None, str]:
    """The first node whose data (forward order) or else gradient (backward order) is nan/inf."""
    for node in order:
        if _nonfinite(node.data) and not any(_nonfinite(p.data) for p in node._parents):
            return node, "first nan/inf in data"
    for node in reversed(order):
        if _nonfinite(grads.get(node)):
            return node, "first nan/inf in gradient"
    return None, ""


def _display_grads(root: Value, nodes: list[Value]) -> dict[Value, Any]:
    """Leaves show ``.grad``; intermediates show d root/d node, computed without touching
    ``.grad``. Empty (drawn as '—') while no leaf below root has a gradient yet."""
    leaves = [n for n in nodes if n._op is None and n.requires_grad]
    if not any(n.grad is not None for n in leaves):
        return {}
    grads = {n: n.grad for n in leaves}
    inner = [n for n in nodes if n._op is not None and n.requires_grad]
    if inner and root.size == 1 and root.requires_grad:
        with detect_anomaly(False), np.errstate(all="ignore"):  # draw the trouble, don't raise
            grads.update(zip(inner, gradients(root, inner)))
    return grads


def _vjp(node: Value, g: Any) -> tuple:
    """Each operand's share of the gradient ``g`` flowing into ``node`` (unbroadcast; None
    where the op gives none)."""
    attrs = dict(node._attrs or {})
    if node._op.wants_needs:
        attrs["needs"] = (True,) * len(node._parents)
    grads = node._op.vjp(g, node.data, *[p.data for p in node._parents], **attrs)
    return tuple(pg if pg is None or type(pg) is float else unbroadcast(np.asarray(pg), p.shape)
                 for p, pg in zip(node._parents, grads))


def _modules(model: Any) -> tuple[dict[Value, str], dict[Value, str], dict[str, str]]:
    """From an nn.Module (duck-typed): parameter -> dotted name, parameter -> owning
    module path, module path -> box label."""
    names = {p: n for n, p in model.named_parameters()}
    modules = dict(model.named_modules())
    owners = {}
    for param, name in names.items():
        parts = name.split(".")
        prefixes = (".".join(parts[:i]) for i in range(len(parts) - 1, -1, -1))
        owner = next((path for path in prefixes if path in modules), None)
        if owner is not None:  # the deepest module holding it ("" is the model itself)
            owners[param] = owner
    labels = {path: f"{path or 'model'} ({type(modules[path]).__name__})"
              for path in set(owners.values())}
    return names, owners, labels


def _clusters(order: list[Value], owners: dict[Value, str]) -> dict[Value, str]:
    """Which module box each node goes in (the rule is in the module docstring)."""
    box = dict(owners)
    for node in order:
        if node._op is None:
            continue
        parents = node._parents
        direct = [owners[p] for p in parents if p in owners]
        if direct:
            box[node] = direct[0]
        elif len(parents) == 1 and node._op.name in ACTIVATIONS and parents[0] in box:
            box[node] = box[parents[0]]
        elif len(parents) > 1 and len({box.get(p) for p in parents}) == 1 and parents[0] in box:
            box[node] = box[parents[0]]
    return box


def _edge_style(magnitude: float, lo: float, hi: float) -> dict[str, str]:
    """Gradient-flow edges: width by log-magnitude; pale blue = vanishing, red = exploding."""
    if not math.isfinite(magnitude):
        return {"penwidth": "4", "color": "#d62728", "style": "dashed"}
    scale = 0.0 if magnitude <= 0 or hi <= lo else (math.log10(magnitude) - lo) / (hi - lo)
    colour = "#9ecae1" if magnitude < 1e-4 else "#d62728" if magnitude > 1e3 else "#404040"
    return {"penwidth": f"{0.5 + 3.5 * max(scale, 0.0):.2f}", "color": colour}


def draw(root: Value, model: Any = None, *, rankdir: str = "LR", show_data: bool = True,
         show_grad: bool = True, precision: int = 4, cluster_modules: bool = False,
         gradient_flow: bool = False, max_nodes: int | None = 150,
         show_local_grad: bool = False, show_order: bool = False, check: bool = False):
    """The computation graph below ``root`` as a graphviz Digraph (``.source``, ``.render``).

    ``model`` (an nn.Module) names parameter nodes (``layers.0.weight``) and, with
    ``cluster_modules``, boxes them by module. ``gradient_flow`` scales edges by gradient
    magnitude; ``max_nodes`` keeps the value nodes nearest root and collapses the rest into
    one summary node per op kind with counts. Teaching views: ``show_local_grad`` labels
    operand edges of scalar ops with the local derivative, ``show_order`` numbers nodes in
    backward order. ``check`` marks leaves whose gradient fails a numerical check.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw(root): root must be a Value, got {type(root).__name__}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw(): max_nodes must be at least 1 or None; got {max_nodes}")
    if cluster_modules and model is None:
        raise ValueError("draw(cluster_modules=True) needs model= (the nn.Module to box by)")
    dot = new_diagram("computation_graph", rankdir)
    order = forward_order(root)
    kept = _nearest(root, max_nodes)
    names, owners, labels = _modules(model) if model is not None else ({}, {}, {})
    grads = _display_grads(root, [n for n in order if n in kept])
    bad, bad_reason = _first_nonfinite(order, grads)
    if bad is not None:
        kept.add(bad)
    steps = {n: i for i, n in enumerate(backward_order(root), 1)} if show_order else {}
    gaps = check_leaves(root) if check and root.requires_grad else {}
    box = _clusters(order, owners) if cluster_modules else {}
    ids = {node: str(i) for i, node in enumerate(order)}
    members: dict[str | None, list[tuple[str, str, dict]]] = {}

    def add(node: Value, node_id: str, label: str, **attrs: str) -> None:
        members.setdefault(box.get(node), []).append((node_id, label, attrs))

    edges = []  # (tail, head, label, gradient along the edge or None)
    for node in order:
        if node not in kept:
            continue
        nid = ids[node]
        kind = _kind(node)
        name = node.name or names.get(node)
        fields = _fields(node, name, steps.get(node), grads, show_data, show_grad, precision)
        tip = f"{kind} {name}" if name else kind
        attrs = {"style": "filled", "fillcolor": COLOURS[kind], "tooltip": tip}
        if node in gaps:
            failed = gaps[node] > 0
            fields.append("gradcheck ✗" if failed else "gradcheck ✓")
            attrs.update(color="#d62728" if failed else "#238b45", penwidth="3")
        if node is bad:
            fields.append(f"⚠ {bad_reason}")
            attrs.update(fillcolor=COLOURS["bad"], color="#d62728", penwidth="3")
        text = " | ".join(f.translate(RECORD_ESCAPES) for f in fields)
        text = f"{{ {text} }}" if rankdir in ("LR", "RL") else text  # fields side by side
        add(node, nid, text, shape="record", **attrs)
        if node._op is None:
            continue
        op_id = nid + "op"
        add(node, op_id, node._op.name, shape="ellipse", style="filled", fillcolor=COLOURS["op"],
            fontsize="10", width="0.3", height="0.3", margin="0.03")
        g_out = grads.get(node) if gradient_flow else None
        shares = _vjp(node, g_out) if g_out is not None else ()
        locals_ = _vjp(node, 1.0) if show_local_grad and node.size == 1 else ()
        edges.append((op_id, nid, None, g_out))
        for i, parent in enumerate(node._parents):
            if parent not in kept:
                continue
            label = None
            if locals_ and parent.size == 1 and locals_[i] is not None:
                wrt = parent.name or names.get(parent) or f"x{i}"
                other = node._parents[1 - i] if node._op.name == "*" else None  # d(ab)/da = b
                symbol = f"{other.name} = " if other is not None and other.name else ""
                label = f"∂{name or 'out'}/∂{wrt} = {symbol}{format_number(locals_[i], precision)}"
            edges.append((ids[parent], op_id, label, shares[i] if shares else None))
    _add_edges(dot, edges)
    _add_summaries(dot, order, kept, ids, members)
    _add_nodes(dot, members, labels)
    return dot


def _fields(node: Value, name: str | None, step: int | None, grads: dict, show_data: bool,
            show_grad: bool, precision: int) -> list[str]:
    """A value node's record fields: [#step] [name] [shape dtype] data grad."""
    fields = [] if step is None else [f"#{step}"]
    fields += [name] if name else []
    fields += [f"shape {node.shape} {node.dtype}"] if node.ndim else []
    if show_data or isinstance(node, Constant):
        fields.append(f"data {_describe(node.data, precision)}")
    if show_grad and node.requires_grad:
        fields.append(f"grad {_describe(grads.get(node), precision)}")
    return fields


def _add_nodes(dot, members: dict, labels: dict[str, str]) -> None:
    """Emit nodes: those outside modules at top level, the others in one box per module."""
    for i, (path, nodes) in enumerate(members.items()):
        inside = path is not None
        with dot.subgraph(name=f"cluster_{i}") if inside else contextlib.nullcontext(dot) as out:
            if inside:
                out.attr(label=labels[path], style="rounded,dashed", color="#6a51a3")
            for node_id, label, attrs in nodes:
                out.node(node_id, label, **attrs)


def _add_edges(dot, edges: list[tuple]) -> None:
    """One edge per operand use; with a gradient magnitude, width/colour scale with it
    relative to the graph's range (pale blue = vanishing, red = exploding)."""
    norms = [None if g is None else float(np.linalg.norm(np.asarray(g, dtype=np.float64)))
             for *_, g in edges]
    finite = [m for m in norms if m is not None and math.isfinite(m) and m > 0]
    lo, hi = (math.log10(min(finite)), math.log10(max(finite))) if finite else (0.0, 0.0)
    for (tail, head, label, _), magnitude in zip(edges, norms):
        style = {} if magnitude is None else {
            "tooltip": f"|grad| = {magnitude:.3g}", **_edge_style(magnitude, lo, hi)}
        dot.edge(tail, head, label=label, **style)


def _kind(node: Value) -> str:
    return ("intermediate" if node._op is not None else "parameter" if node.requires_grad
            else "constant" if isinstance(node, Constant) else "input")


def _add_summaries(dot, order: list[Value], kept: set, ids: dict, members: dict) -> None:
    """Collapse nodes outside ``kept`` into one summary node per op kind, with counts."""
    def kind(n: Value) -> str:  # the op's name, or parameter / input / constant
        return n._op.name if n._op is not None else _kind(n)

    hidden = Counter(kind(n) for n in order if n not in kept)
    for k, count in hidden.items():
        members.setdefault(None, []).append((f"more_{k}", f"… {k} × {count:,}", {
            "shape": "box3d", "style": "filled", "fillcolor": COLOURS["summary"]}))
    links = set()
    for node in order:
        head = (ids[node] + "op") if node in kept else f"more_{kind(node)}"
        for p in node._parents:
            if p not in kept and f"more_{kind(p)}" != head:
                links.add((f"more_{kind(p)}", head))
    for tail, head in sorted(links):
        dot.edge(tail, head, style="dashed", color="#888888")


def repr_mimebundle(value: Value, include=None, exclude=None) -> dict[str, str]:
    """Jupyter display of a Value: its graph as SVG, or its text repr when Graphviz is
    missing (a warning says what to install; display never raises)."""
    bundle = {"text/plain": repr(value)}
    try:
        bundle["image/svg+xml"] = draw(value).pipe(format="svg", encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - a display hook must not raise
        warnings.warn(f"Value diagram unavailable: {exc}", stacklevel=2)
    return {k: v for k, v in bundle.items()
            if (not include or k in include) and (not exclude or k not in exclude)}
