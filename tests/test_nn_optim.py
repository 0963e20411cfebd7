"""Optimizers: trajectories against NumPy transcriptions of PyTorch's documented algorithms
(written here, independently of nn.optim), convergence, resume, and hyperparameter errors."""

import json

import numpy as np
import pytest

from autograd import Value
from nn import optim

SHAPES = [(3,), (2, 3), ()]
A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])


def fake_grad(p, t):
    """A fixed, state-free gradient field (deterministic, different per step and shape)."""
    p = np.asarray(p, dtype=float)
    flat = p.reshape(-1)
    g = np.array([A[i % 3] @ np.resize(flat, 3) for i in range(flat.size)]) - 0.5
    return (g + 0.1 * np.sin(flat + t)).reshape(p.shape)


def start():
    return [np.linspace(-1, 1, int(np.prod(s))).reshape(s) + 0.3 for s in SHAPES]


# ---------------------------------------------------------------- the references
def ref_sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False):
    buf = {}

    def step(i, p, g, t):
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            buf[i] = g.copy() if i not in buf else momentum * buf[i] + (1 - dampening) * g
            g = g + momentum * buf[i] if nesterov else buf[i]
        return p - lr * g
    return step


def ref_adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    acc = {}

    def step(i, p, g, t):
        if weight_decay:
            g = g + weight_decay * p
        acc[i] = acc.get(i, np.full_like(p, initial_accumulator_value)) + g * g
        clr = lr / (1 + (t - 1) * lr_decay)
        return p - clr * g / (np.sqrt(acc[i]) + eps)
    return step


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    m, v, vmax = {}, {}, {}
    b1, b2 = betas

    def step(i, p, g, t):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m[i] = b1 * m.get(i, 0 * p) + (1 - b1) * g
        v[i] = b2 * v.get(i, 0 * p) + (1 - b2) * g * g
        if amsgrad:
            vmax[i] = np.maximum(vmax.get(i, 0 * p), v[i])
        denom = np.sqrt(vmax[i] if amsgrad else v[i]) / np.sqrt(1 - b2**t) + eps
        return p - (lr / (1 - b1**t)) * m[i] / denom
    return step


def ref_rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    sq, avg, buf = {}, {}, {}

    def step(i, p, g, t):
        if weight_decay:
            g = g + weight_decay * p
        sq[i] = alpha * sq.get(i, 0 * p) + (1 - alpha) * g * g
        if centered:
            avg[i] = alpha * avg.get(i, 0 * p) + (1 - alpha) * g
            denom = np.sqrt(sq[i] - avg[i] ** 2) + eps
        else:
            denom = np.sqrt(sq[i]) + eps
        if momentum:
            buf[i] = momentum * buf.get(i, 0 * p) + g / denom
            return p - lr * buf[i]
        return p - lr * g / denom
    return step


CASES = [
    ("sgd", lambda ps: optim.SGD(ps, lr=0.05), ref_sgd(0.05)),
    ("sgd-momentum", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9), ref_sgd(0.05, 0.9)),
    ("sgd-dampening-wd", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3,
                                              weight_decay=0.01),
     ref_sgd(0.05, 0.8, 0.3, weight_decay=0.01)),
    ("sgd-nesterov", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                          weight_decay=0.02),
     ref_sgd(0.05, 0.9, nesterov=True, weight_decay=0.02)),
    ("sgd-maximize", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.5, maximize=True),
     ref_sgd(0.05, 0.5, maximize=True)),
    ("adagrad", lambda ps: optim.Adagrad(ps, lr=0.1), ref_adagrad(0.1)),
    ("adagrad-decay-init-wd", lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.05,
                                                       initial_accumulator_value=0.2,
                                                       weight_decay=0.01),
     ref_adagrad(0.1, 0.05, 0.01, 0.2)),
    ("adam", lambda ps: optim.Adam(ps, lr=0.01), ref_adam(0.01)),
    ("adam-wd", lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.05),
     ref_adam(0.01, (0.8, 0.99), weight_decay=0.05)),
    ("adam-amsgrad", lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
     ref_adam(0.01, amsgrad=True)),
    ("adamw", lambda ps: optim.AdamW(ps, lr=0.01), ref_adam(0.01, weight_decay=1e-2,
                                                            decoupled=True)),
    ("adamw-amsgrad", lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1, amsgrad=True),
     ref_adam(0.01, weight_decay=0.1, amsgrad=True, decoupled=True)),
    ("rmsprop", lambda ps: optim.RMSprop(ps, lr=0.01), ref_rmsprop(0.01)),
    ("rmsprop-centered-momentum-wd", lambda ps: optim.RMSprop(
        ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
     ref_rmsprop(0.01, 0.9, momentum=0.5, centered=True, weight_decay=0.01)),
]


