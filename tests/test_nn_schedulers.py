"""LR schedulers: sequences against closed forms written here; plateau logic; resume."""

import json
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


def test_construction_records_initial_lr_and_step_counts_epochs():
    opt = make_opt()
    scheduler = optim.StepLR(opt, step_size=2, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert scheduler.last_epoch == 0 and scheduler.get_last_lr() == [0.1, 0.01]
    for _ in range(3):
        scheduler.step()
    assert scheduler.last_epoch == 3 and scheduler.get_last_lr() == [0.05, 0.005]
    # a second scheduler on the same optimizer starts from the recorded initial_lr (PyTorch)
    again = optim.ExponentialLR(opt, gamma=0.5)
    assert again.base_lrs == [0.1, 0.01] and again.get_last_lr() == [0.1, 0.01]


def test_the_optimizer_steps_with_the_scheduled_rate():
    w = Value(np.zeros(1))
    opt = optim.SGD([w], lr=1.0)
    scheduler = optim.ExponentialLR(opt, gamma=0.5)
    for _ in range(5):
        w.grad = np.ones(1)
        opt.step()
        scheduler.step()
    assert w.data[0] == -sum(0.5**e for e in range(5))


CLOSED_FORMS = {
    "step": lambda o: optim.StepLR(o, step_size=3, gamma=0.3),
    "exponential": lambda o: optim.ExponentialLR(o, gamma=0.8),
    "cosine": lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=1e-3),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_state_dict_survives_json_and_resumes_the_sequence(name):
    make = CLOSED_FORMS[name]
    opt = make_opt()
    scheduler = make(opt)
    full = []
    for _ in range(20):
        scheduler.step()
        full.append(scheduler.get_last_lr())
    opt = make_opt()
    scheduler = make(opt)
    for _ in range(8):
        scheduler.step()
    state = json.loads(json.dumps(scheduler.state_dict()))
    opt2 = make_opt(lr=0.7)  # different rates now: the saved state decides
    resumed = make(opt2)
    resumed.load_state_dict(state)
    assert resumed.last_epoch == 8 and resumed.get_last_lr() == full[7]
    rest = []
    for _ in range(12):
        resumed.step()
        rest.append(resumed.get_last_lr())
    assert rest == full[8:]


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


def test_plateau_abs_threshold_per_group_floor_and_eps():
    opt = make_opt(lr=0.1)  # groups at 0.1 and 0.01
    plateau = optim.ReduceLROnPlateau(opt, patience=0, threshold=0.5, threshold_mode="abs",
                                      min_lr=[0.02, 0.0], eps=1e-4)
    plateau.step(10.0)
    plateau.step(9.6)  # improves by 0.4 < 0.5: bad
    assert plateau.get_last_lr() == pytest.approx([0.02, 0.001])  # group 0 hit its floor
    plateau.step(9.0)  # 0.6 better than best 10.0: good
    assert plateau.best == 9.0 and plateau.num_bad_epochs == 0
    for _ in range(3):
        plateau.step(9.0)  # each bad: 0.001 -> 1e-4; the next cut (9e-5) is below eps: skipped
    assert plateau.get_last_lr() == pytest.approx([0.02, 1e-4])


def test_plateau_state_survives_json_and_resumes_the_sequence():
    losses = [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.9, 0.91, 0.92, 0.93, 0.7, 0.75, 0.8]

    def make():
        opt = optim.SGD([Value(np.ones(1))], lr=1.0)
        return optim.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=2)

    plateau = make()
    full = []
    for loss in losses:
        plateau.step(loss)
        full.append(plateau.get_last_lr()[0])
    assert full[-1] < 1.0
    plateau = make()
    for loss in losses[:5]:  # stop inside a cooldown
        plateau.step(loss)
    assert plateau.cooldown_counter == 1
    state = json.loads(json.dumps(plateau.state_dict()))
    groups = json.loads(json.dumps(plateau.optimizer.state_dict()))  # the rate lives there
    resumed = make()
    resumed.load_state_dict(state)
    resumed.optimizer.load_state_dict(groups)
    assert resumed.get_last_lr() == [full[4]]
    rest = []
    for loss in losses[5:]:
        resumed.step(loss)
        rest.append(resumed.get_last_lr()[0])
    assert rest == full[5:]


def test_bad_settings_are_errors():
    opt = make_opt()
    with pytest.raises(ValueError, match="step_size must be an integer >= 1"):
        optim.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match=r"StepLR: step_size must be an integer >= 1, got 2.5"):
        optim.StepLR(opt, step_size=2.5)  # was silently 2
    with pytest.raises(ValueError, match=r"CosineAnnealingLR: T_max must be an integer >= 1"):
        optim.CosineAnnealingLR(opt, T_max=9.5)
    for make in (lambda g: optim.StepLR(opt, 3, gamma=g), lambda g: optim.ExponentialLR(opt, g)):
        for gamma in (0.0, -0.5):  # a zero or negative rate after the first step
            with pytest.raises(ValueError, match=rf"gamma must be > 0, got {gamma}"):
                make(gamma)
    with pytest.raises(ValueError, match="factor must be in"):
        optim.ReduceLROnPlateau(opt, factor=2.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        optim.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="T_max must be an integer >= 1"):
        optim.CosineAnnealingLR(opt, T_max=0)
    for name in ("patience", "cooldown"):  # counts of epochs
        with pytest.raises(ValueError, match=f"ReduceLROnPlateau: {name} must be an integer >= "
                                             "0, got -1"):
            optim.ReduceLROnPlateau(opt, **{name: -1})
        with pytest.raises(ValueError, match=f"{name} must be an integer >= 0, got 2.5"):
            optim.ReduceLROnPlateau(opt, **{name: 2.5})  # was silently 2
    for name in ("threshold", "eps", "min_lr"):
        with pytest.raises(ValueError, match=f"ReduceLROnPlateau: {name} must be >= 0, got -1"):
            optim.ReduceLROnPlateau(opt, **{name: -1})
    with pytest.raises(TypeError, match=r"ExponentialLR: gamma must be a number, got '0.5'"):
        optim.ExponentialLR(opt, "0.5")  # float("0.5") let it through
    with pytest.raises(ValueError, match="3 min_lr values for 2 parameter groups"):
        optim.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])


def test_load_state_dict_is_strict():
    step = optim.StepLR(make_opt(), step_size=2)
    cosine = optim.CosineAnnealingLR(make_opt(), T_max=5)
    with pytest.raises(ValueError, match=r"missing \['gamma', 'step_size'\]; unknown \['T_max', "
                                         r"'eta_min'\]"):
        step.load_state_dict(cosine.state_dict())
    one_group = optim.StepLR(optim.SGD([Value(np.ones(1))], lr=0.1), step_size=2)
    with pytest.raises(ValueError, match="base_lrs: 1 groups saved, 2 here"):
        step.load_state_dict(one_group.state_dict())
