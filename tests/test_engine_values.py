"""Forward values against NumPy/closed forms, stability, kinks, interop and display."""

import math
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import ShapeError, Value

X = np.array([[-2.0, -0.5, 0.0], [0.3, 1.0, 4.0]])


@pytest.mark.parametrize("name, reference", [
    ("exp", np.exp), ("tanh", np.tanh), ("sin", np.sin), ("cos", np.cos), ("abs", np.abs),
    ("relu", lambda x: np.where(x > 0, x, 0.0)),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("softplus", lambda x: np.log1p(np.exp(x))),
])
def test_elementwise_forward_matches_numpy_for_arrays_and_scalars(name, reference):
    fn = getattr(ag, name)
    np.testing.assert_allclose(fn(Value(X)).data, reference(X), rtol=1e-12, atol=1e-15)
    for x in X.ravel():
        got = fn(Value(float(x))).data
        assert type(got) is float  # the scalar fast path
        assert got == pytest.approx(float(reference(np.float64(x))), rel=1e-12, abs=1e-15)


def test_scalar_path_matches_numpy_on_invalid_values():
    with np.errstate(all="ignore"):
        assert Value(0.0).log().data == -math.inf
        assert math.isnan(Value(-1.0).log().data)
        assert math.isnan(Value(-1.0).sqrt().data)
        assert Value(1000.0).exp().data == math.inf
        assert (Value(1.0) / 0.0).data == math.inf
        assert math.isnan((Value(-8.0) ** (1 / 3)).data)
        assert (Value(0.0) ** -1.0).data == math.inf


def test_sigmoid_and_softplus_are_stable_in_the_tails():
    big = np.array([-800.0, -40.0, 40.0, 800.0])
    s = ag.sigmoid(Value(big)).data
    assert np.all(np.isfinite(s)) and s[1] == pytest.approx(math.exp(-40), rel=1e-12)
    assert ag.sigmoid(Value(-40.0)).data == pytest.approx(math.exp(-40), rel=1e-12)
    np.testing.assert_allclose(ag.softplus(Value(big)).data, [0.0, math.exp(-40), 40.0, 800.0],
                               rtol=1e-12)


def test_logsumexp_softmax_log_softmax_no_overflow_at_1000():
    z = np.array([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]])
    lse = ag.logsumexp(Value(z), axis=1).data
    np.testing.assert_allclose(lse, [1000 + math.log(2), math.log(math.e**0 + math.e + math.e**2)])
    sm = ag.softmax(Value(z), axis=1).data
    np.testing.assert_allclose(sm[0], [0.5, 0.5, 0.0])
    lsm = ag.log_softmax(Value(z), axis=1)
    assert np.isfinite(lsm.data[0, :2]).all()
    lsm.sum().backward()  # gradients stay finite
    ce = ag.softmax_cross_entropy(Value(z), np.array([2, 0]))
    assert ce.data[0] == pytest.approx(2000 + math.log(2))


@pytest.mark.parametrize("fn, x, expected", [
    (ag.relu, 0.0, 0.0),                      # relu'(0) = 0, as PyTorch
    (lambda v: ag.leaky_relu(v, 0.1), 0.0, 0.1),
    (ag.abs, 0.0, 0.0),
    (lambda v: ag.clip(v, -1.0, 1.0), 1.0, 1.0),   # boundary passes the gradient
    (lambda v: ag.clip(v, -1.0, 1.0), 1.5, 0.0),
])
def test_exact_gradients_at_kinks(fn, x, expected):
    v = Value(x)
    fn(v).backward()
    assert v.grad == expected


@pytest.mark.parametrize("x", [np.float32(-1.5), np.array(2.0, dtype=np.float32),
                               np.array(-0.5, dtype=">f8")], ids=repr)
def test_zero_d_arrays_other_than_native_float64_backpropagate_through_abs(x):
    # float32 scalars stay 0-d arrays (to keep their dtype); abs' VJP once treated them
    # as Python floats and crashed subtracting NumPy booleans.
    v = Value(x)
    v.abs().backward()
    assert float(v.grad) == np.sign(float(x))


def test_big_endian_input_becomes_native_data():
    data = np.array([[1.0, -2.0], [3.0, 0.5]], dtype=">f8")  # as read from some files
    v = Value(data)
    assert v.dtype == np.float64 and v.dtype.isnative
    (v * v).sum().backward()
    np.testing.assert_array_equal(v.grad, 2 * data.astype(np.float64))
    assert v.grad.dtype.isnative


def test_ties_share_the_gradient():
    a, b = Value(2.0), Value(2.0)
    ag.maximum(a, b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)
    x = Value(np.array([3.0, 1.0, 3.0]))
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.0, 0.5])


def test_matmul_forms_match_numpy():
    r = np.random.default_rng(0)
    for sa, sb in [((4,), (4,)), ((3, 4), (4, 2)), ((2, 3, 4), (4,)), ((5, 2, 3), (5, 3, 2))]:
        a, b = r.standard_normal(sa), r.standard_normal(sb)
        np.testing.assert_allclose((Value(a) @ Value(b)).data, a @ b)
        np.testing.assert_allclose((a @ Value(b)).data, a @ b)


