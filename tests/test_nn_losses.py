"""Losses against NumPy formulas written here, gradchecks, stability, and errors."""

import numpy as np
import pytest

import nn.losses as L
from autograd import Value, gradcheck

RNG = np.random.default_rng(0)


def softmax_np(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sigmoid_np(z):
    return 1 / (1 + np.exp(-z))


REFERENCE = {  # name -> (make pred, make target, per-element NumPy loss)
    "mae": (lambda s: RNG.normal(size=s), lambda s: RNG.normal(size=s),
            lambda p, t: np.abs(p - t)),
    "mse": (lambda s: RNG.normal(size=s), lambda s: RNG.normal(size=s),
            lambda p, t: (p - t) ** 2),
    "binary_cross_entropy": (lambda s: RNG.uniform(0.05, 0.95, s), lambda s: RNG.uniform(0, 1, s),
                             lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p))),
    "binary_cross_entropy_with_logits": (
        lambda s: RNG.normal(size=s) * 3, lambda s: RNG.integers(0, 2, s).astype(float),
        lambda z, t: -(t * np.log(sigmoid_np(z)) + (1 - t) * np.log(1 - sigmoid_np(z)))),
    "hinge": (lambda s: RNG.normal(size=s) * 2, lambda s: RNG.choice([-1.0, 1.0], s),
              lambda p, t: np.maximum(0, 1 - p * t)),
}


def away_from_kinks(name, pred, target):
    """Nudge inputs off |x| and max(0, x) corners so finite differences are valid."""
    if name == "mae":
        pred = np.where(np.abs(pred - target) < 1e-2, pred + 0.1, pred)
    if name == "hinge":
        pred = np.where(np.abs(1 - pred * target) < 1e-2, pred + 0.1, pred)
    return pred


@pytest.mark.parametrize("name", sorted(REFERENCE))
@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_numpy_and_gradcheck(name, shape, reduction):
    make_pred, make_target, formula = REFERENCE[name]
    target = make_target(shape)
    pred = away_from_kinks(name, make_pred(shape), target)
    fn = L.LOSSES[name]
    expected = formula(pred, target)
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    np.testing.assert_allclose(np.asarray(fn(Value(pred), target, reduction=reduction).data),
                               expected, rtol=1e-10)
    assert gradcheck(lambda p: fn(p, target, reduction=reduction), pred)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_labels_and_probabilities(reduction):
    logits, labels = RNG.normal(size=(6, 4)), RNG.integers(0, 4, 6)
    per_sample = -np.log(softmax_np(logits))[np.arange(6), labels]
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    np.testing.assert_allclose(L.cross_entropy(Value(logits), labels, reduction).data, expected)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(L.cross_entropy(Value(logits), onehot, reduction).data, expected)
    soft = softmax_np(RNG.normal(size=(6, 4)))
    soft_expected = -(soft * np.log(softmax_np(logits))).sum(-1)
    np.testing.assert_allclose(L.cross_entropy(Value(logits), soft, "none").data, soft_expected)
    assert gradcheck(lambda z: L.cross_entropy(z, labels, reduction), logits)
    assert gradcheck(lambda z: L.cross_entropy(z, soft, reduction), logits)


def test_closed_form_gradients():
    p, t = RNG.normal(size=5), RNG.normal(size=5)
    x = Value(p)
    L.mse(x, t).backward()
    np.testing.assert_allclose(x.grad, 2 * (p - t) / 5)
    z, labels = Value(RNG.normal(size=(3, 4))), np.array([0, 3, 1])
    L.cross_entropy(z, labels).backward()
    np.testing.assert_allclose(z.grad, (softmax_np(z.data) - np.eye(4)[labels]) / 3)


def test_scalar_path_stays_scalar():
    p = Value(0.3)
    loss = L.mse(p, 1.0)
    loss.backward()
    assert type(loss.data) is float and p.grad == pytest.approx(2 * (0.3 - 1.0))


