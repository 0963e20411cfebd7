"""Reverse mode: order the graph without recursion, then run each node's VJP once.

A node's VJP runs only after every node that consumed it has sent its gradient
(Kahn's algorithm on consumer counts), so contributions from a node used several
times are summed first. Pending gradients live in a dict local to the pass (so a VJP may
run a pass of its own) and are dropped as soon as they are used. Leaves need no order:
each contribution is added to their ``.grad`` as it arrives, and only leaves keep ``.grad``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .data import as_data
from .errors import ShapeError
from .mode import MODE
from .primitive import check_finite_backward, constant, unbroadcast
from .value import Value


def _count_uses(roots: Sequence[Value], leaves: bool = False) -> dict[Value, int]:
    """For every op node below ``roots`` (and, with ``leaves``, every leaf that requires
    grad): how many operand slots of its consumers point at it. Iterative, so chains of
    millions of nodes need no recursion."""
    uses = {}
    stack = []
    for root in roots:
        if (root._op is not None or leaves and root.requires_grad) and root not in uses:
            uses[root] = 0
            stack.append(root)
    while stack:
        for parent in stack.pop()._parents:
            if parent._op is not None or leaves and parent.requires_grad:
                if parent in uses:
                    uses[parent] += 1
                else:
                    uses[parent] = 1
                    stack.append(parent)
    return uses


def forward_order(root: Value) -> list[Value]:
    """Every node below ``root`` (root included), each after all its operands: the order the
    ops ran in, up to ties (iterative depth-first, so any depth works)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node._parents) if p not in visited)
    return order


def backward_order(root: Value) -> list[Value]:
    """Nodes that need a gradient, in the order backward visits them (root first): a node
    comes after every node that consumes it (Kahn's algorithm)."""
    uses = _count_uses([root], leaves=True)
    order = []
    ready = [root] if uses else []
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node._parents:
            if parent.requires_grad:
                left = uses[parent] - 1
                uses[parent] = left
                if left == 0:
                    ready.append(parent)
    return order


def _seed(root: Value, gradient: Any, create_graph: bool) -> Any:
    if gradient is None:
        if root.size != 1:
            raise ValueError(
                f"backward() on a Value of shape {root.shape} needs gradient= "
                f"(an array of shape {root.shape}); only one-element outputs seed it with 1"
            )
        data = root.data
        # 1 in the root's dtype; a NumPy scalar for 0-d roots (np.ones_like is slow)
        seed = 1.0 if type(data) is float else \
            data.dtype.type(1) if data.ndim == 0 else np.ones_like(data)
    else:
        seed = as_data(gradient, "gradient")
        shape = () if type(seed) is float else seed.shape
        if shape != root.shape:
            raise ShapeError(f"backward(): gradient has shape {shape}, the Value has {root.shape}")
        if type(seed) is np.ndarray:  # the engine's own copy: a leaf root would keep the
            seed = seed.copy()        # caller's array as .grad and add into it later
    return constant(seed) if create_graph else seed


def _run(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool,
         targets: dict | None) -> None:
    """Backpropagate ``seeds`` from ``roots`` with grad mode set to ``create_graph`` and the
    garbage collector paused (see `gc_paused`), both restored afterwards.

    ``targets`` None: add each leaf's total gradient to its ``.grad``. Otherwise a dict
    {node: None} that receives each target's total gradient, leaving ``.grad`` alone.
    """
    grad_mode, collecting = MODE.grad_enabled, gc.isenabled()
    MODE.grad_enabled = create_graph
    gc.disable()
    try:
        _propagate(roots, seeds, create_graph, targets)
    finally:
        MODE.grad_enabled = grad_mode
        if collecting:
            gc.enable()