def test_affine_matches_numpy():
    r = np.random.default_rng(1)
    x, w, b = r.standard_normal((6, 4)), r.standard_normal((3, 4)), r.standard_normal(3)
    np.testing.assert_allclose(ag.affine(Value(x), Value(w), Value(b)).data, x @ w.T + b)


def test_getitem_repeated_indices_sum_in_backward():
    x = Value(np.arange(4.0))
    x[np.array([1, 1, 3, 1])].sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 3.0, 0.0, 1.0])


def test_reflected_operators():
    x = Value(3.0)
    assert (2 * x).data == 6.0 and (1 - x).data == -2.0 and (6 / x).data == 2.0
    assert (2 ** x).data == 8.0 and (-x).data == -3.0 and (x + 1).data == 4.0
    arr = np.array([1.0, 2.0])
    y = arr * Value(arr)
    assert isinstance(y, Value) and np.allclose(y.data, [1.0, 4.0])
    assert isinstance(np.float64(2.0) * x, Value)


def test_comparisons_are_plain_booleans_outside_the_graph():
    x = Value(np.array([1.0, 2.0, 3.0]))
    mask = x > 1.5
    assert isinstance(mask, np.ndarray) and mask.dtype == bool
    assert list(mask) == [False, True, True]
    assert list(x == Value(np.array([1.0, 0.0, 3.0]))) == [True, False, True]
    assert (Value(1.0) < 2.0) is True


def test_numpy_interop_and_accessors():
    v = Value([[1, 2], [3, 4]], name="w")
    assert np.asarray(v).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert v.shape == (2, 2) and v.ndim == 2 and v.dtype == np.float64 and v.size == 4
    assert v.numpy() is v.data
    assert Value(2.5).item() == 2.5 and Value(np.array([7.0])).item() == 7.0
    with pytest.raises(ValueError, match=r"one-element.*\(2, 2\)"):
        v.item()


def test_repr_is_compact():
    x = Value(2.0)
    y = x * -1.5
    y.backward()
    assert repr(x) == "Value(data=2.0, grad=-1.5)"
    assert repr(Value(1 / 3)) == "Value(data=0.333333, grad=None)"
    assert "grad=None" in repr(y)
    big = Value(np.arange(100.0).reshape(10, 10), name="W")
    text = repr(big)
    assert "shape=(10, 10)" in text and "mean=49.5" in text and "name='W'" in text
    assert len(text) < 150


def test_operands_given_as_lists_and_ints_work_like_numpy():
    x = Value(X)
    np.testing.assert_allclose((x @ [1, 2, 3]).data, X @ np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(([1, 2] @ x).data, np.array([1.0, 2.0]) @ X)
    assert ag.sum([1, 2, 3]) == 6.0
    assert ag.reshape([1, 2, 3, 4], (2, 2)).shape == (2, 2)
    assert ag.broadcast_to(Value([1.0]), 3).shape == (3,)


def test_logsumexp_and_softmax_over_an_empty_axis_are_their_limits():
    # log(sum(exp([]))) = log(0) = -inf, as scipy.special.logsumexp and torch.logsumexp
    assert ag.logsumexp(Value(np.zeros(0))).item() == -np.inf
    np.testing.assert_array_equal(ag.logsumexp(Value(np.zeros((2, 0))), axis=1).data,
                                  [-np.inf, -np.inf])
    assert ag.softmax(Value(np.zeros((3, 0)))).shape == (3, 0)
    assert ag.log_softmax(Value(np.zeros((3, 0)))).shape == (3, 0)


def test_zero_to_a_trainable_zeroth_power_has_zero_base_gradient():
    # d/da a**b = b * a**(b-1) is 0 when b == 0 (as for a constant exponent, and in PyTorch)
    for data in (0.0, np.array([0.0, 2.0])):
        a, b = Value(data), Value(np.zeros_like(data) if np.ndim(data) else 0.0)
        (a ** b).sum().backward()
        np.testing.assert_array_equal(a.grad, np.zeros_like(data))
        np.testing.assert_array_equal(b.grad, [0.0, math.log(2.0)] if np.ndim(data) else 0.0)


def test_an_array_of_exponents_is_a_constant_operand():
    base = np.array([2.0, 3.0, 0.5])
    for exponent in (np.array([1.0, 2.0, -1.0]), [1, 2, -1]):
        x = Value(base)
        y = x ** exponent
        y.sum().backward()
        e = np.asarray(exponent, dtype=float)
        np.testing.assert_allclose(y.data, base ** e)
        np.testing.assert_allclose(x.grad, e * base ** (e - 1))


def test_ops_called_on_plain_data_convert_it_or_name_themselves():
    np.testing.assert_allclose(ag.sigmoid([0.0, 1.0]), 1 / (1 + np.exp(-np.array([0.0, 1.0]))))
    assert ag.exp(1) == pytest.approx(math.e)
    with pytest.raises(TypeError, match="exp: operand must be a number or an array"):
        ag.exp("abc")


def test_iterating_a_scalar_value_raises_instead_of_yielding_nothing():
    with pytest.raises(TypeError, match="scalar Value"):
        iter(Value(2.0))
    with pytest.raises(TypeError, match="scalar Value"):
        a, b = Value(np.float32(1.0))
    x = Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    rows = list(x)
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * rows[1]).sum().backward()  # rows stay in the graph
    np.testing.assert_allclose(x.grad, [[3.0, 4.0], [1.0, 2.0]])