def test_stable_at_extreme_logits():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    out = L.binary_cross_entropy_with_logits(Value(z), y, "none").data
    np.testing.assert_allclose(out, [0.0, 0.0, 1000.0, 1000.0])
    ce = L.cross_entropy(Value(np.array([[1000.0, 0.0], [0.0, 1000.0]])), np.array([0, 0]),
                         "none").data
    np.testing.assert_allclose(ce, [0.0, 1000.0])
    clipped = L.binary_cross_entropy(Value(np.array([0.0, 1.0])), np.array([1.0, 0.0]),
                                     "none").data
    np.testing.assert_allclose(clipped, -np.log(1e-7), rtol=1e-6)


def test_one_output_per_sample_is_aligned_never_broadcast():
    pred, target = RNG.normal(size=(4, 1)), RNG.normal(size=4)
    assert L.mse(Value(pred), target).data == pytest.approx(np.mean((pred[:, 0] - target) ** 2))
    assert L.mse(Value(target), pred).data == pytest.approx(np.mean((pred[:, 0] - target) ** 2))
    with pytest.raises(ValueError, match=r"mse: prediction of shape \(4, 1\) and target of "
                                         r"shape \(4, 2\) differ"):
        L.mse(Value(pred), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"mae: prediction of shape \(3,\) and target of shape"):
        L.mae(Value(np.ones(3)), np.ones(4))


def test_cross_entropy_label_errors():
    logits = Value(np.zeros((3, 4)))
    assert L.cross_entropy(logits, np.array([0.0, 3.0, 1.0])).data == pytest.approx(np.log(4))
    with pytest.raises(ValueError, match=r"labels must be whole numbers, got \[0.5\]"):
        L.cross_entropy(logits, np.array([0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match=r"labels must be in 0..3 for 4 classes, got \[4, 7\]"):
        L.cross_entropy(logits, np.array([4, 7, 1]))
    with pytest.raises(ValueError, match=r"logits of shape \(3, 4\) need labels of shape \(3,\)"):
        L.cross_entropy(logits, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="must not be negative"):
        L.cross_entropy(logits, -np.ones((3, 4)))


def test_other_input_errors():
    with pytest.raises(ValueError, match="hinge: labels must be -1 or \\+1.*2 \\* y - 1"):
        L.hinge(Value(np.ones(3)), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="reduction must be one of mean, sum, none, got 'avg'"):
        L.mse(Value(np.ones(2)), np.ones(2), reduction="avg")
    with pytest.raises(ValueError, match="mse: target contains nan"):
        L.mse(Value(np.ones(2)), np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        L.binary_cross_entropy(Value(np.full(2, 0.5)), np.array([2.0, 0.0]))
    with pytest.raises(ValueError, match="reduction must be"):
        L.MSELoss(reduction="avg")


def test_module_forms_equal_functions_and_names_resolve():
    pred, target = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    for module, fn in [(L.MSELoss("sum"), L.mse), (L.L1Loss("sum"), L.mae)]:
        assert module(Value(pred), target).data == fn(Value(pred), target, "sum").data
    assert L.HingeLoss(margin=2.0)(Value(np.zeros(2)), np.ones(2)).data == 2.0
    assert L.get_loss("MSE") is L.mse and L.get_loss("l1") is L.mae
    assert L.get_loss("bce_logits") is L.binary_cross_entropy_with_logits
    assert L.get_loss(np.sum) is np.sum
    with pytest.raises(ValueError, match="unknown loss 'huber'; valid names: mae, l1, mse"):
        L.get_loss("huber")


def test_l2_penalty_and_its_relation_to_weight_decay():
    a, b = RNG.normal(size=(3, 2)), RNG.normal(size=4)
    pa, pb = Value(a), Value(b)
    penalty = L.l2_penalty([pa, pb], 0.05)
    assert penalty.data == pytest.approx(0.05 * (np.sum(a**2) + np.sum(b**2)))
    penalty.backward()
    np.testing.assert_allclose(pa.grad, 2 * 0.05 * a)
    with pytest.raises(ValueError, match="no parameters"):
        L.l2_penalty([], 0.1)