def _propagate(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool,
               targets: dict | None) -> None:
    """`_run`'s pass. An op node waits (Kahn's order) until all its gradient has arrived; a
    leaf needs no order, so each contribution is delivered to it as it comes."""
    uses = _count_uses(roots)
    deliver = _accumulate if targets is None else _collector(targets)
    pending: dict[Value, Any] = {}
    for root, seed in zip(roots, seeds):
        if root._op is None:
            deliver(root, seed, False)
        else:
            pending[root] = seed if root not in pending else pending[root] + seed
    ready = [root for root in pending if not uses[root]]  # (the op roots, each once)
    anomaly = MODE.anomaly
    pop_ready, push_ready = ready.pop, ready.append  # bound once: this loop is the hot path
    take_pending, peek_pending = pending.pop, pending.get

    while ready:
        node = pop_ready()
        g = take_pending(node, None)
        if g is None:  # no gradient reached it (its consumers' VJPs skipped it)
            _release_parents(node, uses, push_ready)
            continue
        if targets is not None and node in targets:
            targets[node] = g
        op = node._op
        parents = node._parents
        attrs = node._attrs
        if create_graph:
            grads = op.vjp(g, node, *parents, **(attrs or {}))
        elif attrs is not None:
            grads = op.vjp(g, node.data, *[p.data for p in parents], **attrs)
        elif len(parents) == 2:
            grads = op.vjp(g, node.data, parents[0].data, parents[1].data)
        else:
            grads = op.vjp(g, node.data, *[p.data for p in parents])
        if anomaly:
            check_finite_backward(op, parents, g, grads)
        for parent, pg in zip(parents, grads):
            if not parent.requires_grad:
                continue
            if pg is not None and type(pg) is not float:
                data = parent.data  # (not .shape: a property call per operand)
                shape = () if type(data) is float else data.shape
                if pg.shape != shape:
                    pg = unbroadcast(pg, shape)
            if parent._op is None:  # a leaf
                if pg is None:
                    continue
                if type(pg) is float and type(parent.grad) is float and targets is None:
                    parent.grad += pg  # scalar leaves used many times: no call per use
                else:
                    deliver(parent, pg, pg is g)
                continue
            if pg is not None:
                old = peek_pending(parent)
                pending[parent] = pg if old is None else old + pg
            left = uses[parent] - 1
            uses[parent] = left
            if left == 0:
                push_ready(parent)


def _release_parents(node: Value, uses: dict[Value, int], push_ready: Callable) -> None:
    """A node without gradient still counts as done for its operands."""
    for parent in node._parents:
        if parent._op is not None:
            left = uses[parent] - 1
            uses[parent] = left
            if left == 0:
                push_ready(parent)


def _accumulate(leaf: Value, g: Any, shared: bool) -> None:
    """Add ``g`` into ``leaf.grad`` in the leaf's dtype. The first gradient is kept as is
    when it is a fresh array of the engine's that nothing else holds (not ``shared``, the
    incoming gradient passed straight through); later ones are added in place."""
    data = leaf.data
    if type(g) is np.ndarray and type(data) is np.ndarray:  # the common case first
        if leaf.grad is not None:
            leaf.grad += g
        elif not shared and g.base is None and g.dtype == data.dtype and g.flags.writeable:
            leaf.grad = g
        else:
            leaf.grad = np.array(g, dtype=data.dtype)
        return
    if isinstance(g, Value):
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    if type(data) is float:
        g = float(g)
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:  # a NumPy scalar for a 0-d array
        leaf.grad = np.array(g, dtype=data.dtype)
    else:
        leaf.grad += g


def _collector(targets: dict) -> Callable[[Value, Any, bool], None]:
    """`gradients`' delivery to leaves: sums each target leaf's contributions in ``targets``
    (out of place; a ``shared`` first array is copied, so no two results are one array)."""
    def collect(leaf: Value, g: Any, shared: bool) -> None:
        if leaf in targets:
            old = targets[leaf]
            if old is not None:
                targets[leaf] = old + g
            else:
                targets[leaf] = g.copy() if shared and type(g) is np.ndarray else g
    return collect


def backward(root: Value, gradient: Any = None, create_graph: bool = False) -> None:
    """Add d(root)/d(leaf) (times ``gradient``) into ``.grad`` of every leaf needing it."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this Value does not require grad — it was computed only from "
            "constants (requires_grad=False) or inside no_grad()"
        )
    _run([root], [_seed(root, gradient, create_graph)], create_graph, None)


def gradients(outputs: Value | Sequence[Value], inputs: Value | Sequence[Value],
              grad_outputs: Any = None, create_graph: bool = False) -> tuple[Any, ...]:
    """d(outputs)/d(inputs) as a tuple (one entry per input), without touching ``.grad``.

    Like ``torch.autograd.grad``. An input the outputs do not depend on gets zeros.
    With ``create_graph=True`` the results are Values that can be differentiated again.
    """
    outputs = [outputs] if isinstance(outputs, Value) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Value) or not isinstance(
        grad_outputs, (list, tuple)
    ):
        grad_outputs = [grad_outputs] * len(outputs)
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    targets = dict.fromkeys(inputs)
    if live:
        seeds = [_seed(o, g, create_graph) for o, g in live]
        _run([o for o, _ in live], seeds, create_graph, targets)
    return tuple(_zeros_if_none(targets[x], x, create_graph) for x in inputs)


def _zeros_if_none(g: Any, x: Value, create_graph: bool) -> Any:
    if g is None:
        data = x.data
        g = 0.0 if type(data) is float else np.zeros_like(data)
        return constant(g) if create_graph else g
    return g


def leaves(root: Value) -> Iterable[Value]:
    """The leaves that require grad below ``root`` (parameters and inputs), in backward order."""
    return [n for n in backward_order(root) if n._op is None]
