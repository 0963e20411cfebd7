"""Activations: values against NumPy formulas, gradcheck, the step's zero gradient, names."""

import numpy as np
import pytest

from autograd import Value, gradcheck
from nn import activations as A

RNG = np.random.default_rng(0)
SHAPES = [(), (5,), (3, 4), (2, 3, 4)]

REFERENCE = {  # independent NumPy formulas
    "identity": lambda x: x,
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True)) / np.exp(
        x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
    "step": lambda x: (x > 0).astype(float),
}


def away_from_kinks(shape):
    x = RNG.normal(size=shape)
    return np.where(np.abs(x) < 0.1, x + 0.3, x)


@pytest.mark.parametrize("name, shape", [(n, s) for n in sorted(REFERENCE) for s in SHAPES
                                          if not (n == "softmax" and s == ())])  # needs an axis
def test_function_matches_numpy_and_gradcheck(name, shape):
    x = away_from_kinks(shape)
    fn = A.get_activation(name)
    np.testing.assert_allclose(np.asarray(fn(Value(x)).data), REFERENCE[name](x), rtol=1e-12)
    assert gradcheck(fn, x)


def test_step_gradient_is_zero_not_missing():
    x = Value(np.array([-1.0, 2.0]))
    (A.step(x) * 3.0).sum().backward()
    assert np.array_equal(x.grad, [0.0, 0.0])
    s = Value(0.0)
    A.step(s).backward()
    assert s.grad == 0.0 and A.step(0.0) == 0.0 and A.step(1e-9) == 1.0


@pytest.mark.parametrize("module, name", [
    (A.Identity(), "identity"), (A.ReLU(), "relu"), (A.Sigmoid(), "sigmoid"), (A.Tanh(), "tanh"),
    (A.Softplus(), "softplus"), (A.Step(), "step"), (A.Softmax(), "softmax")])
def test_modules_equal_functions(module, name):
    x = away_from_kinks((3, 4))
    np.testing.assert_array_equal(module(Value(x)).data, A.get_activation(name)(Value(x)).data)
    assert module.parameters() == [] and module.name == name


def test_modules_with_settings():
    x = away_from_kinks((3, 4))
    np.testing.assert_allclose(A.LeakyReLU(0.2)(Value(x)).data, np.where(x > 0, x, 0.2 * x))
    s = A.Softmax(axis=0)(Value(x)).data
    np.testing.assert_allclose(s.sum(axis=0), np.ones(4))
    assert "negative_slope=0.2" in repr(A.LeakyReLU(0.2)) and A.Softmax(0).config() == {"axis": 0}


def test_names_are_case_insensitive_and_unknown_names_list_the_valid_ones():
    assert A.get_activation("ReLU") is A.relu and A.get_activation(None) is A.identity
    assert A.get_activation(np.tanh) is np.tanh
    with pytest.raises(ValueError, match="unknown activation 'relu6'.*sigmoid"):
        A.get_activation("relu6")
    with pytest.raises(TypeError, match="got int"):
        A.get_activation(3)
