"""Bad input gets a clear error that names the offending thing."""

import numpy as np
import pytest

import autograd as ag
from autograd import Value


@pytest.mark.parametrize("data, error, words", [
    ("abc", TypeError, "got str"),
    (None, TypeError, "got NoneType"),
    ([[1, 2], [3]], ValueError, "ragged"),
    (1 + 2j, TypeError, "complex"),
    (np.array(["a", "b"]), TypeError, "dtype <U1"),
    ({"a": 1}, TypeError, "got dict"),
])
def test_non_numeric_data(data, error, words):
    with pytest.raises(error, match=words):
        Value(data)


def test_non_numeric_operand_in_an_op():
    with pytest.raises(TypeError, match="got str"):
        Value(2.0) * "abc"


@pytest.mark.parametrize("fn, words", [
    (lambda: Value(np.ones((2, 3))) + Value(np.ones(4)),
     r"'\+': cannot broadcast shapes \(2, 3\) and \(4,\)"),
    (lambda: Value(np.ones((2, 3))) * np.ones((3, 2)),
     r"'\*': cannot broadcast shapes \(2, 3\) and \(3, 2\)"),
    (lambda: ag.maximum(Value(np.ones(3)), np.ones(2)), r"maximum.*\(3,\) and \(2,\)"),
    (lambda: Value(np.ones((2, 3))) @ Value(np.ones((4, 5))),
     r"@: shapes \(2, 3\) and \(4, 5\) are not aligned: 3 .* != 4"),
    (lambda: Value(np.ones(3)) @ Value(np.ones(4)), r"\(3,\) and \(4,\) are not aligned"),
    (lambda: Value(2.0) @ Value(np.ones(3)), r"at least 1 dim, got shapes \(\) and \(3,\)"),
    (lambda: Value(np.ones((2, 3))).reshape(4), r"reshape.*\(2, 3\).*size 6 into shape \(4,\)"),
    (lambda: Value(np.ones((2, 3))).sum(axis=2), r"sum: axis 2 is out of range .* 2 dims"),
    (lambda: Value(np.ones((2, 3))).transpose(0, 0), r"transpose: axes .* not a permutation"),
    (lambda: ag.concat([Value(np.ones((2, 3))), Value(np.ones((2, 4)))]),
     r"concat.*\(2, 3\) and \(2, 4\)"),
    (lambda: ag.softmax(Value(1.0)), "softmax needs an array"),
    (lambda: ag.affine(Value(np.ones((2, 3))), Value(np.ones((4, 5)))),
     r"affine: input of shape \(2, 3\) does not fit weight of shape \(4, 5\)"),
    (lambda: ag.softmax_cross_entropy(Value(np.ones((2, 3))), np.array([0, 1, 2])),
     r"labels of shape \(3,\) do not fit logits of shape \(2, 3\)"),
])
def test_shape_errors_name_op_and_shapes(fn, words):
    with pytest.raises(ag.ShapeError, match=words):
        fn()


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels must be in 0..2 "
                                         r"for 3 classes, got \[3\]"):
        ag.softmax_cross_entropy(Value(np.ones((2, 3))), np.array([0, 3]))


@pytest.mark.parametrize("dtype", ["<i8", ">i8", "<i2", ">i4", "i1"])
def test_negative_labels_are_refused_in_any_byte_order(dtype):
    # big-endian labels come from files (IDX, .npy written elsewhere)
    with pytest.raises(ValueError, match=r"got \[-1\]"):
        ag.softmax_cross_entropy(Value(np.ones((2, 3))), np.array([0, -1], dtype=dtype))


@pytest.mark.parametrize("dtype, classes, label", [
    ("i1", 300, -1), ("i1", 200, -100), ("i1", 129, -1), ("i2", 40000, -30000)])
def test_negative_narrow_labels_are_refused_with_more_classes_than_their_range(dtype, classes,
                                                                               label):
    # int8 -100 read as unsigned is 156: a valid class once there are more than 156
    with pytest.raises(ValueError, match=rf"got \[{label}\]"):
        ag.softmax_cross_entropy(Value(np.zeros((2, classes))),
                                 np.array([0, label], dtype=dtype))


@pytest.mark.parametrize("fn, error, words", [
    (lambda: Value(2.0)[0], IndexError, "cannot index a scalar"),
    (lambda: Value(np.ones(3))[5], IndexError, r"index 5 does not fit shape \(3,\)"),
    (lambda: Value(np.ones(3))[np.array([0.5])], IndexError, "integers or booleans"),
    (lambda: ag.clip(Value(1.0)), ValueError, "needs min or max"),
    (lambda: ag.clip(Value(1.0), 2.0, 1.0), ValueError, r"min \(2.0\) is larger than max"),
])
def test_index_and_argument_errors(fn, error, words):
    with pytest.raises(error, match=words):
        fn()


