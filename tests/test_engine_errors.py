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
    with pytest.raises(ValueError, match=r"labels must be in 0..2, got \[3\]"):
        ag.softmax_cross_entropy(Value(np.ones((2, 3))), np.array([0, 3]))


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
