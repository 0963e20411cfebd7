"""The benchmark's hand-written NumPy reference computes the same step as netgrad.

Independent checks: the reference's gradients against central finite differences of its
own loss (the reference is then trustworthy), and netgrad's gradients against it.
"""

import numpy as np
import pytest

from benchmarks.netgrad_models import TensorMLP
from benchmarks.numpy_reference import NumpyMLP, init_mlp_weights


def _problem(activation):
    rng = np.random.default_rng(3)
    layers = init_mlp_weights([6, 5, 4, 3], rng)
    x = rng.standard_normal((7, 6))
    labels = rng.integers(0, 3, 7)
    return NumpyMLP(layers, activation), TensorMLP(layers, activation), x, labels


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_reference_gradients_match_finite_differences(activation):
    reference, _, x, labels = _problem(activation)
    _, grad_w, grad_b = reference.gradients(x, labels)
    params = reference.weights + reference.biases
    for param, grad in zip(params, grad_w + grad_b):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + 1e-6
            plus = reference.gradients(x, labels)[0]
            param[index] = saved - 1e-6
            minus = reference.gradients(x, labels)[0]
            param[index] = saved
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_netgrad_step_equals_reference_step(activation):
    reference, model, x, labels = _problem(activation)
    loss_ref, grad_w, grad_b = reference.gradients(x, labels)
    loss = model.loss(x, labels)
    loss.backward()
    assert loss.item() == pytest.approx(loss_ref, rel=1e-12)
    netgrad_grads = [p.grad for p in model.params]
    reference_grads = [g for pair in zip(grad_w, grad_b) for g in pair]
    for mine, theirs in zip(netgrad_grads, reference_grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)
    for p in model.params:  # and the SGD update lands on the same weights
        p.data -= 0.1 * p.grad
    reference.step(x, labels, 0.1)
    updated_ref = [p for pair in zip(reference.weights, reference.biases) for p in pair]
    for mine, theirs in zip(model.params, updated_ref):
        # reference.step recomputed gradients at the original weights: same update
        np.testing.assert_allclose(mine.data, theirs, rtol=1e-12)