def test_equality_with_non_numbers_is_false_like_python_and_numpy():
    x = Value(2.0)
    assert (x == None) is False and (x != "a") is True  # noqa: E711
    assert x not in [None, "a", 3.0] and x in [None, x]
    with pytest.raises(TypeError, match="'<' not supported"):
        x < None  # noqa: B015


def test_comparing_unbroadcastable_shapes_names_the_shapes():
    with pytest.raises(ShapeError, match=r"'==': cannot broadcast shapes \(3,\) and \(2, 2\)"):
        Value([1.0, 2.0, 3.0]) == np.ones((2, 2))  # noqa: B015


def test_format_int_and_truth_value_follow_pytorch():
    loss = Value(np.float32(0.123456))
    assert f"{loss:.3f}" == "0.123" and f"{Value(2.0):>5}" == "  2.0"
    assert int(Value(2.7)) == 2 and int(Value([-3.5])) == -3
    assert f"{Value([1.0, 2.0])}" == str(Value([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"format.*shape \(2,\)"):
        f"{Value([1.0, 2.0]):.3f}"
    assert bool(Value([0.0])) is False
    with pytest.raises(ValueError, match=r"truth value of a Value of shape \(2,\) is ambiguous"):
        bool(Value([1.0, 2.0]))


def test_numpy_reductions_on_a_value_give_values_in_the_graph():
    data = np.array([[1.0, 5.0], [3.0, 4.0]])
    for fn, grad in [(np.sum, np.ones((2, 2))), (np.mean, np.full((2, 2), 0.25)),
                     (np.max, [[0.0, 1.0], [0.0, 0.0]]), (np.min, [[1.0, 0.0], [0.0, 0.0]])]:
        x = Value(data)
        y = fn(x)
        assert isinstance(y, Value) and y.item() == fn(data)
        y.backward()
        np.testing.assert_array_equal(x.grad, grad)
    np.testing.assert_array_equal(np.sum(Value(data), axis=0, keepdims=True).data, [[4.0, 9.0]])
    with pytest.raises(TypeError, match=r"Value.sum: dtype= and out= are not supported"):
        np.sum(Value(data), out=np.zeros(()))


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e15), (np.float32, 1e6), (np.float32, 1e3)])
def test_log_softmax_and_logsumexp_gradient_exact_for_huge_equal_logits(dtype, big):
    # log softmax = (x - max) - log(sum(exp(x - max))); x - logsumexp(x) rounds the logsumexp
    # to the logits' ulp first (0.125 at 1e15 in float64: -1.125 instead of -log 3), and
    # logsumexp's gradient exp(x - logsumexp(x)) inherits that error
    z = Value(np.full((2, 3), big, dtype=dtype))
    lsm = ag.log_softmax(z, axis=1)
    assert lsm.data.dtype == dtype
    np.testing.assert_allclose(lsm.data, np.full((2, 3), -math.log(3)), rtol=1e-6)
    (lsm * np.array([1.0, 0.0, 0.0], dtype=dtype)).sum().backward()
    np.testing.assert_allclose(z.grad, np.tile([2 / 3, -1 / 3, -1 / 3], (2, 1)), rtol=1e-6)
    z.zero_grad()
    ag.logsumexp(z, axis=1).sum().backward()
    assert z.grad.dtype == dtype
    np.testing.assert_allclose(z.grad, np.full((2, 3), 1 / 3), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_probability_targets_ignore_masked_minus_inf_logits(dtype):
    # a zero target on a -inf (masked) logit contributes 0 (0 log 0 = 0), not 0 * inf = nan
    z = Value(np.array([[0.0, -np.inf, 1.0]], dtype=dtype))
    target = np.array([[0.5, 0.0, 0.5]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = ag.softmax_cross_entropy(z, target, reduction="sum")
        loss.backward()
    lse = math.log(1.0 + math.e)
    assert loss.data.dtype == dtype
    assert float(loss.data) == pytest.approx(lse - 0.5, rel=1e-6)
    p = 1.0 / (1.0 + math.e)
    np.testing.assert_allclose(z.grad, [[p - 0.5, 0.0, 0.5 - p]], rtol=1e-6, atol=1e-7)


def test_a_graph_with_constant_operands_deep_copies():
    """Constants keep their fixed fields on the class; a copy restores only their data (and a
    converted one's source), so it does not try to set the read-only ones."""
    import copy

    x = Value(np.array([1.0, 2.0, 3.0]))
    y = (x * 2.0 + np.array([1, 0, 1])).sum()
    twin = copy.deepcopy(y)
    twin.backward()
    leaf = twin.parents[0].parents[0].parents[0]
    assert twin.item() == 14.0 and leaf is not x and x.grad is None
    np.testing.assert_array_equal(leaf.grad, [2.0, 2.0, 2.0])
