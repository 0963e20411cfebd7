"""Every differentiable op against central finite differences, in float64.

Shapes follow the broadcasting matrix (), (4,), (3, 4), (1, 4), (2, 3, 4); inputs
are kept away from kinks (exact kink values are tested in test_engine_values.py).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autograd as ag
from autograd import Value, gradcheck

SHAPES = [(), (4,), (3, 4), (1, 4), (2, 3, 4)]
BROADCAST_PAIRS = [
    ((), (3, 4)),
    ((4,), (3, 4)),
    ((3, 4), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((3, 4), (3, 4)),
    ((1, 4), (3, 1)),
    ((2, 1, 4), (3, 4)),
]


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(shape, seed=0, low=0.2, high=2.0):
    r = rng(seed)
    return r.uniform(low, high, shape) * r.choice([-1.0, 1.0], shape)


def positive(shape, seed=0):
    return rng(seed).uniform(0.3, 2.5, shape)


def distinct(shape, seed=0):
    """Values with gaps far larger than the finite-difference step (no ties)."""
    n = int(np.prod(shape))
    return rng(seed).permutation(np.linspace(-2.0, 2.0, n)).reshape(shape)


UNARY = {
    "neg": (lambda x: -x, away_from_zero),
    "exp": (ag.exp, away_from_zero),
    "log": (ag.log, positive),
    "sqrt": (ag.sqrt, positive),
    "abs": (ag.abs, away_from_zero),
    "tanh": (ag.tanh, away_from_zero),
    "sigmoid": (ag.sigmoid, away_from_zero),
    "relu": (ag.relu, away_from_zero),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1), away_from_zero),
    "softplus": (ag.softplus, away_from_zero),
    "sin": (ag.sin, away_from_zero),
    "cos": (ag.cos, away_from_zero),
    "clip": (lambda x: ag.clip(x, -1.0, 1.0), lambda s, seed=0: distinct(s, seed) * 0.93 + 0.011),
    "clip_min": (lambda x: ag.clip(x, min=0.3), lambda s, seed=0: distinct(s, seed) + 0.011),
    "clip_max": (lambda x: x.clip(max=-0.3), lambda s, seed=0: distinct(s, seed) + 0.011),
    "pow_const": (lambda x: x ** 3, away_from_zero),
    "pow_frac": (lambda x: x ** 0.5, positive),
    "rdiv": (lambda x: 2.0 / x, away_from_zero),
    "rpow": (lambda x: 2.0 ** x, away_from_zero),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_ops(name, shape):
    fn, make = UNARY[name]
    assert gradcheck(fn, make(shape, seed=len(name)))


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "power": lambda a, b: a ** b,
    "maximum": ag.maximum,
    "minimum": ag.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_binary_ops_broadcasting(name, shapes):
    sa, sb = shapes
    if name == "power":
        a, b = positive(sa, 1), away_from_zero(sb, 2)
    elif name in ("maximum", "minimum"):
        a, b = distinct(sa, 1), distinct(sb, 2) + 0.0123  # no ties
    else:
        a, b = away_from_zero(sa, 1), away_from_zero(sb, 2)
    assert gradcheck(BINARY[name], a, b)


@given(arrays(np.float64, st.sampled_from(SHAPES),
              elements=st.floats(0.2, 3.0)),
       st.sampled_from(["exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "sin"]))
@settings(max_examples=25, deadline=None)
def test_unary_ops_on_random_positive_inputs(x, name):
    assert gradcheck(UNARY[name][0], x)


@given(st.sampled_from(BROADCAST_PAIRS), st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_mul_add_chain_random_shapes(shapes, seed):
    a, b = away_from_zero(shapes[0], seed), away_from_zero(shapes[1], seed + 1)
    assert gradcheck(lambda a, b: (a * b + a) / (b * b + 1.0), a, b)


def test_where():
    cond = rng(3).random((3, 4)) > 0.5
    assert gradcheck(lambda x, y: ag.where(cond, x, y), away_from_zero((3, 4)),
                     away_from_zero((1, 4), 5))


AXES = [None, 0, -1, (0, 1), 1]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions(name, axis, keepdims):
    fn = getattr(ag, name)
    x = distinct((2, 3, 4), seed=7)
    assert gradcheck(lambda v: fn(v, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_of_scalars_and_vectors(name):
    fn = getattr(ag, name)
    assert gradcheck(lambda v: fn(v), np.array(0.7))
    assert gradcheck(lambda v: fn(v), distinct((5,)))


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family(name, axis):
    fn = getattr(ag, name)
    assert gradcheck(lambda v: fn(v, axis=axis), away_from_zero((3, 5)))
    assert gradcheck(lambda v: fn(v, axis=axis), away_from_zero((2, 3, 4)))


MATMUL_SHAPES = [
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    a, b = rng(1).standard_normal(shapes[0]), rng(2).standard_normal(shapes[1])
    assert gradcheck(lambda a, b: a @ b, a, b)


@pytest.mark.parametrize("xshape", [(4,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_affine(xshape, with_bias):
    x, w, b = rng(1).standard_normal(xshape), rng(2).standard_normal((5, 4)), rng(3).random(5)
    if with_bias:
        assert gradcheck(ag.affine, x, w, b)
    else:
        assert gradcheck(ag.affine, x, w)


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)], ids=str)
def test_softmax_cross_entropy(shape):
    logits = rng(1).standard_normal(shape) * 3
    labels = rng(2).integers(0, shape[-1], shape[:-1])
    probs = rng(3).dirichlet(np.ones(shape[-1]), shape[:-1]) if len(shape) > 1 else \
        rng(3).dirichlet(np.ones(shape[-1]))
    for reduction in ("none", "mean", "sum"):
        assert gradcheck(lambda z, r=reduction: ag.softmax_cross_entropy(z, labels, r), logits)
        assert gradcheck(lambda z, r=reduction: ag.softmax_cross_entropy(z, probs, r), logits)
    # Rows that do not sum to 1 (unnormalised weights): the gradient is
    # softmax * sum(t) - t, not softmax - t.
    assert gradcheck(lambda z: ag.softmax_cross_entropy(z, 2.5 * probs), logits)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int32, np.uint64, np.int64])
def test_softmax_cross_entropy_takes_any_integer_label_dtype(dtype):
    logits = rng(1).standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    loss = ag.softmax_cross_entropy(logits, labels.astype(dtype))
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(loss, -log_softmax[np.arange(3), labels], rtol=1e-14)


@pytest.mark.parametrize("reduction, reduce", [("mean", np.mean), ("sum", np.sum)])
def test_softmax_cross_entropy_reduction_matches_numpy(reduction, reduce):
    logits = rng(1).standard_normal((4, 3)) * 3
    labels = np.array([0, 2, 1, 2])
    z = Value(logits)
    loss = ag.softmax_cross_entropy(z, labels, reduction)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(loss.item(), reduce(-log_softmax[np.arange(4), labels]),
                               rtol=1e-14)
    loss.backward()
    loss.backward()  # twice: the saved softmax must not have been changed by the first
    expected = np.exp(log_softmax) - np.eye(3)[labels]
    expected /= 4 if reduction == "mean" else 1
    np.testing.assert_allclose(z.grad, 2 * expected, rtol=1e-13)
    assert "saved" not in loss.attrs and loss.attrs["reduction"] == reduction


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("shape, scale, offset", [
    ((5,), 3.0, 0.0), ((3, 5), 3.0, 0.0), ((2, 3, 5), 3.0, 0.0),
    ((4, 10), 30.0, 0.0), ((4, 10), 1.0, 1e4), ((4, 10), 1.0, -1e4),
], ids=str)
def test_softmax_cross_entropy_label_gradient_matches_textbook(shape, scale, offset, dtype, tol):
    # The label VJP reuses the softmax saved by the forward; it must agree with
    # softmax - onehot, also for big offsets.
    logits = (rng(1).standard_normal(shape) * scale + offset).astype(dtype)
    labels = rng(2).integers(0, shape[-1], shape[:-1])
    g = rng(3).random(shape[:-1]) + 0.5
    z = Value(logits)
    ag.softmax_cross_entropy(z, labels).backward(g)
    e = np.exp(logits.astype(np.float64) - logits.max(axis=-1, keepdims=True))
    expected = e / e.sum(axis=-1, keepdims=True) - np.eye(shape[-1])[labels]
    expected *= np.reshape(g, np.shape(g) + (1,))
    assert z.grad.dtype == dtype
    np.testing.assert_allclose(z.grad, expected, rtol=0, atol=tol)


@pytest.mark.parametrize("layout", ["fortran", "transposed_3d", "strided"])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_softmax_cross_entropy_label_gradient_for_any_memory_layout(layout, reduction):
    # Logits that are not C-contiguous (e.g. computed as (W @ X.T).T) must get the same
    # gradient: softmax - onehot, written here in NumPy.
    base = rng(1).standard_normal((4, 3, 5))
    logits = {"fortran": np.asfortranarray(base[0]), "transposed_3d": base.transpose(1, 0, 2),
              "strided": np.repeat(base[0], 2, axis=1)[:, ::2]}[layout]
    labels = rng(2).integers(0, logits.shape[-1], logits.shape[:-1])
    z = Value(logits)
    loss = ag.softmax_cross_entropy(z, labels, reduction)
    loss.backward(None if reduction == "mean" else np.ones(labels.shape))
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    expected = e / e.sum(axis=-1, keepdims=True) - np.eye(logits.shape[-1])[labels]
    expected /= labels.size if reduction == "mean" else 1
    np.testing.assert_allclose(z.grad, expected, rtol=0, atol=1e-15)


def test_softmax_cross_entropy_label_gradient_when_a_row_overflows():
    # The loss of the second row is inf (the label's logit is -1e308 away): the gradient
    # is still softmax - onehot, as the full recomputation gives.
    logits = np.array([[0.5, -0.5, 2.0], [1e308, -1e308, 0.0]])
    z = Value(logits)
    with np.errstate(all="ignore"):
        loss = ag.softmax_cross_entropy(z, np.array([2, 1]))
        assert np.isinf(loss.data[1])
        loss.backward(np.ones(2))
    e = np.exp(logits[0] - 2.0)
    np.testing.assert_allclose(z.grad[0], e / e.sum() - [0, 0, 1], atol=1e-15)
    np.testing.assert_array_equal(z.grad[1], [1.0, -1.0, 0.0])


SHAPE_OPS = {
    "reshape": (lambda x: x.reshape(4, 6), (2, 3, 4)),
    "reshape_-1": (lambda x: x.reshape(-1), (2, 3, 4)),
    "transpose": (lambda x: x.transpose(), (2, 3, 4)),
    "transpose_axes": (lambda x: x.transpose(1, 2, 0), (2, 3, 4)),
    "T": (lambda x: x.T, (3, 4)),
    "swapaxes": (lambda x: ag.swapaxes(x, 0, 2), (2, 3, 4)),
    "broadcast_to": (lambda x: ag.broadcast_to(x, (2, 3, 4)), (3, 1)),
    "expand_dims": (lambda x: ag.expand_dims(x, 1), (3, 4)),
    "squeeze": (lambda x: ag.squeeze(x, 1), (3, 1, 4)),
    "squeeze_all": (lambda x: ag.squeeze(x), (1, 3, 1)),
    "slice": (lambda x: x[1:, ::2], (3, 4)),
    "int_index": (lambda x: x[1], (3, 4)),
    "ellipsis_newaxis": (lambda x: x[..., None, 2], (2, 3, 4)),
    "array_index_repeated": (lambda x: x[np.array([0, 2, 0, 0])], (3, 4)),
    "fancy_2d": (lambda x: x[np.array([0, 1, 1]), np.array([3, 0, 3])], (3, 4)),
    "bool_mask": (lambda x: x[np.array([True, False, True])], (3, 4)),
    "list_index": (lambda x: x[[1, 1, 2]], (3, 4)),
    "negative_steps": (lambda x: x[::-2, -1:0:-1], (3, 4)),
    "basic_and_advanced": (lambda x: x[1:, None, [2, 0, 2]], (3, 4)),
    "advanced_split_by_slice": (lambda x: x[[0, 0], :, [3, 1]], (2, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name):
    fn, shape = SHAPE_OPS[name]
    assert gradcheck(fn, rng(4).standard_normal(shape))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_and_stack(axis):
    a, b, c = (rng(i).standard_normal((2, 3)) for i in range(3))
    assert gradcheck(lambda a, b, c: ag.concat([a, b, c], axis=axis), a, b, c)
    assert gradcheck(lambda a, b, c: ag.stack([a, b, c], axis=axis), a, b, c)
    d = rng(9).standard_normal((2, 5))
    assert gradcheck(lambda a, d: ag.concat([a, d], axis=1), a, d)


def test_gradcheck_catches_a_wrong_rule():
    """gradcheck must fail loudly for a VJP with a wrong factor (guards the guard)."""
    bad = ag.primitive("bad_square")(lambda x: x * x)
    bad.defvjp(lambda g, out, x: (g * x,))  # should be 2 * g * x
    message = r"input 0 .* index \(0,\).*engine gradient 0.12.*finite differences 0.25"
    with pytest.raises(ag.GradcheckError, match=message):
        gradcheck(lambda v: bad(v), np.array([1.0, 2.0]))


def test_value_inputs_are_accepted():
    assert gradcheck(lambda v: (v * v).sum(), Value([1.0, 2.0]))


def test_check_leaves_passes_correct_graphs_and_flags_a_wrong_rule():
    a, b = Value(2.0), Value(-3.0)
    assert all(gap <= 0 for gap in ag.check_leaves((a * b + a).tanh()).values())
    x = Value(rng(5).standard_normal((2, 2)))
    assert all(gap <= 0 for gap in ag.check_leaves((x @ x).sigmoid()).values())
    bad = ag.primitive("bad_square")(lambda x: x * x)
    bad.defvjp(lambda g, out, x: (g * x,))
    y = Value(np.array([1.0, 2.0]))
    assert ag.check_leaves(bad(y).sum())[y] > 0.5