def test_errors_do_not_chain_numpy_tracebacks():
    with pytest.raises(ag.ShapeError) as info:
        Value(np.ones((2, 3))) + Value(np.ones(4))
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_invalid_math_gives_nan_inf_like_numpy_without_anomaly_mode():
    with np.errstate(all="ignore"):
        y = Value(np.array([1.0, -1.0, 0.0])).log()
    assert np.isnan(y.data[1]) and y.data[2] == -np.inf


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_names_op_shape_and_bad_input():
    x = Value(np.array([1.0, -1.0, 2.0]))
    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError,
                           match=r"log produced nan at index \(1,\).*input 0 \(shape \(3,\)\) "
                                 r"holds -1"):
            x.log()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_names_which_input_of_a_binary_op():
    message = r"/ produced inf.*input 1 \(shape \(\)\) holds 0"
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match=message):
        Value(np.array([1.0, 2.0])) / Value(0.0)


def test_detect_anomaly_in_backward():
    x = Value(0.0)
    y = x.sqrt()
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match="backward of sqrt produced inf"):
        y.backward()


def test_detect_anomaly_does_not_blame_ops_that_only_propagate():
    with np.errstate(all="ignore"):
        bad = Value(np.array([np.nan, 1.0]))
    with ag.detect_anomaly():
        (bad * 2.0).sum()  # nan came in, so * is not the culprit
    assert not ag.mode.MODE.anomaly  # restored on exit


# Ops whose output shape differs from (and does not broadcast with) an input's: the anomaly
# report must name the op and the shapes instead of failing to index the inputs.
BIG = 1e200


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fn, words", [
    (lambda: ag.affine(Value(np.full((4, 3), BIG)), Value(np.full((2, 3), BIG)),
                       Value(np.ones(2))),
     r"affine produced inf at index \(0, 0\) of its output \(shape \(4, 2\)\) from finite "
     r"inputs of shapes \(4, 3\), \(2, 3\), \(2,\): input 0 \(shape \(4, 3\)\) is finite, "
     r"largest \|value\| 1e\+200; .*input 2 \(shape \(2,\)\) holds 1"),
    (lambda: Value(np.full((4, 3), BIG)) @ Value(np.full((3, 2), -BIG)),
     r"@ produced inf .*shape \(4, 2\).*shapes \(4, 3\), \(3, 2\)"),
    (lambda: Value(np.full(3, BIG)) @ Value(np.full(3, BIG)),
     r"@ produced inf of its output \(shape \(\)\) from finite inputs of shapes \(3,\), \(3,\)"),
    (lambda: Value(np.full((4, 3), 1e308)).sum(axis=1),
     r"sum produced inf at index \(0,\) of its output \(shape \(4,\)\).*shapes \(4, 3\)"),
    (lambda: Value(np.full((4, 3), 1e308)).mean(),
     r"mean produced inf of its output \(shape \(\)\).*largest \|value\| 1e\+308"),
    (lambda: ag.softmax_cross_entropy(Value(np.array([[1e308, -1e308]])), np.array([1])),
     r"softmax_cross_entropy produced inf .*shape \(1,\).*shapes \(1, 2\)"),
])
def test_detect_anomaly_reports_ops_that_change_shape(fn, words):
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match=words):
        fn()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("reshape_like", [
    lambda v: v.reshape(2, 6),
    lambda v: v[1:, 0],
    lambda v: v[np.array([0, 0, 2])],
    lambda v: ag.concat([v, Value(np.ones((1, 3)))]),
])
def test_detect_anomaly_through_reshape_getitem_concat(reshape_like):
    # These ops cannot make nan/inf out of finite numbers: they only move them. An overflow
    # before them is blamed on its op, and a bad value they pass on is not blamed on them.
    x = Value(np.full((4, 3), BIG))
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match=r"^\* produced inf"):
        reshape_like(x * x)
    with np.errstate(all="ignore"):
        bad = x * x
    with ag.detect_anomaly():
        moved = reshape_like(bad)
    assert not np.all(np.isfinite(moved.data))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("change_shape", [
    lambda x: x.reshape(1, -1) * 1e300,
    lambda x: x[:1] * 1e300,
    lambda x: ag.concat([x, x]).sum() * 1e300,
])
def test_detect_anomaly_report_of_a_custom_shape_changing_op(change_shape):
    # A user-defined op whose output shape has nothing to do with its input's.
    @ag.primitive("blow_up")
    def blow_up(x):
        return np.asarray(change_shape(x) * 1e300)

    x = Value(np.array([2.0, 3.0]))
    with ag.detect_anomaly(), pytest.raises(
        ag.AnomalyError, match=r"blow_up produced inf.*input 0 \(shape \(2,\)\)"
    ):
        blow_up(x)


