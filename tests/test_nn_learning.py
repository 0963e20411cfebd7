"""End-to-end learning with the nn core only (no fit loop): XOR, scalar neurons, losses."""

import numpy as np

import nn
from autograd import Value

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def test_mlp_learns_xor_to_full_accuracy():
    model = nn.MLP(2, [8, 2], activation="tanh", rng=np.random.default_rng(0))
    opt = nn.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        nn.cross_entropy(model(XOR_X), XOR_Y).backward()
        opt.step()
    assert np.array_equal(model(XOR_X).data.argmax(axis=1), XOR_Y)


def test_scalar_neuron_network_learns_xor_micrograd_style():
    rng = np.random.default_rng(1)
    hidden = [nn.Neuron(2, activation="tanh", rng=rng) for _ in range(4)]
    out = nn.Neuron(4, activation=None, rng=rng)
    params = [p for n in hidden + [out] for p in n.parameters()]
    opt = nn.SGD(params, lr=0.1, momentum=0.9)
    targets = [-1.0, 1.0, 1.0, -1.0]
    for _ in range(200):
        opt.zero_grad()
        preds = [out([h(list(x)) for h in hidden]) for x in XOR_X]
        loss = sum((nn.mse(p, t) for p, t in zip(preds, targets)), Value(0.0))
        loss.backward()
        opt.step()
    assert [1.0 if p.data > 0 else -1.0 for p in preds] == targets
    assert all(type(p.data) is float for p in params)


def test_sgd_weight_decay_equals_the_l2_penalty_helper():
    def run(weight_decay, penalty):
        model = nn.Linear(3, 2, rng=0)
        opt = nn.SGD(model.parameters(), lr=0.1, weight_decay=weight_decay)
        x = np.random.default_rng(0).normal(size=(5, 3))
        for _ in range(10):
            opt.zero_grad()
            loss = nn.mse(model(x), np.ones((5, 2)))
            if penalty:
                loss = loss + nn.l2_penalty(model.parameters(), penalty)
            loss.backward()
            opt.step()
        return model.weight.data

    np.testing.assert_allclose(run(0.2, 0.0), run(0.0, 0.1), rtol=1e-12)
