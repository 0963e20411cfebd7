"""grad/value_and_grad, second derivatives against closed forms, HVPs against finite
differences of the gradient."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Value

# f, f'' in closed form, and a point away from kinks/poles
SECOND_DERIVATIVES = {
    "exp": (ag.exp, math.exp, 0.7),
    "log": (ag.log, lambda x: -1 / x**2, 1.3),
    "sqrt": (ag.sqrt, lambda x: -0.25 * x**-1.5, 1.7),
    "tanh": (ag.tanh, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), 0.4),
    "sigmoid": (ag.sigmoid,
                lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s), 0.3),
    "softplus": (ag.softplus, lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s), -0.6),
    "sin": (ag.sin, lambda x: -math.sin(x), 0.9),
    "cos": (ag.cos, lambda x: -math.cos(x), 0.9),
    "abs": (ag.abs, lambda x: 0.0, -0.8),
    "relu": (ag.relu, lambda x: 0.0, 0.8),
    "leaky_relu": (lambda v: ag.leaky_relu(v, 0.2), lambda x: 0.0, -0.8),
    "cube": (lambda v: v ** 3, lambda x: 6 * x, -1.1),
    "pow_half": (lambda v: v ** 0.5, lambda x: -0.25 * x**-1.5, 2.0),
    "reciprocal": (lambda v: 1.0 / v, lambda x: 2 / x**3, 1.5),
    "two_pow": (lambda v: 2.0 ** v, lambda x: 2**x * math.log(2) ** 2, 0.5),
    "x_pow_x": (lambda v: v ** v, lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x), 1.4),
    "square_minus": (lambda v: v * v - v, lambda x: 2.0, 3.0),
    "clip": (lambda v: ag.clip(v * v, 0.0, 5.0), lambda x: 2.0, 1.2),
    "maximum": (lambda v: ag.maximum(v * v, 1.0), lambda x: 2.0, 1.5),
}


@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_second_derivative_closed_form(name):
    f, d2, x = SECOND_DERIVATIVES[name]
    assert ag.grad(ag.grad(f))(x) == pytest.approx(d2(x), rel=1e-9, abs=1e-12)


def test_first_derivative_and_value():
    value, slope = ag.value_and_grad(lambda x: x.sin() * x)(0.5)
    assert value == pytest.approx(math.sin(0.5) * 0.5)
    assert slope == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))


def test_third_derivative():
    f = lambda x: x ** 4  # noqa: E731
    assert ag.grad(ag.grad(ag.grad(f)))(1.5) == pytest.approx(24 * 1.5)


def test_argnums_tuple():
    ga, gb = ag.grad(lambda a, b: a * b * b, argnums=(0, 1))(2.0, 3.0)
    assert (ga, gb) == (9.0, 12.0)


def fd_of_gradient(f, x, v, eps=1e-5):
    """H v as central differences of the first-order gradient (itself gradchecked)."""
    g = ag.grad(f)
    return (g(x + eps * v) - g(x - eps * v)) / (2 * eps)


def f_matmul(x):
    A = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    return ((A @ x).tanh() ** 2).sum() + (x.reshape(3, 1) * x).sum()


def test_hvp_against_finite_differences_of_the_gradient():
    x = np.array([0.3, -0.4, 0.2])
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(ag.hvp(f_matmul, x, v), fd_of_gradient(f_matmul, x, v),
                               rtol=1e-7, atol=1e-9)


def test_second_order_through_sum_reshape_matmul_and_softmax():
    r = np.random.default_rng(0)
    W = r.standard_normal((4, 3))
    x = r.standard_normal(4) * 0.5

    def f(v):
        return ag.log_softmax(v.reshape(1, 4) @ W, axis=1).sum() + (v.sum() ** 2)

    for e in np.eye(4):
        np.testing.assert_allclose(ag.hvp(f, x, e), fd_of_gradient(f, x, e),
                                   rtol=1e-7, atol=1e-9)


def test_create_graph_backward_gives_differentiable_grads():
    x = Value(2.0)
    y = x ** 3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0
    (g2,) = ag.gradients(x.grad, [x])
    assert g2 == 12.0  # d/dx 3x^2 = 6x


def test_second_order_through_fused_affine_and_cross_entropy():
    r = np.random.default_rng(3)
    W = r.standard_normal((3, 4))
    labels = np.array([2, 0])
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])

    def f(v, target, reduction):
        loss = ag.softmax_cross_entropy(ag.affine(v.reshape(2, 4), W), target, reduction)
        return loss.sum() if reduction == "none" else loss

    x = r.standard_normal(8) * 0.5
    # 1.7 * probs: rows that do not sum to 1 have their own second derivative
    for target in (labels, probs, 1.7 * probs):
        for reduction in ("none", "mean", "sum"):
            for e in np.eye(8)[:3]:
                fn = lambda v, t=target, red=reduction: f(v, t, red)  # noqa: E731
                np.testing.assert_allclose(ag.hvp(fn, x, e), fd_of_gradient(fn, x, e),
                                           rtol=1e-6, atol=1e-8)


def test_a_vjp_that_runs_the_engine_itself_under_create_graph():
    # a custom op whose higher-order VJP differentiates with gradients(): that nested pass
    # must not wipe the gradient the outer pass has already summed for h (2 from h * 2.0)
    @ag.primitive("half_square")
    def half_square(x):
        return x * x * 0.5

    @half_square.defvjp
    def _half_square_vjp(g, out, x):
        if isinstance(x, Value):  # create_graph: d(x^2/2)/dx by the engine
            (d,) = ag.gradients(x * x * 0.5, [x], create_graph=True)
            return (g * d,)
        return (g * x,)

    x = Value(1.5)
    h = x * 3.0
    y = half_square(h) + h * 2.0  # dy/dx = 3 (h + 2) = 3 * 6.5
    (gx,) = ag.gradients(y, [x], create_graph=True)
    assert gx.data == pytest.approx(19.5)
    (gxx,) = ag.gradients(gx, [x])  # d/dx 3 (3x + 2) = 9
    assert gxx == pytest.approx(9.0)


def test_a_repeated_argnum_gives_plain_gradients():
    ga, gb = ag.grad(lambda a, b: a * a * b, argnums=(0, 0))(3.0, 2.0)
    assert type(ga) is float and (ga, gb) == (12.0, 12.0)


def test_hvp_names_itself_for_a_non_scalar_f_or_a_misshapen_v():
    with pytest.raises(TypeError, match=r"hvp needs a function returning a one-element Value"):
        ag.hvp(lambda x: x * x, np.ones(2), np.ones(2))
    with pytest.raises(ag.ShapeError, match=r"hvp: v of shape \(3,\) does not fit x of shape"):
        ag.hvp(lambda x: (x * x).sum(), np.ones(2), np.ones(3))