@pytest.mark.parametrize("make, reference", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_trajectory_matches_the_documented_rule(make, reference):
    params = [Value(p.copy()) if p.ndim else Value(float(p)) for p in start()]
    opt = make(params)
    expected = start()
    for t in range(1, 31):
        for p in params:
            p.grad = fake_grad(p.data, t) if p.ndim else float(fake_grad(p.data, t))
        grads = [fake_grad(e, t) for e in expected]
        opt.step()
        expected = [reference(i, e, g, t) for i, (e, g) in enumerate(zip(expected, grads))]
        for p, e in zip(params, expected):
            np.testing.assert_allclose(p.data, e, rtol=1e-12, atol=1e-12)
    assert type(params[2].data) is float  # scalar parameters stay Python floats


QUADRATIC = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    "nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.5),
    "adam": lambda ps: optim.Adam(ps, lr=0.05),
    "adam-amsgrad": lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.0),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01),
    "rmsprop-centered-momentum": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5,
                                                          centered=True),
    # L2 decay moves the minimum of sum c (x - t)^2 + wd/2 |x|^2 to x = 2 c t / (2 c + wd)
    "sgd-weight-decay": lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.5),
}
CURVATURE, TARGET = np.array([1.0, 2.0, 0.5]), np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize("name", list(QUADRATIC))
def test_drives_a_convex_quadratic_to_its_minimum(name):
    x = Value(np.zeros(3))
    opt = QUADRATIC[name]([x])
    for _ in range(3000):
        opt.zero_grad()
        diff = x - TARGET
        loss = (diff * diff * CURVATURE).sum()
        loss.backward()
        opt.step()
    wd = opt.param_groups[0]["weight_decay"]
    np.testing.assert_allclose(x.data, 2 * CURVATURE * TARGET / (2 * CURVATURE + wd), atol=1e-3)


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=0.02),
                                  lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9)],
                         ids=["adam", "sgd-momentum"])
