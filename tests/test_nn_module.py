"""Module tree, parameters, modes and state dicts (independent of the layers' math)."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import nn
from autograd import Value, trace
from nn.module import Module, Parameter


class Leaf(Module):
    def __init__(self, shape):
        self.weight = Parameter(np.arange(np.prod(shape), dtype=float).reshape(shape))
        self.bias = Parameter(0.5)

    def forward(self, x):
        return x * self.weight + self.bias


class Tree(Module):
    def __init__(self):
        self.first = Leaf((2,))
        self.blocks = [Leaf((3,)), Leaf((2, 2))]
        self.scale = Parameter(np.ones(1))
        self.note = "not a parameter"
        self.numbers = [1, 2]

    def forward(self, x):
        return x


def test_parameter_copies_data_and_always_requires_grad():
    source = np.array([1, 2, 3])
    p = Parameter(source)
    source[0] = 99
    assert p.requires_grad and p.data.dtype == np.float64 and p.data[0] == 1.0
    assert type(Parameter(np.float64(2.0)).data) is float  # scalars keep the fast path
    assert Parameter(np.ones(2, dtype=np.float32)).data.dtype == np.float32
    assert isinstance(p, Value)


def test_named_parameters_walk_attributes_and_lists_in_order():
    names = [n for n, _ in Tree().named_parameters()]
    assert names == ["first.weight", "first.bias", "blocks.0.weight", "blocks.0.bias",
                     "blocks.1.weight", "blocks.1.bias", "scale"]
    assert [n for n, _ in Tree().named_modules()] == ["", "first", "blocks.0", "blocks.1"]
    assert len(list(Tree().children())) == 3
    assert Tree().num_parameters() == 2 + 1 + 3 + 1 + 4 + 1 + 1


def test_shared_parameters_are_listed_once():
    tree = Tree()
    tree.blocks[1] = tree.first
    assert len(tree.parameters()) == 5


def test_zero_grad_sets_none_and_train_eval_reach_every_module():
    tree = Tree()
    for p in tree.parameters():
        p.grad = np.zeros_like(p.data)
    tree.zero_grad()
    assert all(p.grad is None for p in tree.parameters())
    assert tree.eval() is tree and not any(m.training for m in tree.modules())
    tree.train()
    assert all(m.training for m in tree.modules())


def test_state_dict_is_a_copy_and_round_trips():
    a, b = Tree(), Tree()
    state = a.state_dict()
    state["first.weight"][0] = 42.0
    assert a.first.weight.data[0] == 0.0
    b.first.weight.data[:] = -1
    b.load_state_dict(state)
    assert b.first.weight.data[0] == 42.0 and type(b.first.bias.data) is float


def test_load_state_dict_lists_every_mismatch():
    model = Tree()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    state = {k: v + 1.0 for k, v in before.items()}  # loadable entries, were they alone
    del state["scale"]
    state["extra.weight"] = np.zeros(2)
    state["blocks.1.weight"] = np.zeros((3, 3))
    state["blocks.0.weight"] = np.ones(3, dtype=complex)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing: scale" in message and "unexpected: extra.weight" in message
    assert "blocks.1.weight (model (2, 2), given (3, 3))" in message
    assert "blocks.0.weight: data must hold real numbers, got an array of dtype complex128" \
        in message
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())  # untouched


def test_non_strict_load_ignores_missing_and_extra_names():
    model = Tree()
    model.load_state_dict({"scale": np.array([3.0]), "other": np.zeros(1)}, strict=False)
    assert model.scale.data[0] == 3.0


def test_repr_shows_layers_and_total_count():
    text = repr(Tree())
    assert "(first): Leaf()" in text and "(blocks.1): Leaf()" in text
    assert text.splitlines()[-1] == "total parameters: 13"


def test_forward_must_be_defined_and_config_errors_explain_saving():
    class Bare(Module):
        pass

    with pytest.raises(NotImplementedError, match="Bare must define forward"):
        Bare()(1.0)
    with pytest.raises(NotImplementedError, match="define config"):
        Bare().config()


def test_dicts_and_nested_containers_of_modules_are_walked():
    class Holder(Module):
        def __init__(self):
            self.heads = {"a": Leaf((2,)), "b": Parameter(3.0)}
            self.groups = ([Leaf((1,))],)

    names = [n for n, _ in Holder().named_parameters()]
    assert names == ["heads.a.weight", "heads.a.bias", "heads.b",
                     "groups.0.0.weight", "groups.0.0.bias"]
    assert Holder().num_parameters() == 2 + 1 + 1 + 1 + 1


@pytest.mark.parametrize("data, error", [
    (np.array([1.0 + 2j]), TypeError), (None, TypeError), ("abc", TypeError),
    ([[1.0, 2.0], [3.0]], ValueError)])
def test_parameter_rejects_non_real_data_by_name(data, error):
    with pytest.raises(error, match="Parameter"):
        Parameter(data)


def test_load_state_dict_names_a_ragged_entry():
    model = Leaf((2,))
    with pytest.raises(ValueError, match="weight.*ragged"):
        model.load_state_dict({"weight": [[1.0, 2.0], [3.0]], "bias": 0.0})
    assert model.weight.data.tolist() == [0.0, 1.0]


def test_replacing_a_parameter_by_a_plain_value_raises():
    model = Leaf((2,))
    with pytest.raises(TypeError, match=r"Leaf\.weight is a Parameter"):
        model.weight = np.zeros(2)
    with pytest.raises(TypeError, match=r"Leaf\.weight is a Parameter"):
        model.weight -= 0.1  # would rebind to a non-trainable Value, dropped from parameters()
    assert isinstance(model.weight, Parameter) and model.weight.data.tolist() == [0.0, 1.0]
    model.weight = Parameter([5.0, 6.0])  # a new Parameter, or None, is fine
    model.bias = None
    assert [n for n, _ in model.named_parameters()] == ["weight"]


class TracedLossModel(Module):
    """A module whose loss is a traced method (module level: pickle finds it by name)."""

    def __init__(self):
        self.lin = nn.Linear(3, 2, rng=np.random.default_rng(0))

    @trace
    def loss(self, x, y):
        return nn.cross_entropy(self.lin(x), y)


def test_deepcopy_and_pickle_of_a_model_with_a_traced_method():
    """A traced method's recordings stay with its instance: a deep copy records afresh
    (past the check at call 8, no TraceError), and pickling drops them."""
    def train(model, steps, seed):
        rng = np.random.default_rng(seed)
        optimizer = nn.SGD(model.parameters(), lr=0.1)
        for _ in range(steps):
            optimizer.zero_grad()
            out = model.loss(rng.standard_normal((4, 3)), rng.integers(0, 2, 4))
            out.backward()
            optimizer.step()
        return out

    model = TracedLossModel()
    assert train(model, 3, 0).op.startswith("trace(")
    twin = copy.deepcopy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = train(twin, 12, 1)  # past the check at call 8: no TraceError
    assert out.op.startswith("trace(") and twin.loss.fn.__self__ is twin
    assert not np.array_equal(twin.lin.weight.data, model.lin.weight.data)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.lin.weight.data, model.lin.weight.data)
    assert train(restored, 3, 2).op.startswith("trace(")
