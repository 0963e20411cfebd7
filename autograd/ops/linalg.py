"""Matrix product ``a @ b`` for 1-d, 2-d and batched (broadcast) operands."""

from __future__ import annotations

from ..errors import ShapeError
from ..primitive import data_shape, operand, primitive
from .shape import expand_dims, squeeze, swapaxes


@primitive("@")
def _matmul(a, b):
    return a @ b


@_matmul.defvjp
def _matmul_vjp(g, out, a, b, needs):
    a_nd, b_nd = len(data_shape(a)), len(data_shape(b))
    if a_nd == 1 and b_nd == 1:  # dot product
        return g * b, g * a
    if a_nd == 1:  # (k,) @ (..., k, m) -> (..., m)
        g2 = expand_dims(g, -2)
        grad_a = squeeze(g2 @ swapaxes(b, -1, -2), -2) if needs[0] else None
        return grad_a, expand_dims(a, -1) @ g2 if needs[1] else None
    if b_nd == 1:  # (..., n, k) @ (k,) -> (..., n)
        g2 = expand_dims(g, -1)
        grad_b = squeeze(swapaxes(a, -1, -2) @ g2, -1) if needs[1] else None
        return g2 @ expand_dims(b, -2) if needs[0] else None, grad_b
    grad_a = g @ swapaxes(b, -1, -2) if needs[0] else None
    return grad_a, swapaxes(a, -1, -2) @ g if needs[1] else None


def matmul(a, b):
    """``a @ b``: dot product (1-d), matrix product (2-d), batched with broadcasting (n-d)."""
    a, b = operand(a, "@"), operand(b, "@")
    sa, sb = data_shape(a), data_shape(b)
    if not sa or not sb:
        raise ShapeError(f"@: both operands need at least 1 dim, got shapes {sa} and {sb}")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ShapeError(
            f"@: shapes {sa} and {sb} are not aligned: {k_a} (last dim of the first) "
            f"!= {k_b} ({'only' if len(sb) == 1 else 'second-to-last'} dim of the second)"
        )
    return _matmul(a, b)
