"""LR schedulers: sequences against closed forms written here; plateau logic; resume."""

import math

import numpy as np
import pytest

from autograd import Value
from nn import optim


def make_opt(lr=0.1):
    return optim.SGD([{"params": [Value(np.ones(2))]}, {"params": [Value(np.ones(1))],
                                                        "lr": lr / 10}], lr=lr)


@pytest.mark.parametrize("make, formula", [
    (lambda o: optim.StepLR(o, step_size=7, gamma=0.5), lambda b, e: b * 0.5 ** (e // 7)),
    (lambda o: optim.ExponentialLR(o, gamma=0.9), lambda b, e: b * 0.9**e),
    (lambda o: optim.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
     lambda b, e: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * e / 12)) / 2),
], ids=["step", "exponential", "cosine"])
def test_schedules_follow_their_closed_forms(make, formula):
    opt = make_opt()
    scheduler = make(opt)
    for epoch in range(31):
        expected = [formula(0.1, epoch), formula(0.01, epoch)]
        np.testing.assert_allclose(scheduler.get_last_lr(), expected, rtol=1e-12)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], expected, rtol=1e-12)
        scheduler.step()


def test_resume_continues_the_same_sequence():
    opt = make_opt()
    scheduler = optim.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        scheduler.step()
    state = scheduler.state_dict()
    opt2 = make_opt()
    again = optim.CosineAnnealingLR(opt2, T_max=10)
    again.load_state_dict(state)
    for _ in range(5):
        scheduler.step()
        again.step()
        assert scheduler.get_last_lr() == again.get_last_lr()


def test_plateau_waits_patience_then_reduces_with_cooldown_and_floor():
    opt = optim.SGD([Value(np.ones(1))], lr=1.0)
    plateau = optim.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    lrs = []
    for loss in [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]:
        plateau.step(loss)
        lrs.append(opt.param_groups[0]["lr"])
    # 2 bad epochs tolerated, the 3rd halves; 1 cooldown epoch; then 3 more bad epochs ...
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    for _ in range(10):
        plateau.step(0.5)
    assert opt.param_groups[0]["lr"] == 0.2


def test_plateau_threshold_and_max_mode():
    opt = optim.SGD([Value(np.ones(1))], lr=1.0)
    plateau = optim.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1)
    plateau.step(1.0)
    plateau.step(1.05)  # not 10% better: a bad epoch, patience 0 -> reduce
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    plateau.step(2.0)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1) and plateau.best == 2.0
    state = plateau.state_dict()
    again = optim.ReduceLROnPlateau(optim.SGD([Value(np.ones(1))], lr=1.0), mode="max")
    again.load_state_dict(state)
    assert again.best == 2.0 and again.patience == 0


def test_bad_settings_are_errors():
    opt = make_opt()
    with pytest.raises(ValueError, match="step_size must be >= 1"):
        optim.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="factor must be in"):
        optim.ReduceLROnPlateau(opt, factor=2.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        optim.ReduceLROnPlateau(opt, mode="up")
