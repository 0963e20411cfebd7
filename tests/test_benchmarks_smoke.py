"""The benchmark's references compute what they claim: the hand-written NumPy step the same
step as netgrad, the minimal scalar engine (the pure-Python floor) right gradients.

Independent checks: the reference's gradients against central finite differences of its
own loss (the reference is then trustworthy), and netgrad's gradients against it; the
minimal engine's gradients against finite differences of plain-float arithmetic and
against the closed form of a chain too deep for recursion.
"""

import numpy as np
import pytest

from benchmarks import minimal_engine
from benchmarks.netgrad_models import ScalarMLP, TensorMLP
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


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_traced_step_replays_the_reference_step(activation):
    _, model, x, labels = _problem(activation)
    rng = np.random.default_rng(4)
    for _ in range(2):  # two training steps on different batches confirm the recording
        model.step(rng.standard_normal(x.shape), rng.integers(0, 3, len(labels)), 0.1,
                   traced=True)
    assert model.traced_loss.mode(x, labels) == "replay"
    data = [p.data.copy() for p in model.params]
    reference = NumpyMLP(list(zip(data[::2], data[1::2])), activation)
    loss_ref, grad_w, grad_b = reference.gradients(x, labels)
    model.optimizer.zero_grad()
    loss = model.traced_loss(x, labels)
    loss.backward()
    assert loss.item() == pytest.approx(loss_ref, rel=1e-12)
    reference_grads = [g for pair in zip(grad_w, grad_b) for g in pair]
    for p, theirs in zip(model.params, reference_grads):
        np.testing.assert_allclose(p.grad, theirs, rtol=1e-10, atol=1e-14)


def _every_minimal_op(a, b, c, relu):
    """+ and * with numbers on either side, unary minus, relu on and off (a*c + 0.25 > 0,
    a*b + 1 < 0 at the test point), the leaf a used five times, b and c twice by one node,
    the inner node ``on`` by two nodes (its gradient must be complete before it passes on)."""
    on = relu(a * c + 0.25)
    off = relu(a * b + 1)
    return (on * a + 3 * off * c + -(b * a) + 2 * (a + b) + (4 + c) * 0.5 + c * c + (b + b)
            + on * on)


def test_minimal_engine_gradients_match_finite_differences():
    point = [1.5, -2.0, 0.7]
    leaves = [minimal_engine.Value(v) for v in point]
    out = _every_minimal_op(*leaves, relu=lambda v: v.relu())
    out.backward()

    def f(*args):
        return _every_minimal_op(*args, relu=lambda v: max(v, 0.0))

    assert out.data == pytest.approx(f(*point), rel=1e-15)
    for i, leaf in enumerate(leaves):
        plus, minus = point.copy(), point.copy()
        plus[i] += 1e-6
        minus[i] -= 1e-6
        numeric = (f(*plus) - f(*minus)) / 2e-6
        assert leaf.grad == pytest.approx(numeric, rel=1e-7, abs=1e-9), f"leaf {i}"
    first = [leaf.grad for leaf in leaves]
    out.backward()  # leaves accumulate; inner nodes start again from 0
    assert [leaf.grad for leaf in leaves] == pytest.approx([2 * g for g in first], rel=1e-15)


def test_minimal_engine_chain_deeper_than_the_recursion_limit():
    links = 5000  # 10,000 nodes deep: a recursive topological sort would raise
    x = minimal_engine.Value(1.0)
    z = x
    for _ in range(links):
        z = z * 1.000001 + 0.0
    z.backward()
    assert x.grad == pytest.approx(1.000001 ** links, rel=1e-12)


def test_minimal_mlp_is_netgrads_scalar_mlp():
    """Same weights, same output and parameter gradients: the floor runs the same workload."""
    scalar = ScalarMLP(2, [16, 16, 1], np.random.default_rng(0))
    minimal = minimal_engine.MLP([[([w.data for w in n.w], n.b.data) for n in layer.neurons]
                                  for layer in scalar.layers])
    row = [0.3, -0.8]
    expected = scalar(row)
    expected.backward()
    out = minimal(list(map(minimal_engine.Value, row)))
    out.backward()
    assert out.data == pytest.approx(expected.data, rel=1e-14)
    theirs, mine = scalar.parameters(), minimal.parameters()
    assert len(mine) == len(theirs) == 337
    assert [p.data for p in mine] == [p.data for p in theirs]
    assert [p.grad for p in mine] == pytest.approx([p.grad for p in theirs], rel=1e-12)
