"""The floor: the fewest Python steps per node a pure-Python scalar engine can take.

A speed reference for the benchmarks only (as the hand-written NumPy step is for tensors),
never used by netgrad. A node is four slots (data, grad, parents, an op code) and nothing
else: no closure per node, no function call per node in the backward pass (it dispatches
on the op code inline, in one loop), no dtypes, shapes, constants, modes or checks. A
pure-Python engine can hardly do less per node, so its time on a workload is a floor for
any of them, netgrad's scalar Values included, on the machine at hand; absolute targets
set on another machine can be read against it.

The backward pass visits nodes in Kahn's order on consumer counts, like netgrad's: no
recursion, so chains of millions of nodes work.
"""

from __future__ import annotations

__all__ = ["MLP", "Value"]

_LEAF, _ADD, _MUL, _RELU = 0, 1, 2, 3


class Value:
    """A scalar node: ``data``, ``grad`` (backward adds into it), the ``parents`` it was
    computed from and the ``op`` code that computed it (0 for a leaf). A Python number
    operand of ``+`` or ``*`` becomes a leaf."""

    __slots__ = ("data", "grad", "parents", "op")

    def __init__(self, data: float, parents: tuple[Value, ...] = (), op: int = _LEAF) -> None:
        self.data = data
        self.grad = 0.0
        self.parents = parents
        self.op = op

    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = Value(other)
        return Value(self.data + other.data, (self, other), _ADD)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = Value(other)
        return Value(self.data * other.data, (self, other), _MUL)

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self) -> Value:
        return self * -1.0

    def relu(self) -> Value:
        data = self.data
        return Value(data if data > 0 else 0.0, (self,), _RELU)

    def backward(self) -> None:
        """Add d(self)/d(leaf) into ``grad`` of every leaf below (leaves accumulate across
        calls, as in micrograd; inner nodes are reset, so a second call is right too)."""
        uses: dict[Value, int] = {}  # inner nodes only: leaves wait for nobody
        stack = [self]
        while stack:
            for parent in stack.pop().parents:
                if parent.op:
                    if parent in uses:
                        uses[parent] += 1
                    else:
                        uses[parent] = 1
                        parent.grad = 0.0
                        stack.append(parent)
        self.grad = 1.0 if self.op else self.grad + 1.0
        ready = [self]
        pop, push = ready.pop, ready.append
        while ready:
            node = pop()
            g = node.grad
            op = node.op
            parents = node.parents
            if op == _ADD:
                a, b = parents
                a.grad += g
                b.grad += g
            elif op == _MUL:
                a, b = parents
                a.grad += g * b.data
                b.grad += g * a.data
            elif op == _RELU and node.data > 0:
                parents[0].grad += g
            for parent in parents:
                if parent.op:
                    left = uses[parent] - 1
                    uses[parent] = left
                    if not left:
                        push(parent)


class MLP:
    """micrograd's ``MLP`` on this engine: ReLU hidden neurons, a linear output neuron, each
    summing ``b + w0*x0 + w1*x1 + ...`` in that order (micrograd's)."""

    def __init__(self, layers: list[list[tuple[list[float], float]]]) -> None:
        """``layers``: per layer, per neuron, (its incoming weights, its bias)."""
        self.layers = [[([Value(w) for w in weights], Value(bias)) for weights, bias in layer]
                       for layer in layers]

    def __call__(self, x: list[Value]) -> Value:
        """The output of the last layer's first neuron for inputs ``x``."""
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            sums = [sum((w * xi for w, xi in zip(weights, x)), bias) for weights, bias in layer]
            x = [s.relu() for s in sums] if i < last else sums
        return x[0]

    def parameters(self) -> list[Value]:
        """Weights then bias of each neuron, layer by layer (micrograd's order)."""
        return [p for layer in self.layers for weights, bias in layer for p in (*weights, bias)]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0
