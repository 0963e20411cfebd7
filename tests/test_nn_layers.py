"""Layers against NumPy re-implementations, gradchecks, initialisation statistics, the
perceptron rule, dropout, and errors in the user's terms."""

import numpy as np
import pytest

from autograd import Value, gradcheck
from nn import init
from nn.activations import ReLU
from nn.layers import MLP, Dropout, Linear, Neuron, Perceptron, Sequential

RNG = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("batch", [(), (5,), (2, 3)])
def test_linear_matches_numpy_and_gradchecks(batch):
    layer = Linear(4, 3, rng=1)
    layer.bias.data[:] = RNG.normal(size=3)
    x = RNG.normal(size=batch + (4,))
    W, b = layer.weight.data, layer.bias.data
    np.testing.assert_allclose(layer(x).data, x @ W.T + b, rtol=1e-12)
    assert gradcheck(lambda x, W, b: Linear.forward(_with(layer, W, b), x), x, W, b)


def _with(layer, W, b):
    """The layer with its parameters replaced by gradcheck's leaves (bypassing the guard
    that keeps a Parameter attribute a Parameter)."""
    vars(layer).update(weight=W, bias=b)
    return layer


def test_linear_without_bias_and_float32():
    layer = Linear(3, 2, bias=False, rng=0, dtype=np.float32)
    x = np.ones((4, 3), dtype=np.float32)
    out = layer(x)
    assert layer.bias is None and out.dtype == np.float32 and len(layer.parameters()) == 1
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T, rtol=1e-6)


def test_mlp_has_the_seed_documents_parameter_count_and_shapes():
    model = MLP(784, [15, 10])
    assert model.num_parameters() == 784 * 15 + 15 * 10 + 15 + 10 == 11935
    assert model.sizes == [784, 15, 10]
    assert [n for n, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert model.layers[0].weight.shape == (15, 784)


@pytest.mark.parametrize("activation, out_act", [("relu", None), ("tanh", "sigmoid"),
                                                 ("sigmoid", "softmax"), (None, None)])
def test_mlp_forward_equals_a_numpy_network(activation, out_act):
    funcs = {None: lambda z: z, "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
             "sigmoid": sigmoid,
             "softmax": lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)}
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=out_act, rng=2)
    x = RNG.normal(size=(6, 3))
    h = x
    for i, layer in enumerate(model.layers):
        h = h @ layer.weight.data.T + layer.bias.data
        h = funcs[activation if i < 2 else out_act](h)
    np.testing.assert_allclose(model(x).data, h, rtol=1e-12)