def test_solves_rosenbrock(make):
    xy = Value(np.array([-1.5, 2.0]))
    opt = make([xy])
    for _ in range(20000):
        opt.zero_grad()
        x, y = xy[0], xy[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        opt.step()
    np.testing.assert_allclose(xy.data, [1.0, 1.0], atol=1e-3)


def test_parameters_without_grad_are_skipped_and_zero_grad_sets_none():
    a, b = Value(np.ones(2)), Value(np.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    assert np.array_equal(b.data, np.ones(2)) and b not in opt.state and a in opt.state
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_closure_is_called_and_its_loss_returned():
    x = Value(np.array([3.0]))
    opt = optim.SGD([x], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.data) == 9.0 and x.data[0] == pytest.approx(3.0 - 0.25 * 6.0)


def test_param_groups_have_their_own_hyperparameters():
    a, b = Value(np.ones(1)), Value(np.ones(1))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.ones(1), np.ones(1)
    opt.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("name", ["sgd-nesterov", "adagrad-decay-init-wd", "adam-amsgrad",
                                  "rmsprop-centered-momentum-wd"])
def test_state_dict_resume_is_bit_identical_through_json_keys(name, tmp_path):
    make = dict((c[0], c[1]) for c in CASES)[name]

    def run(steps, resume=None):
        params = [Value(p.copy()) if p.ndim else Value(float(p)) for p in start()]
        opt = make(params)
        first = 1
        if resume is not None:
            saved_params, saved_state = resume
            for p, d in zip(params, saved_params):
                p.data = d.copy() if isinstance(d, np.ndarray) else d
            opt.load_state_dict(saved_state)
            first = 11
        for t in range(first, steps + 1):
            for p in params:
                p.grad = fake_grad(p.data, t) if p.ndim else float(fake_grad(p.data, t))
            opt.step()
        return params, opt

    full, _ = run(20)
    half, opt = run(10)
    from nn.io import load_tree, save_tree

    state = load_tree(save_tree(tmp_path / "opt.npz", opt.state_dict()))
    state["state"] = {str(k): v for k, v in state["state"].items()}  # as JSON would key it
    json.dumps(opt.state_dict()["param_groups"])  # groups are plain JSON
    resumed, _ = run(20, resume=([p.data for p in half], state))
    for a, b in zip(full, resumed):
        assert np.array_equal(a.data, b.data)


def test_mismatched_state_dict_names_the_problem():
    opt = optim.Adam([Value(np.ones(3))], lr=0.1)
    other = optim.Adam([Value(np.ones(3)), Value(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="group 0: 2 parameters saved, 1 here"):
        opt.load_state_dict(other.state_dict())
    bad = {"state": {0: {"step": 1, "exp_avg": np.ones(5), "exp_avg_sq": np.ones(5)}},
           "param_groups": opt.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match=r"parameter 0 exp_avg: shape \(5,\) saved, \(3,\) here"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 1})


@pytest.mark.parametrize("build, message", [
    (lambda p: optim.SGD(p, lr=0), "SGD: lr must be > 0, got 0"),
    (lambda p: optim.SGD(p, lr=-1), "lr must be > 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "momentum must be >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov needs momentum > 0"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay must be >= 0"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\), got 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
    (lambda p: optim.Adam(p, betas=0.9), "betas must be a pair"),
    (lambda p: optim.Adam(p, eps=-1e-8), "eps must be >= 0"),
    (lambda p: optim.AdamW(p, weight_decay=-0.1), "AdamW: weight_decay must be >= 0"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay must be >= 0"),
    (lambda p: optim.RMSprop(p, alpha=1.5), r"alpha must be in \[0, 1\)"),
    (lambda p: optim.SGD(p, lr=float("nan")), "lr must be finite"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
])
def test_invalid_hyperparameters_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build([Value(np.ones(2))])


def test_wrong_params_are_type_errors():
    with pytest.raises(TypeError, match="single Value"):
        optim.SGD(Value(np.ones(2)), lr=0.1)
    with pytest.raises(TypeError, match="parameters must be Values, got ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="lr must be a number, got '0.1'"):
        optim.SGD([Value(np.ones(2))], lr="0.1")


def test_get_optimizer_names():
    p = [Value(np.ones(2))]
    assert optim.get_optimizer("SGD", p, lr=0.1).param_groups[0]["momentum"] == 0
    nesterov = optim.get_optimizer("nesterov", p, lr=0.1).param_groups[0]
    assert nesterov["momentum"] == 0.9 and nesterov["nesterov"]
    assert optim.get_optimizer("momentum", p, lr=0.1, momentum=0.5).param_groups[0][
        "momentum"] == 0.5
    assert type(optim.get_optimizer("adamw", p)) is optim.AdamW
    assert {type(optim.get_optimizer(n, p)).__name__ for n in optim.OPTIMIZERS} == {
        "SGD", "Adagrad", "Adam", "AdamW", "RMSprop"}
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; valid names: sgd, momentum"):
        optim.get_optimizer("lbfgs", p)


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_float32_parameters_stay_float32(name):
    w = Value(np.ones(3, dtype=np.float32))
    opt = optim.get_optimizer(name, [w], lr=0.1)
    for _ in range(3):
        w.grad = np.full(3, 0.5, dtype=np.float32)
        opt.step()
    assert w.data.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, np.ndarray))