def test_detect_anomaly_in_backward_of_matmul_names_shapes():
    a, b = Value(np.ones((4, 3))), Value(np.full((3, 2), BIG))
    y = a @ b
    message = (r"backward of @ produced inf in the gradient of input 0 \(shape \(4, 3\)\) "
               r"at index \(0, 0\) from a finite incoming gradient of shape \(4, 2\); "
               r"operand shapes \[\(4, 3\), \(3, 2\)\]")
    with ag.detect_anomaly(), np.errstate(all="ignore"), pytest.raises(ag.AnomalyError,
                                                                       match=message):
        y.backward(np.full((4, 2), BIG))


def test_detect_anomaly_in_backward_below_a_reduction():
    x = Value(np.zeros((2, 3)))
    y = x.sum(axis=1).sqrt().sum()  # finite forward; d sqrt(s)/ds = inf at s = 0
    with ag.detect_anomaly(), np.errstate(all="ignore"), pytest.raises(
        ag.AnomalyError, match=r"backward of sqrt produced inf .*\(shape \(2,\)\).*holds 0"
    ):
        y.backward()


M = Value(np.ones((2, 3)))


@pytest.mark.parametrize("fn, words", [
    (lambda: ag.concat([M, M], axis=2), r"concat: axis 2 is out of range .* 2 dims"),
    (lambda: ag.concat([M, M], axis=-3), r"concat: axis -3 is out of range"),
    (lambda: ag.stack([M, M], axis=3), r"stack: axis 3 is out of range .* 3 dims"),
    (lambda: ag.transpose(M, (0, -3)), r"transpose: axis -3 is out of range"),
    (lambda: ag.transpose(M, (0, 2)), r"transpose: axis 2 is out of range"),
    (lambda: M.swapaxes(0, 2), r"swapaxes: axis 2 is out of range"),
])
def test_out_of_range_axes_are_refused_not_wrapped_around(fn, words):
    # NumPy raises for all of these; wrapping (axis % ndim) silently picked another axis
    with pytest.raises(ag.ShapeError, match=words):
        fn()


@pytest.mark.parametrize("fn, words", [
    (lambda: M.sum(axis=1.0), r"sum: axis must be an int, got 1.0"),
    (lambda: M.max(axis=(0, "a")), r"max: axis must be an int, got 'a'"),
    (lambda: ag.softmax(M, axis=None), r"softmax: axis must be an int, got None"),
    (lambda: ag.log_softmax(M, axis=(0, 1)), r"log_softmax: axis must be an int"),
    (lambda: M.reshape(2.5, 3), r"reshape: shape must hold ints, got 2.5"),
    (lambda: ag.broadcast_to(M, (4, 2, 3.0)), r"broadcast_to: shape must hold ints"),
    (lambda: ag.transpose(M, (1.0, 0)), r"transpose: axis must be an int, got 1.0"),
    (lambda: ag.clip(M, np.zeros(3)), r"clip: min must be a single number, got .*\(3,\)"),
    (lambda: ag.leaky_relu(M, [0.1, 0.2]), r"leaky_relu: negative_slope must be a single"),
    (lambda: M @ "abc", r"@: operand must be a number .* got str"),
    (lambda: Value(2.0) * "abc", r"\*: operand must be a number .* got str"),
    (lambda: ag.maximum(Value(1.0), "x"), r"maximum: operand must be a number .* got str"),
    (lambda: ag.affine(M, None), r"affine: operand must be a number .* got NoneType"),
])
def test_non_integer_axes_sizes_and_bad_parameters_name_the_op(fn, words):
    with pytest.raises(TypeError, match=words):
        fn()


def test_broadcast_to_error_names_both_shapes():
    with pytest.raises(ag.ShapeError, match=r"broadcast_to: cannot broadcast shape \(2, 3\) "
                                            r"to \(4, 3\)"):
        ag.broadcast_to(M, (4, 3))


def test_where_error_names_the_condition_shape():
    with pytest.raises(ag.ShapeError, match=r"where: condition of shape \(4,\) .* \(2, 3\) "
                                            r"and \(\)"):
        ag.where(np.ones(4, dtype=bool), M, 1.0)