def test_mlp_gradients_match_finite_differences():
    model = MLP(3, [4, 2], activation="tanh", rng=3)
    x = RNG.normal(size=(5, 3))
    loss = (model(x) ** 2).sum()
    loss.backward()
    W = model.layers[0].weight
    eps, numeric = 1e-6, np.zeros_like(W.data)
    for idx in np.ndindex(W.shape):
        old = W.data[idx]
        W.data[idx] = old + eps
        up = float((model(x) ** 2).sum().data)
        W.data[idx] = old - eps
        down = float((model(x) ** 2).sum().data)
        W.data[idx] = old
        numeric[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(W.grad, numeric, rtol=1e-6, atol=1e-8)


def test_mlp_exposes_single_neurons():
    model = MLP(3, [4, 2], rng=0)
    neuron = model.neuron(1, 1)
    np.testing.assert_array_equal(neuron.weights, model.layers[1].weight.data[1])
    assert neuron.bias == model.layers[1].bias.data[1]


def test_initialisation_is_seeded_and_scaled_by_activation():
    a, b = MLP(200, [300, 10], rng=7), MLP(200, [300, 10], rng=7)
    assert np.array_equal(a.layers[0].weight.data, b.layers[0].weight.data)
    init.manual_seed(3)
    c = MLP(4, [3])
    init.manual_seed(3)
    assert np.array_equal(c.layers[0].weight.data, MLP(4, [3]).layers[0].weight.data)
    he = MLP(200, [300, 10], activation="relu", rng=0).layers[0].weight.data
    xavier = MLP(200, [300, 10], activation="tanh", rng=0).layers[0].weight.data
    # uniform(-a, a) has std a / sqrt(3): He a = sqrt(6 / fan_in), Glorot sqrt(6 / (in + out))
    assert he.std() == pytest.approx(np.sqrt(6 / 200) / np.sqrt(3), rel=0.02)
    assert xavier.std() == pytest.approx(np.sqrt(6 / 500) / np.sqrt(3), rel=0.02)
    normal = Linear(400, 300, init="he_normal", rng=0).weight.data
    assert normal.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        Linear(2, 2, init="glorot")


def test_neuron_on_scalar_values_equals_the_formula_and_backprops():
    neuron = Neuron(3, activation="tanh", rng=0)
    x = [0.5, -1.0, 2.0]
    out = neuron(x)
    w = np.array([p.data for p in neuron.w])
    z = w @ np.array(x) + neuron.b.data
    assert out.data == pytest.approx(np.tanh(z), rel=1e-12)
    assert all(type(p.data) is float for p in neuron.parameters())
    out.backward()
    np.testing.assert_allclose([p.grad for p in neuron.w], (1 - np.tanh(z) ** 2) * np.array(x))
    assert neuron.b.grad == pytest.approx(1 - np.tanh(z) ** 2)
    with pytest.raises(ValueError, match="expected 3 inputs, got 2"):
        neuron([1.0, 2.0])


def test_step_perceptron_rule_converges_on_separable_data():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = (X @ np.array([2.0, -1.0]) + 0.3 > 0).astype(int)
    keep = np.abs(X @ np.array([2.0, -1.0]) + 0.3) > 0.1  # a margin: the rule's theorem
    X, y = X[keep], y[keep]
    p = Perceptron(2, rng=0).fit(X, y, epochs=100, lr=0.5, rng=0)
    assert p.errors_[-1] == 0 and len(p.errors_) < 100
    assert np.array_equal(p.predict(X), y)
    np.testing.assert_array_equal(p(X).data, y)  # the step output is the prediction


def test_perceptron_update_is_the_textbook_rule():
    p = Perceptron(2, rng=0)
    p.weight.data[:] = [0.0, 0.0]
    p.fit(np.array([[1.0, 2.0]]), np.array([1]), epochs=1, lr=0.5, shuffle=False)
    # step(0) = 0, error 1: w += 0.5 * [1, 2], b += 0.5
    np.testing.assert_array_equal(p.weight.data, [0.5, 1.0])
    assert p.bias.data == 0.5


def test_sigmoid_perceptron_is_logistic_regression():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) > 0).astype(int)
    p = Perceptron(3, activation="sigmoid", rng=0).fit(X, y, epochs=30, lr=0.1, rng=0)
    assert np.mean(p.predict(X) == y) > 0.97
    probs = p(X).data
    np.testing.assert_allclose(probs, sigmoid(X @ p.weight.data + p.bias.data), rtol=1e-12)


def test_perceptron_errors_name_the_problem():
    p = Perceptron(2)
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\)"):
        p.fit(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="labels must be 0 or 1, got \\[2.0\\]"):
        p.fit(np.ones((2, 2)), np.array([1, 2]))
    with pytest.raises(ValueError, match="expected inputs with 2 features"):
        p(np.ones((2, 5)))
    before = p.weight.data.copy()
    with pytest.raises(ValueError, match=r"X holds nan/inf in rows \[1\]"):  # not nan weights
        p.fit(np.array([[1.0, 2.0], [np.nan, 0.0]]), np.array([1, 0]))
    assert np.array_equal(p.weight.data, before)


def test_dropout_scales_kept_units_and_is_off_in_eval():
    drop = Dropout(0.25, rng=0)
    x = np.ones((200, 50))
    out = drop(x).data
    kept = out != 0
    assert np.allclose(out[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    drop.eval()
    assert np.array_equal(drop(x).data, x)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\), got 1.5"):
        Dropout(1.5)


def test_dropout_gradient_flows_only_through_kept_units():
    drop = Dropout(0.5, rng=1)
    x = Value(np.ones((4, 6)))
    out = drop(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.where(out.data != 0, 2.0, 0.0))


def test_sequential_chains_and_indexes():
    seq = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1))
    x = RNG.normal(size=(4, 2))
    h = np.maximum(x @ seq[0].weight.data.T + seq[0].bias.data, 0)
    np.testing.assert_allclose(seq(x).data, h @ seq[2].weight.data.T + seq[2].bias.data)
    assert len(seq) == 3 and [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(TypeError, match="item 1 is a str"):
        Sequential(Linear(2, 2), "relu")


@pytest.mark.parametrize("build, message", [
    (lambda: Linear(0, 3), "Linear: nin must be an integer >= 1, got 0"),
    (lambda: MLP(3, []), "at least one layer"),
    (lambda: MLP(3, [4, 2.5]), "layer size must be an integer >= 1, got 2.5"),
    (lambda: MLP(3, [4], activation="gelu"), "unknown activation 'gelu'"),
])
def test_bad_construction_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_wrong_input_width_names_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(4 -> 3\): expected inputs with 4 features "
                                         r"\(last axis\), got shape \(2, 5\)"):
        MLP(4, [3, 1])(np.ones((2, 5)))
