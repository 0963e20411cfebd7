"""Optimizers: trajectories against NumPy transcriptions of PyTorch's documented algorithms
(written here, independently of nn.optim), convergence, resume, and hyperparameter errors."""

import importlib
import json
import sys

import numpy as np
import pytest

from autograd import Value
from nn import optim
from nn.io import load_tree, save_tree

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
# Each is PyTorch's documented pseudo-code, line by line, on plain NumPy arrays. ``maximize``
# negates the gradient first (as the Adam/Adagrad/RMSprop docs and torch's SGD code do).
def ref_sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False):
    buf = {}

    def step(i, p, g, t):
        g = -g if maximize else g
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            buf[i] = momentum * buf[i] + (1 - dampening) * g if t > 1 else g
            g = g + momentum * buf[i] if nesterov else buf[i]
        return p - lr * g
    return step


def ref_adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):
    state_sum = {}

    def step(i, p, g, t):
        g = -g if maximize else g
        clr = lr / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * p
        state_sum[i] = state_sum.get(i, initial_accumulator_value) + g**2
        return p - clr * g / (np.sqrt(state_sum[i]) + eps)
    return step


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    m, v, v_max = {}, {}, {}
    b1, b2 = betas

    def step(i, p, g, t):
        g = -g if maximize else g
        if decoupled:
            p = p - lr * weight_decay * p
        elif weight_decay != 0:
            g = g + weight_decay * p
        m[i] = b1 * m.get(i, 0.0) + (1 - b1) * g
        v[i] = b2 * v.get(i, 0.0) + (1 - b2) * g**2
        m_hat = m[i] / (1 - b1**t)
        if amsgrad:
            v_max[i] = np.maximum(v_max.get(i, 0.0), v[i])
            v_hat = v_max[i] / (1 - b2**t)
        else:
            v_hat = v[i] / (1 - b2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return step


def ref_rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    v, g_ave, buf = {}, {}, {}

    def step(i, p, g, t):
        g = -g if maximize else g
        if weight_decay != 0:
            g = g + weight_decay * p
        v[i] = alpha * v.get(i, 0.0) + (1 - alpha) * g**2
        v_tilde = v[i]
        if centered:
            g_ave[i] = g_ave.get(i, 0.0) * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave[i] ** 2
        if momentum > 0:
            buf[i] = momentum * buf.get(i, 0.0) + g / (np.sqrt(v_tilde) + eps)
            return p - lr * buf[i]
        return p - lr * g / (np.sqrt(v_tilde) + eps)
    return step


def case(name, cls, ref, **kw):
    extra = {"decoupled": True} if cls is optim.AdamW else {}
    if cls is optim.AdamW:
        kw.setdefault("weight_decay", 1e-2)  # AdamW's own default, spelled out for the reference
    return name, lambda ps: cls(ps, **kw), ref(**kw, **extra)


CASES = [
    case("sgd", optim.SGD, ref_sgd, lr=0.05),
    case("sgd-momentum", optim.SGD, ref_sgd, lr=0.05, momentum=0.9),
    case("sgd-dampening", optim.SGD, ref_sgd, lr=0.05, momentum=0.8, dampening=0.3),
    case("sgd-nesterov", optim.SGD, ref_sgd, lr=0.05, momentum=0.9, nesterov=True),
    case("sgd-weight-decay", optim.SGD, ref_sgd, lr=0.05, weight_decay=0.1),
    case("sgd-all", optim.SGD, ref_sgd, lr=0.05, momentum=0.8, dampening=0.3,
         weight_decay=0.01),
    case("sgd-nesterov-wd", optim.SGD, ref_sgd, lr=0.05, momentum=0.9, nesterov=True,
         weight_decay=0.02),
    case("sgd-maximize", optim.SGD, ref_sgd, lr=0.05, momentum=0.5, maximize=True),
    case("sgd-maximize-wd", optim.SGD, ref_sgd, lr=0.05, weight_decay=0.1, maximize=True),
    case("adagrad", optim.Adagrad, ref_adagrad, lr=0.1),
    case("adagrad-lr-decay", optim.Adagrad, ref_adagrad, lr=0.1, lr_decay=0.05),
    case("adagrad-initial-accumulator", optim.Adagrad, ref_adagrad, lr=0.1,
         initial_accumulator_value=0.2),
    case("adagrad-all", optim.Adagrad, ref_adagrad, lr=0.1, lr_decay=0.05,
         initial_accumulator_value=0.2, weight_decay=0.01, eps=1e-6, maximize=True),
    case("adam", optim.Adam, ref_adam, lr=0.01),
    case("adam-wd", optim.Adam, ref_adam, lr=0.01, betas=(0.8, 0.99), weight_decay=0.05),
    case("adam-amsgrad", optim.Adam, ref_adam, lr=0.01, amsgrad=True),
    case("adam-maximize", optim.Adam, ref_adam, lr=0.01, eps=1e-4, maximize=True),
    case("adamw", optim.AdamW, ref_adam, lr=0.01),
    case("adamw-amsgrad", optim.AdamW, ref_adam, lr=0.01, weight_decay=0.1, amsgrad=True),
    case("rmsprop", optim.RMSprop, ref_rmsprop, lr=0.01),
    case("rmsprop-centered", optim.RMSprop, ref_rmsprop, lr=0.01, centered=True),
    case("rmsprop-momentum", optim.RMSprop, ref_rmsprop, lr=0.01, momentum=0.5),
    case("rmsprop-weight-decay", optim.RMSprop, ref_rmsprop, lr=0.01, weight_decay=0.1),
    case("rmsprop-all", optim.RMSprop, ref_rmsprop, lr=0.01, alpha=0.9, momentum=0.5,
         centered=True, weight_decay=0.01, maximize=True),
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
    x, z = Value(np.zeros(3)), Value(0.0)  # an array and a scalar (float data) parameter
    opt = QUADRATIC[name]([x, z])
    for _ in range(3000):
        opt.zero_grad()
        diff = x - TARGET
        loss = (diff * diff * CURVATURE).sum() + 3.0 * (z - 0.25) ** 2
        loss.backward()
        opt.step()
    wd = opt.param_groups[0]["weight_decay"]
    np.testing.assert_allclose(x.data, 2 * CURVATURE * TARGET / (2 * CURVATURE + wd), atol=1e-3)
    assert type(z.data) is float and abs(z.data - 6.0 * 0.25 / (6.0 + wd)) < 1e-3


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


@pytest.mark.parametrize("name", ["sgd-nesterov-wd", "adagrad-all", "adam-amsgrad", "adamw",
                                  "rmsprop-all"])
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

    full, full_opt = run(20)
    half, opt = run(10)
    state = load_tree(save_tree(tmp_path / "opt.npz", opt.state_dict()))  # the npz writer
    state = {"state": {str(k): v for k, v in state["state"].items()},  # as JSON would key it
             "param_groups": json.loads(json.dumps(state["param_groups"]))}  # plain JSON
    resumed, resumed_opt = run(20, resume=([p.data for p in half], state))
    for a, b in zip(full, resumed):
        assert np.array_equal(a.data, b.data)
    assert resumed_opt.param_groups[0].keys() == full_opt.param_groups[0].keys()
    assert all(resumed_opt.param_groups[0][k] == v for k, v in full_opt.param_groups[0].items()
               if k != "params")


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
    two_groups = optim.Adam([{"params": [Value(np.ones(3))]}, {"params": [Value(1.0)]}])
    with pytest.raises(ValueError, match="2 parameter groups saved, 1 here"):
        opt.load_state_dict(two_groups.state_dict())
    scalar_buffer = {"state": {"0": {"step": 1, "exp_avg": np.array(0.5), "exp_avg_sq": 1.0}},
                     "param_groups": opt.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match=r"exp_avg: shape \(\) saved, \(3,\) here; parameter 0 "
                                         r"exp_avg_sq: shape \(\) saved"):
        opt.load_state_dict(scalar_buffer)
    with pytest.raises(ValueError, match="state for parameter 4, which does not exist"):
        opt.load_state_dict({"state": {4: {}}, "param_groups": scalar_buffer["param_groups"]})
    sgd = optim.SGD([Value(np.ones(3))], lr=0.1, momentum=0.9)  # another optimizer's save
    with pytest.raises(ValueError, match=r"group 0: settings \['amsgrad', 'betas', 'eps'\] "
                                         r"missing and \['dampening', 'momentum', 'nesterov'\] "
                                         r"unknown \(saved by another optimizer\?\)"):
        opt.load_state_dict(sgd.state_dict())
    negative = opt.state_dict()
    negative["param_groups"][0]["lr"] = -0.1  # a tampered or hand-edited save
    with pytest.raises(ValueError, match="Adam: lr must be > 0, got -0.1"):
        opt.load_state_dict(negative)
    assert opt.state == {} and opt.param_groups[0]["lr"] == 0.1  # nothing was half-loaded


def test_load_state_dict_copies_and_casts_the_saved_buffers():
    w = Value(np.ones(3, dtype=np.float32))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    saved = {"state": {"0": {"momentum_buffer": np.full(3, 2.0)}},
             "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(saved)
    w.grad = np.zeros(3, dtype=np.float32)
    opt.step()  # buffer *= 0.9 in place: must not reach the caller's dict
    assert np.array_equal(saved["state"]["0"]["momentum_buffer"], np.full(3, 2.0))
    assert opt.state[w]["momentum_buffer"].dtype == np.float32
    np.testing.assert_allclose(w.data, 1 - 0.1 * 0.9 * 2.0, rtol=1e-6)
    exported = opt.state_dict()
    opt.step()
    assert np.allclose(exported["state"][0]["momentum_buffer"], 1.8)  # a copy, not the live one


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_step_updates_in_place_without_recording_a_graph(name):
    apply = importlib.import_module("autograd.primitive").apply
    recorded = []  # every graph node is made by autograd.primitive.apply: watch for its calls

    def watch(frame, event, arg):
        if event == "call" and frame.f_code is apply.__code__:
            recorded.append(frame.f_locals.get("op"))

    make = dict((c[0], c[1]) for c in CASES)[name]
    w, s = Value(np.linspace(0.5, 1.5, 4)), Value(0.7)
    opt = make([w, s])
    array = w.data
    sys.setprofile(watch)
    try:
        _ = (w * 2.0).sum()  # the watch works: this records nodes
        assert recorded
        recorded.clear()
        for t in range(1, 4):
            w.grad, s.grad = fake_grad(w.data, t), float(fake_grad(s.data, t))
            opt.step()
    finally:
        sys.setprofile(None)
    assert recorded == []
    assert w.data is array and w.is_leaf and s.is_leaf and type(s.data) is float
    assert not np.allclose(w.data, np.linspace(0.5, 1.5, 4)) and s.data != 0.7


def test_gradient_shape_must_match_the_parameter():
    w = Value(np.ones(3))
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.ones(1)  # would silently broadcast
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(1,\)"):
        opt.step()


def test_add_param_group_takes_defaults_and_checks_them():
    a, b, c = Value(np.ones(1)), Value(np.ones(1)), Value(np.ones(1))
    opt = optim.Adam([a], lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["betas"] == (0.8, 0.9)
    with pytest.raises(ValueError, match="Adam: lr must be > 0, got -1"):
        opt.add_param_group({"params": [c], "lr": -1})
    with pytest.raises(TypeError, match="a dict with a 'params' entry"):
        opt.add_param_group([c])
    assert len(opt.param_groups) == 2


def test_repr_lists_each_group_like_pytorch():
    opt = optim.SGD([{"params": [Value(np.ones(1))]}, {"params": [Value(1.0)], "lr": 0.5}],
                    lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n    dampening: 0.0\n") and text.endswith(")")
    assert "Parameter Group 1" in text and "    lr: 0.5" in text and "    momentum: 0.9" in text


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
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "nesterov needs momentum > 0 and dampening = 0"),
    (lambda p: optim.SGD(p, lr=0.1, dampening=-0.1), "dampening must be >= 0"),
    (lambda p: optim.Adam(p, lr=0), "Adam: lr must be > 0"),
    (lambda p: optim.Adam(p, weight_decay=-0.1), "Adam: weight_decay must be >= 0"),
    (lambda p: optim.Adagrad(p, eps=-1.0), "eps must be >= 0"),
    (lambda p: optim.Adagrad(p, weight_decay=-1.0), "weight_decay must be >= 0"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1.0),
     "initial_accumulator_value must be >= 0"),
    (lambda p: optim.RMSprop(p, alpha=1.0), r"alpha must be in \[0, 1\), got 1.0"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "alpha must be in"),
    (lambda p: optim.RMSprop(p, eps=-1.0), "RMSprop: eps must be >= 0"),
    (lambda p: optim.RMSprop(p, momentum=-1.0), "RMSprop: momentum must be >= 0"),
    (lambda p: optim.RMSprop(p, weight_decay=-1.0), "RMSprop: weight_decay must be >= 0"),
    (lambda p: optim.RMSprop(p, lr=-0.01), "RMSprop: lr must be > 0"),
    (lambda p: optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
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
    with pytest.raises(TypeError, match="betas\\[0\\] must be a number, got None"):
        optim.Adam([Value(np.ones(2))], betas=(None, 0.9))
    with pytest.raises(TypeError, match="momentum must be a number, got True"):
        optim.SGD([Value(np.ones(2))], lr=0.1, momentum=True)
    with pytest.raises(TypeError, match="all Values or all parameter-group dicts"):
        optim.SGD([Value(np.ones(2)), {"params": [Value(1.0)]}], lr=0.1)


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
