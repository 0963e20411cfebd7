"""trace: replayed calls against a NumPy re-implementation and central differences, and the
guards that keep a replay from reusing what changes between calls."""

import contextlib
import gc
import warnings
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import DataError, TraceError, Value


# ------------------------------------------------------------ an independent reference
def numpy_mlp(x, labels, w1, b1, w2, b2):
    """Mean softmax cross-entropy of a tanh MLP and its parameter gradients, by hand."""
    h = np.tanh(x @ w1.T + b1)
    z = h @ w2.T + b2
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = len(labels)
    loss = -np.log(p[np.arange(n), labels]).mean()
    dz = p.copy()
    dz[np.arange(n), labels] -= 1
    dz /= n
    dh = dz @ w2 * (1 - h**2)
    return loss, [dh.T @ x, dh.sum(0), dz.T @ h, dz.sum(0)]


def make_mlp(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    shapes = [(6, 5), (6,), (3, 6), (3,)]
    params = [Value(rng.standard_normal(s).astype(dtype) * 0.5) for s in shapes]

    def loss(x, labels):
        w1, b1, w2, b2 = params
        hidden = ag.affine(x, w1, b1).tanh()
        return ag.softmax_cross_entropy(ag.affine(hidden, w2, b2), labels, "mean")

    return params, loss


def batches(n_calls, batch=4, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, 5)), rng.integers(0, 3, batch)) for _ in range(n_calls)]


@contextlib.contextmanager
def moved(params):
    """The parameters moved by 1e-3 inside the block, then restored exactly: replay needs an
    update between the two recordings it compares, and the tests' expected values stay
    those of the unmoved parameters."""
    saved = [np.array(p.data) for p in params]
    for p in params:
        p.data += 1e-3
    yield
    for p, value in zip(params, saved):
        if type(p.data) is float:
            p.data = float(value)
        else:
            p.data[...] = value


def prime(step, params, *calls):
    """``step`` called on each argument tuple in ``calls``, the parameters `moved` during the
    second call. The last result."""
    for i, args in enumerate(calls):
        if i == 1:
            with moved(params):
                out = step(*args)
        else:
            out = step(*args)
    return out


def primed_mlp():
    """The MLP's traced loss confirmed on two batches (the next call replays), its
    parameters and a third batch."""
    params, loss = make_mlp()
    step = ag.trace(loss)
    data = batches(3)
    prime(step, params, *data[:2])
    return params, step, *data[2]


def test_replay_starts_on_the_third_call_and_matches_numpy_while_training():
    params, loss = make_mlp()
    step = ag.trace(loss)
    weights = [p.data.copy() for p in params]  # the reference trains its own copy
    modes = []
    for x, y in batches(12):
        modes.append(step.mode(x, y))
        for p in params:
            p.grad = None
        out = step(x, y)
        out.backward()
        expected, grads = numpy_mlp(x, y, *weights)
        assert out.item() == pytest.approx(expected, rel=1e-12)
        for p, g, w in zip(params, grads, weights):
            np.testing.assert_allclose(p.grad, g, rtol=1e-10, atol=1e-14)
            p.data -= 0.1 * p.grad  # in place, as optimizers do: the replay must see it
            w -= 0.1 * g
    assert modes[:3] == ["record", "record", "replay"]
    assert modes[-1] == "replay"
    assert out.op.startswith("trace(")


@pytest.mark.parametrize("w_shape,b_shape", [((3,), (1,)), ((2, 3), ()), ((1, 3), (2, 1))])
def test_replayed_gradients_with_broadcasting_match_central_differences(w_shape, b_shape):
    rng = np.random.default_rng(0)
    w = Value(rng.standard_normal(w_shape))
    b = Value(rng.standard_normal(b_shape))
    step = ag.trace(lambda x: ((x * w + b).sigmoid() ** 2).sum() / (x.exp() + w).sum())
    prime(step, [w, b], *[(rng.standard_normal((2, 3)),) for _ in range(3)])
    x = rng.standard_normal((2, 3))
    assert step.mode(x) == "replay"
    out = step(x)
    out.backward()
    for leaf in (w, b):
        start = np.array(leaf.data)
        numeric = np.zeros_like(start)
        for index in np.ndindex(start.shape):
            values = []
            for h in (1e-6, -1e-6):
                moved = start.copy()
                moved[index] += h
                leaf.data = float(moved) if moved.ndim == 0 else moved
                with ag.no_grad():  # the forward replays too
                    values.append(step(x).item())
            numeric[index] = (values[0] - values[1]) / 2e-6
        leaf.data = float(start) if start.ndim == 0 else start
        np.testing.assert_allclose(leaf.grad, numeric, rtol=1e-6, atol=1e-9)


def test_gradients_through_a_replayed_result_and_accumulation():
    params, step, x, y = primed_mlp()
    expected, grads = numpy_mlp(x, y, *[p.data for p in params])
    out = step(x, y)
    found = ag.gradients(out, params)
    for f, g in zip(found, grads):
        np.testing.assert_allclose(f, g, rtol=1e-10, atol=1e-14)
    (out * 3.0).backward()  # a replayed result is an ordinary node downstream
    out.backward()
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad, 4 * g, rtol=1e-10, atol=1e-14)


def test_parameters_fed_one_passed_through_gradient_get_their_own_arrays():
    w1, w2 = Value(np.ones(3)), Value(np.ones(3))
    step = ag.trace(lambda x: (x * (w1 + w2)).sum())
    calls = [(np.array(x, dtype=float),) for x in ([1, 2, 3], [2, 3, 4], [3, 4, 5])]
    out = prime(step, [w1, w2], *calls)
    assert out.op.startswith("trace(")
    out.backward()
    out.backward()
    assert w1.grad is not w2.grad
    np.testing.assert_array_equal(w1.grad, [6.0, 8.0, 10.0])
    np.testing.assert_array_equal(w2.grad, [6.0, 8.0, 10.0])


def test_a_refilled_input_buffer_is_read_afresh():
    w = Value(np.array([1.0, -2.0]))
    step = ag.trace(lambda x: (x * w).sum())
    buffer = np.zeros(2)
    buffer[:] = [1.0, 1.0]
    step(buffer)
    buffer[:] = [2.0, 5.0]
    with moved([w]):
        step(buffer)
    buffer[:] = [3.0, 4.0]
    out = step(buffer)
    assert out.op.startswith("trace(") and out.item() == 3.0 - 8.0


def test_scalar_graphs_replay():
    a, b = Value(0.5), Value(-1.0)
    step = ag.trace(lambda x: (x * a + b).tanh())
    out = prime(step, [a, b], (0.1,), (0.2,), (0.3,))
    out.backward()
    assert out.op.startswith("trace(")
    assert out.item() == pytest.approx(np.tanh(0.15 - 1.0))
    assert a.grad == pytest.approx((1 - np.tanh(0.15 - 1.0) ** 2) * 0.3)
    assert b.grad == pytest.approx(1 - np.tanh(0.15 - 1.0) ** 2)


def test_code_shows_the_replayed_program():
    params, loss = make_mlp()
    step = ag.trace(loss)
    (x1, y1), (x2, y2) = batches(2)
    with pytest.raises(ValueError, match="no replay for such arguments yet"):
        step.code(x1, y1)
    prime(step, params, (x1, y1), (x2, y2))
    code = step.code(x1, y1)
    assert "def forward(" in code and "def backward(" in code
    assert "softmax_cross_entropy(" in code and "affine_vjp(" in code
    assert code.count("tanh(") == 1


# --------------------------------------------------------------------------- guards
def test_identical_inputs_do_not_confirm_a_recording():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum())
    x = np.array([1.0, 2.0])
    prime(step, [w], *[(x,)] * 4)
    assert step.mode(x) == "record"  # a constant made from x would look constant
    with moved([w]):
        step(x + 1)
    assert step.mode(x) == "replay"


def test_an_input_that_never_changes_makes_the_function_run_eagerly():
    w = Value(np.ones(2))
    step = ag.trace(lambda x, t: ((x * w).sum() - t) ** 2)
    t = np.array(1.0, dtype=np.float32)  # the same target in every call
    with pytest.warns(UserWarning, match="argument 1 had the same value in 5 calls in a row"):
        for k in range(5):
            step(np.array([k, 1.0]), t)
    assert step.mode(np.zeros(2), t).startswith("eager")
    assert step(np.array([2.0, 3.0]), t).item() == 16.0


def test_more_than_16_shapes_run_eagerly_and_are_not_kept():
    w = Value(np.ones(1))
    step = ag.trace(lambda x: (x * w).sum())
    with pytest.warns(UserWarning, match="runs eagerly for new argument shapes"):
        for n in range(1, 19):
            step(np.ones(n))
    assert len(step._entries) == 16  # nothing kept for the others
    assert step.mode(np.ones(17)).startswith("eager: 16 argument shapes")
    assert step.mode(np.ones(3)) == "record"
    assert step(np.ones(17)).item() == 17.0


def test_a_random_mask_makes_the_function_run_eagerly_with_correct_results():
    w = Value(np.ones(4))
    rng = np.random.default_rng(0)
    masks = []

    def dropped(x):
        mask = (rng.random(4) > 0.5).astype(float)  # Dropout-like: a new constant per call
        masks.append(mask)
        return (x * w * mask).sum()

    step = ag.trace(dropped)
    with pytest.warns(UserWarning, match=r"constant operand of '\*'.*Dropout"):
        prime(step, [w], *[(x,) for x in np.arange(12.0).reshape(3, 4)])
    assert step.mode(np.zeros(4)).startswith("eager: a constant operand of '*'")
    for k in range(5):
        x = np.full(4, float(k))
        assert step(x).item() == pytest.approx(float(x @ masks[-1]))


def test_control_flow_on_the_data_makes_the_function_run_eagerly():
    w = Value(np.ones(2))

    def branchy(x):
        return (x * w).sum() if x.data.sum() > 0 else (x * w).exp().sum()

    step = ag.trace(branchy)
    with pytest.warns(UserWarning, match="different graph"):
        prime(step, [w], (np.array([1.0, 2.0]),), (np.array([-1.0, -2.0]),))
    assert step(np.array([-1.0, 0.0])).item() == pytest.approx(np.exp(-1.0) + 1.0)
    assert step(np.array([3.0, 1.0])).item() == pytest.approx(4.0)


def test_a_number_computed_from_the_data_in_python_makes_it_run_eagerly():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum() * float(x.data.max()))
    with pytest.warns(UserWarning, match=r"constant operand of '\*'"):
        prime(step, [w], (np.array([1.0, 2.0]),), (np.array([3.0, 1.0]),))
    assert step(np.array([5.0, 1.0])).item() == pytest.approx(30.0)


def test_changed_python_state_after_replay_began_raises_at_the_check():
    w = Value(np.ones(2))
    state = {"scale": 2.0}
    step = ag.trace(lambda x: (x * w).sum() * state["scale"])
    prime(step, [w], (np.array([1.0, 2.0]),), (np.array([2.0, 3.0]),))
    state["scale"] = 5.0  # read by Python, frozen in the recording
    with pytest.raises(TraceError, match="another graph than the recorded one"):
        for k in range(8):  # the 8th call after replay began re-records
            step(np.array([k, 1.0]))


def test_parameters_that_change_shape_or_freeze_are_recorded_anew():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum())
    prime(step, [w], *[(np.array([k, 1.0]),) for k in range(3)])
    w.data = np.ones((2, 2))  # a new array of another shape
    assert step.mode(np.zeros(2)) == "record"
    assert step(np.array([1.0, 2.0])).item() == 6.0
    w.data = np.ones(2)
    prime(step, [w], *[(np.array([k, 2.0]),) for k in range(3)])
    w.requires_grad = False
    out = step(np.array([1.0, 2.0]))
    assert not out.requires_grad  # nothing left to differentiate
    w.requires_grad = True
    w.grad = None
    out = prime(step, [w], *[(np.array([k, 5.0]),) for k in range(3)])
    out.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 5.0])


def test_each_shape_and_setting_gets_its_own_recording():
    w = Value(np.ones(3))
    step = ag.trace(lambda x, power: ((x * w) ** power).sum())
    rng = np.random.default_rng(0)
    for shape in ((3,), (2, 3)):
        for power in (1, 2):
            calls = [(rng.standard_normal(shape), power) for _ in range(3)]
            out = prime(step, [w], *calls)
            assert out.item() == pytest.approx(float((calls[2][0] ** power).sum()))
    assert step.mode(np.zeros((2, 3)), 2) == "replay"
    assert step.mode(np.zeros((4, 3)), 2) == "record"


def test_labels_out_of_range_are_caught_on_replay():
    params, step, x, y = primed_mlp()
    assert step.mode(x, y) == "replay"
    with pytest.raises(DataError, match=r"labels must be in 0..2 for 3 classes, got \[7\]"):
        step(x, np.array([0, 7, 1, 2]))


def test_an_index_out_of_range_on_replay_names_getitem_and_the_shape():
    w = Value(np.ones((5, 3)))
    step = ag.trace(lambda x, rows: (w[rows] * x).sum())
    prime(step, [w], (np.ones(3), np.array([1])), (np.full(3, 2.0), np.array([2])))
    assert step.mode(np.ones(3), np.array([3])) == "replay"
    with pytest.raises(IndexError, match=r"getitem: index array\(\[7\]\) does not fit shape "
                                         r"\(5, 3\): index 7 is out of bounds"):
        step(np.ones(3), np.array([7]))


def test_no_grad_and_detect_anomaly():
    params, step, x, y = primed_mlp()
    expected, _ = numpy_mlp(x, y, *[p.data for p in params])
    with ag.no_grad():
        out = step(x, y)
    assert not out.requires_grad and out.item() == pytest.approx(expected, rel=1e-12)
    with ag.detect_anomaly():
        assert step.mode(x, y) == "eager: detect_anomaly is on"
        out = step(x, y)
    assert out.op == "softmax_cross_entropy"  # the eager graph, checked op by op


def test_no_grad_on_recording_calls_returns_a_constant():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum())
    with ag.no_grad():
        out = step(np.array([1.0, 2.0]))
    assert not out.requires_grad and out.item() == 3.0


def test_second_order_through_a_replay_is_refused():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum() ** 2)
    out = prime(step, [w], *[(np.array([k, 1.0]),) for k in range(3)])
    with pytest.raises(TypeError, match="create_graph=True"):
        out.backward(create_graph=True)


def test_bad_arguments_and_results_are_named():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum())
    with pytest.raises(TypeError, match=r"argument 0 is a Value that requires grad"):
        step(Value(np.ones(2)))
    with pytest.raises(ValueError, match="argument 0 is a ragged sequence"):
        step([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match=r"argument 0 \(dict\) is neither data nor"):
        step({"a": 1})
    with pytest.raises(TypeError, match="must return a Value or a tuple of Values .*got float"):
        ag.trace(lambda x: 1.0)(np.ones(2))
    with pytest.raises(TypeError, match="expected a function"):
        ag.trace(3)


def test_a_result_that_needs_no_recorded_op_runs_eagerly():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: w)
    with pytest.warns(UserWarning, match="not computed by any op"):
        assert step(np.ones(2)) is w
    assert step.mode(np.ones(2)).startswith("eager")


def test_float32_stays_float32():
    params, loss = make_mlp(dtype=np.float32)
    step = ag.trace(loss)
    out = prime(step, params, *[(x.astype(np.float32), y) for x, y in batches(3)])
    out.backward()
    assert out.op.startswith("trace(")
    assert out.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in params)


def test_nothing_warns_on_a_clean_replay():
    params, loss = make_mlp()
    step = ag.trace(loss)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in batches(20):
            step(x, y).backward()


def test_a_constant_refilled_inside_the_function_makes_it_run_eagerly():
    w = Value(np.ones(2))
    scratch = np.zeros(2)  # the function writes it: a replay would not

    def scaled(x):
        scratch[:] = np.abs(x.data)
        return (x * w * scratch).sum()

    step = ag.trace(scaled)
    with pytest.warns(UserWarning, match="writes into the data of a Value"):
        prime(step, [w], (np.array([1.0, 2.0]),), (np.array([-3.0, 1.0]),))
    assert step(np.array([2.0, -3.0])).item() == pytest.approx(4.0 - 9.0)



def test_custom_ops_named_like_the_generated_code_s_variables_replay():
    """Ops named "v0", "g" or "*" must not collide with the generated code's own names."""
    ops = []
    for name in ("v0", "g", "forward"):
        op = ag.primitive(name)(lambda x: x * 3.0)
        op.defvjp(lambda g, out, x: (g * 3.0,))
        ops.append(op)
    w = Value(np.array([1.0, 2.0]))
    step = ag.trace(lambda x: ops[2](ops[1](ops[0](x * w))).sum())
    out = prime(step, [w], *[(np.array([k, 1.0]),) for k in range(3)])
    out.backward()
    assert out.op.startswith("trace(")
    assert out.item() == 27.0 * (2.0 * 1.0 + 1.0 * 2.0)
    np.testing.assert_array_equal(w.grad, [54.0, 27.0])


# ------------------------------------------------- found by a review of the first version
@pytest.mark.parametrize("y_shape", [(2, 1), (4,)])
def test_a_scalar_parameter_sums_each_array_gradient_whole(y_shape):
    w = Value(0.5)  # a Python float: array gradients reaching it must be summed to ()
    step = ag.trace(lambda x, y: (w * x).sum() + (w * y).exp().sum())
    rng = np.random.default_rng(0)
    calls = [(rng.standard_normal(3), rng.standard_normal(y_shape)) for _ in range(3)]
    out = prime(step, [w], *calls)
    out.backward()
    x, y = calls[2]
    assert out.op.startswith("trace(")
    assert w.grad == pytest.approx(x.sum() + (y * np.exp(0.5 * y)).sum(), rel=1e-12)


def test_one_array_passed_twice_is_recorded_apart_from_two_arrays():
    w = Value(np.array([1.0, 2.0]))
    step = ag.trace(lambda target, x: ((x * w - target) ** 2).sum())
    rng = np.random.default_rng(0)
    for _ in range(2):
        a = rng.standard_normal(2)
        step(a, a)  # the same array as target and input
    target, x = rng.standard_normal(2), rng.standard_normal(2)
    assert step.mode(target, x) == "record"
    assert step(target, x).item() == pytest.approx(((x * w.data - target) ** 2).sum())


def test_a_traced_function_calling_a_traced_function_runs_eagerly():
    w = Value(np.array([1.0, 2.0]))
    inner = ag.trace(lambda x: (x * w).sum())
    prime(inner, [w], *[(np.array([k, 1.0]),) for k in range(3)])
    outer = ag.trace(lambda x: inner(x.data) * 2.0 + (w * w).sum())
    with pytest.warns(UserWarning, match="calls a traced function"):
        prime(outer, [w], *[(np.array([k, 2.0]),) for k in range(3)])
    assert outer(np.array([3.0, 1.0])).item() == pytest.approx(2 * 5.0 + 5.0)


def test_numpy_integer_scalars_are_settings():
    w = Value(np.ones((2, 3)))
    step = ag.trace(lambda x, axis: (x * w).sum(axis=axis).sum())
    rng = np.random.default_rng(0)
    calls = [(rng.standard_normal((2, 3)), np.int64(1)) for _ in range(3)]
    assert prime(step, [w], *calls).item() == pytest.approx(calls[2][0].sum())
    x = calls[2][0]
    assert step.mode(x, np.int64(1)) == "replay" and step.mode(x, np.int64(0)) == "record"


def test_a_gradient_with_respect_to_an_input_is_the_same_in_every_mode():
    w = Value(np.array([[0.5, -1.0, 2.0]]))

    def penalty(x):  # a gradient penalty: d out / d x taken inside the function
        out = ag.affine(x, w).tanh().sum()
        (gx,) = ag.gradients(out, [x], create_graph=True)
        return out + (gx * gx).sum()

    step = ag.trace(penalty)
    x = np.array([[0.3, 0.2, -0.1], [1.0, 0.5, 0.2]])
    z = x @ w.data.T
    expected = np.tanh(z).sum() + ((1 - np.tanh(z) ** 2) ** 2).sum() * (w.data**2).sum()
    assert step(x).item() == pytest.approx(expected)
    with ag.detect_anomaly():
        assert step(x).item() == pytest.approx(expected)


@pytest.mark.parametrize("name", ["not", "None", "lambda"])
def test_ops_named_like_python_keywords_replay(name):
    op = ag.primitive(name)(lambda x: x * 2.0)
    op.defvjp(lambda g, out, x: (g * 2.0,))
    w = Value(np.array([1.0, 3.0]))
    step = ag.trace(lambda x: op(x * w).sum())
    out = prime(step, [w], *[(np.array([k, 1.0]),) for k in range(3)])
    assert out.op.startswith("trace(") and out.item() == pytest.approx(2 * (2.0 + 3.0))


def test_extra_results_come_back_as_constants_in_every_mode():
    params, loss = make_mlp()
    w1, b1, w2, b2 = params

    def loss_and_logits(x, labels):
        logits = ag.affine(ag.affine(x, w1, b1).tanh(), w2, b2)
        return ag.softmax_cross_entropy(logits, labels, "mean"), logits

    step = ag.trace(loss_and_logits)
    modes = []
    for x, y in batches(4):
        modes.append(step.mode(x, y))
        for p in params:
            p.grad = None
        out, logits = step(x, y)
        out.backward()
        expected, grads = numpy_mlp(x, y, *[p.data for p in params])
        h = np.tanh(x @ w1.data.T + b1.data)
        np.testing.assert_allclose(logits.data, h @ w2.data.T + b2.data, rtol=1e-12)
        assert not logits.requires_grad and out.item() == pytest.approx(expected, rel=1e-12)
        for p, g in zip(params, grads):
            np.testing.assert_allclose(p.grad, g, rtol=1e-10, atol=1e-14)
            p.data -= 0.1 * p.grad
    assert modes[-1] == "replay"
    with ag.detect_anomaly():
        out, logits = step(x, y)
    assert out.op == "softmax_cross_entropy" and not logits.requires_grad


def test_an_extra_result_that_is_not_an_ancestor_of_the_result():
    w, v = Value(np.array([1.0, 2.0])), Value(np.array([3.0, -1.0]))
    step = ag.trace(lambda x: ((x * w).sum(), (x * v).exp(), x))
    out, side, same = prime(step, [w, v], *[(np.array([k, 1.0]),) for k in range(3)])
    out.backward()
    assert out.op.startswith("trace(") and v.grad is None
    np.testing.assert_array_equal(w.grad, [2.0, 1.0])
    np.testing.assert_allclose(side.data, np.exp([6.0, -1.0]))
    np.testing.assert_array_equal(same.data, [2.0, 1.0])


def test_a_traced_method_records_per_instance():
    class Scaler:
        def __init__(self, scale):
            self.w = Value(np.array([scale, 1.0]))

        @ag.trace
        def loss(self, x):
            return (x * self.w).sum()

    a, b = Scaler(2.0), Scaler(3.0)
    for k in range(3):
        with moved([a.w, b.w] if k == 1 else []):
            a.loss(np.array([k, 1.0]))
            b.loss(np.array([k, 1.0]))
    assert a.loss(np.array([4.0, 1.0])).item() == 9.0
    assert b.loss(np.array([4.0, 1.0])).item() == 13.0
    assert a.loss.mode(np.zeros(2)) == "replay" and "def backward" in a.loss.code(np.zeros(2))
    out = b.loss(np.array([5.0, 1.0]))
    out.backward()
    np.testing.assert_array_equal(b.w.grad, [5.0, 1.0])
    assert a.w.grad is None
    gone = weakref.ref(a)
    del a
    gc.collect()
    assert gone() is None  # the recordings live on the instance, not the class
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no limit on instances (each has its own)
        for scale in range(20):
            Scaler(float(scale)).loss(np.array([1.0, 1.0]))


# ------------------------------------------------------------- found by a second review
def test_an_error_at_a_check_call_keeps_the_later_checks():
    w = Value(np.ones((3, 4)))
    step = ag.trace(lambda x, y: ag.softmax_cross_entropy(x @ w, y, "mean"))
    rng = np.random.default_rng(0)
    prime(step, [w], *[(rng.standard_normal((2, 3)), np.array([k, 1])) for k in range(2)])
    modes = []
    for call in range(1, 65):
        x, y = rng.standard_normal((2, 3)), np.array([0, 3])
        modes.append(step.mode(x, y))
        if call == 8:  # the first check call fails on bad labels
            with pytest.raises(DataError):
                step(x, np.array([0, 7]))
        else:
            step(x, y)
    assert modes[7] == "record" and modes[63] == "record"  # calls 8 and 64 re-check
    assert modes.count("record") == 2


def test_freezing_a_parameter_between_two_recordings_starts_again():
    w, v = Value(np.ones(2)), Value(np.ones(2))
    step = ag.trace(lambda x: (x * w + x * v).sum())
    step(np.array([1.0, 2.0]))  # the candidate
    v.requires_grad = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with moved([w]):
            step(np.array([2.0, 1.0]))  # not compared with the candidate: recorded anew
        step(np.array([3.0, 1.0]))
    out = step(np.array([4.0, 1.0]))
    assert out.op.startswith("trace(") and out.item() == 10.0
    out.backward()
    assert v.grad is None
    np.testing.assert_array_equal(w.grad, [4.0, 1.0])


def test_the_unchanged_input_count_restarts_after_a_confirmation():
    w = Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum())
    x = np.array([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for round_ in range(6):  # each round: a dtype change (recorded anew), x twice, a new x
            w.data = np.ones(2, dtype=np.float32 if round_ % 2 else np.float64)
            assert step.mode(x) == "record"
            step(x)
            step(x.copy())
            with moved([w]):
                step(x + round_ + 1)
            assert step.mode(x) == "replay"


def test_a_value_computed_from_parameters_under_no_grad_waits_for_an_update():
    rng = np.random.default_rng(0)
    w = Value(rng.standard_normal(3))

    def normalised(x):
        with ag.no_grad():
            scale = (w * w).sum().sqrt()  # a constant of the graph, made from a parameter
        return ((x * w).sum() / scale) ** 2

    step = ag.trace(normalised)
    with pytest.warns(UserWarning, match=r"used by '/' .* created anew in every call"):
        for _update in range(3):  # two micro-batches per update
            for _micro_batch in range(2):
                x = rng.standard_normal(3)
                out = step(x)
                expected = float((x @ w.data) / np.linalg.norm(w.data)) ** 2
                assert out.item() == pytest.approx(expected)
            w.data -= 0.1 * rng.standard_normal(3)
    assert step.mode(x).startswith("eager")


def test_a_frozen_value_updated_in_place_by_the_caller_is_read_afresh():
    """An EMA-style update outside the function, also between the two confirming calls:
    replays read the array as it is (the function's own writes are caught by `written`)."""
    w, target = Value(np.ones(2)), Value(np.ones(2), requires_grad=False)
    step = ag.trace(lambda x: ((x * w - target) ** 2).sum())
    step(np.array([1.0, 2.0]))
    target.data *= 0.5
    with moved([w]):
        step(np.array([2.0, 1.0]))
    for k in range(10):  # past the check at call 8
        x = np.array([1.0, k])
        assert step.mode(x) in ("replay", "record")
        assert step(x).item() == pytest.approx(float(np.sum((x - target.data) ** 2)))
        target.data *= 0.9


# --------------------------------------------------------------- found by a third review
def test_inputs_sharing_memory_are_not_taken_for_one_another():
    w = Value(np.array([[2.0]]))
    step = ag.trace(lambda x, y: nn_mse_like(x.reshape(-1, 1) @ w, y))
    data = np.random.default_rng(0).normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (it may fall back: which input a view is, is unknowable)
        for i in range(3):
            with moved([w] if i == 1 else []):
                step(data[i:i + 10], data[i:i + 10])  # two views of the same memory
    x, y = np.arange(10.0), np.ones(10)
    assert step(x, y).item() == pytest.approx(np.mean((2 * x - 1) ** 2))


def nn_mse_like(pred, target):
    """nn.mse's reshape of an (N,) target to (N, 1), written with the engine alone."""
    return ((pred - np.reshape(target.data, pred.shape)) ** 2).mean()


def test_extras_are_copies_that_cannot_change_the_recording_or_a_parameter():
    w = Value(np.array([1.0, 2.0, 3.0]))
    c = Value(np.array([1.0, 2.0, 3.0]), requires_grad=False)

    def f(x):
        return (x * w * c).sum(), c, w

    step = ag.trace(f)
    x = np.array([1.0, 1.0, 1.0])
    for k in range(4):
        with moved([w] if k == 1 else []):
            out, same_c, same_w = step(x + k)
        same_c.data[:] = 100.0
        same_w.data[:] = 0.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(c.data, [1.0, 2.0, 3.0])
    assert out.op.startswith("trace(") and step(x)[0].item() == 14.0


def test_an_extra_made_outside_the_graph_is_compared_like_a_constant():
    w = Value(np.array([1.0, 2.0]))

    def f(x):
        with ag.no_grad():
            label = (x * w).sum() > 0  # a NumPy bool: computed outside the graph
        return (x * w).sum(), Value(float(label), requires_grad=False)

    step = ag.trace(f)
    with pytest.warns(UserWarning, match="an extra result"):
        for k, x in enumerate(([1.0, 1.0], [-1.0, -1.0], [2.0, 1.0])):
            with moved([w] if k == 1 else []):
                out, label = step(np.array(x))
    assert label.item() == 1.0 and step(np.array([-3.0, 0.0]))[1].item() == 0.0


def test_after_a_failed_check_the_function_runs_eagerly():
    w = Value(np.ones(2))
    state = {"scale": 1.0}
    step = ag.trace(lambda x: (x * w).sum() * state["scale"])
    prime(step, [w], (np.array([1.0, 2.0]),), (np.array([2.0, 3.0]),))
    state["scale"] = 2.0
    with pytest.raises(TraceError, match="runs eagerly from now on"):
        for k in range(8):
            step(np.array([k, 1.0]))
    assert step.mode(np.zeros(2)).startswith("eager")
    assert step(np.array([3.0, 1.0])).item() == 8.0


def test_a_replaced_parameter_is_named_as_such():
    w = Value(np.ones(2))
    holder = {"w": w}
    step = ag.trace(lambda x: (x * holder["w"]).sum())
    prime(step, [w], (np.array([1.0, 2.0]),), (np.array([2.0, 3.0]),))
    holder["w"] = Value(np.full(2, 3.0))  # a replaced layer
    with pytest.raises(TraceError, match="is another Value than before"):
        for k in range(8):
            step(np.array([k, 1.0]))


def test_updates_in_place_of_a_value_read_afresh_do_not_fail_a_check():
    w, target = Value(np.ones(2)), Value(np.zeros(2), requires_grad=False)
    step = ag.trace(lambda x: ((x * w - target) ** 2).sum())
    prime(step, [w], (np.array([1.0, 2.0]),), (np.array([2.0, 3.0]),))
    for k in range(10):  # past the check at call 8
        target.data += 1.0  # an EMA-style update between calls
        x = np.array([k, 1.0])
        assert step(x).item() == pytest.approx(((x - target.data) ** 2).sum())


def test_a_strided_input_gets_a_recording_of_its_own():
    w = Value(np.array([[1.5]]))
    step = ag.trace(lambda x, t: ((x.reshape(-1, 1) @ w - np.reshape(t.data, (-1, 1))) ** 2).mean())
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(3):
            with moved([w] if k == 1 else []):
                step(rng.normal(size=8), rng.normal(size=8))
        for _ in range(10):  # past the check at call 8
            table = rng.normal(size=(8, 2))
            x = rng.normal(size=8)
            out = step(x, table[:, 0])  # strided: a copy, not a view, when reshaped
            assert out.item() == pytest.approx(np.mean((1.5 * x - table[:, 0]) ** 2))


# -------------------------------------------------------------- found by a fourth review
def test_a_value_made_in_every_call_is_not_replayed_even_when_two_calls_agree():
    w = Value(np.ones(3))
    masks = iter([np.array([1.0, 0.0, 1.0])] * 2 + [np.array([0.0, 1.0, 1.0])] * 10)

    def dropped(x):  # like nn.Dropout: a fresh Value, here equal in the first two calls
        return (x * w * Value(next(masks), requires_grad=False)).sum()

    step = ag.trace(dropped)
    with pytest.warns(UserWarning, match="created anew in every call"):
        prime(step, [w], (np.array([1.0, 2.0, 3.0]),), (np.array([2.0, 2.0, 2.0]),))
    assert step(np.array([1.0, 2.0, 3.0])).item() == 5.0  # the new mask


def test_keywords_are_refused_with_a_message():
    step = ag.trace(lambda x, scale: (x * scale).sum())
    with pytest.raises(TypeError, match="pass arguments by position"):
        step(np.ones(2), scale=2.0)


def test_a_constant_array_updated_in_place_does_not_fail_a_check():
    w, table = Value(np.ones(3)), np.ones(3)
    step = ag.trace(lambda x: (x * w * table).sum())  # table: the caller's array
    prime(step, [w], (np.array([1.0, 2.0, 3.0]),), (np.array([2.0, 2.0, 2.0]),))
    for k in range(10):  # past the check at call 8
        table[:] = 0.5 * (k + 1)
        x = np.array([k, 1.0, 1.0])
        assert step(x).item() == pytest.approx((x * table).sum())


# --------------------------------------------------------------- found by a fifth review
class _Scaled:
    """A class whose traced method a subclass overrides, and a traced __call__."""

    def __init__(self):
        self.w = Value(np.array([1.0, 2.0]))

    @ag.trace
    def loss(self, x):
        return (x * self.w).sum()

    @ag.trace
    def __call__(self, x):
        return (x * self.w).exp().sum()


class _Penalised(_Scaled):
    def loss(self, x):
        return super().loss(x) + (self.w * self.w).sum() * 10.0


def test_a_subclass_overriding_a_traced_method_keeps_running_its_own_code():
    model = _Penalised()
    for k in range(3):
        with moved([model.w] if k == 1 else []):
            model.loss(np.array([k, 1.0]))
    assert model.loss(np.array([1.0, 1.0])).item() == pytest.approx(3.0 + 50.0)
    assert _Scaled.loss.__get__(model).mode(np.zeros(2)) == "replay"


def test_a_traced_call_method_replays():
    model = _Scaled()
    for k in range(3):
        with moved([model.w] if k == 1 else []):
            out = model(np.array([k, 1.0]))
    assert out.op.startswith("trace(")
    assert out.item() == pytest.approx(np.exp(2.0) + np.exp(2.0))


def test_an_array_the_function_writes_into_is_caught_at_the_check():
    w = Value(np.array([1.0, -0.5]))
    signs = np.empty(2)

    def f(x):
        np.sign(x.data, out=signs)  # reused array, written by the function
        return (x * w * signs).sum()

    step = ag.trace(f)
    prime(step, [w], (np.array([1.0, 2.0]),), (np.array([2.0, 3.0]),))
    with pytest.raises(TraceError, match="writes into the data of a Value of shape"):
        for k in range(8):  # signs flip from the 3rd call on; call 8 re-checks
            step(np.array([1.0, -2.0]) if k >= 2 else np.array([k + 1.0, 1.0]))


def test_a_python_float_the_function_reads_is_never_bound_to_an_input():
    """A float target read as t.data may be the input object or, after max(t, 0.0), some
    other float: floats are not matched to inputs by identity, so the function runs
    eagerly (a sixth review found max() replayed with the recorded branch)."""
    w = Value(0.5)
    step = ag.trace(lambda x, t: (x * w - max(t.data, 0.0)) ** 2)
    with pytest.warns(UserWarning, match="constant operand"):
        for k, (x, t) in enumerate(((1.0, 2.0), (2.0, 1.0))):
            with moved([w] if k == 1 else []):
                step(x, t)
    assert step(3.0, -4.0).item() == pytest.approx(1.5**2)


def test_frozen_parameters_in_a_penalty_say_why_they_run_eagerly():
    frozen, w = Value(np.ones(2), requires_grad=False), Value(np.ones(2))
    step = ag.trace(lambda x: (x * w).sum() + (frozen * frozen).sum())
    with pytest.warns(UserWarning, match="or by an op on Values without gradient"):
        prime(step, [w], (np.array([1.0, 2.0]),), (np.array([2.0, 3.0]),))
    assert step(np.array([1.0, 1.0])).item() == 4.0


# --------------------------------------------------------------- found by a sixth review
def test_a_subclass_of_the_same_name_tracing_the_same_method():
    class Sub(_Scaled):
        @ag.trace
        def loss(self, x):
            return super().loss(x.data) + (self.w * self.w).sum()

    Sub.__qualname__ = _Scaled.__qualname__  # the same name as its base, as a factory makes
    assert Sub().loss(np.array([1.0, 1.0])).item() == 3.0 + 5.0


def test_a_shallow_copy_runs_its_own_method_and_a_pickled_deep_copy_works():
    import copy
    import pickle

    model = _Scaled()
    for k in range(3):
        with moved([model.w] if k == 1 else []):
            model.loss(np.array([k, 1.0]))
    twin = copy.copy(model)
    twin.w = Value(np.array([10.0, 20.0]))
    assert twin.loss(np.array([1.0, 2.0])).item() == 50.0
    restored = pickle.loads(pickle.dumps(copy.deepcopy(model)))
    assert restored.loss(np.array([1.0, 2.0])).item() == 5.0


def test_a_function_writing_into_its_argument_runs_eagerly():
    w = Value(np.ones(3))

    def clipped(x, t):
        np.clip(t.data, 0.0, 1.0, out=t.data)  # in place: a replay would not
        return ((x * w - t) ** 2).sum()

    step = ag.trace(clipped)
    with pytest.warns(UserWarning, match="writes into its argument 1"):
        step(np.ones(3), np.array([2.0, 0.5, -1.0]))
    t = np.array([3.0, -2.0, 0.5])
    assert step(np.zeros(3), t).item() == pytest.approx(1.0 + 0.0 + 0.25)


def test_a_function_writing_into_a_parameter_is_caught():
    w = Value(np.array([2.0, -3.0]))

    def clamped(x):
        np.clip(w.data, -1.5, 1.5, out=w.data)  # in place, inside the function
        return (x * w).sum()

    step = ag.trace(clamped)
    with pytest.warns(UserWarning, match="writes into the data of a Value of shape"):
        for k in range(3):
            w.data += 1.0  # an update that the next call clips again
            step(np.array([k, 1.0]))
    w.data[:] = [5.0, 5.0]
    assert step(np.array([1.0, 1.0])).item() == 3.0


# ------------------------------------------------------------- found by a seventh review
def test_a_function_clamping_a_float_parameter_runs_eagerly():
    w = Value(0.0)

    def clamped(x):
        w.data = min(w.data, 1.5)  # a Python float, replaced inside the function
        return (x * w).sum()

    step = ag.trace(clamped)
    with pytest.warns(UserWarning, match="writes into the data of a Value of shape"):
        for k, value in enumerate([1.0, 3.0, 4.0]):
            w.data = value
            step(np.array([k + 1.0, 1.0]))
    w.data = 5.0
    assert step(np.array([4.0, 1.0])).item() == 7.5


def test_a_float_parameter_turned_into_an_array_by_the_function_does_not_crash():
    w = Value(1.0)
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 2:
            w.data = np.array(w.data)
        return (x * w).sum()

    step = ag.trace(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(3):
            w.data = w.data + 1.0
            out = step(np.array([k, 1.0]))
    assert out.item() == pytest.approx(float(np.sum(np.array([2.0, 1.0]) * w.data)))


def test_the_first_call_of_a_writing_function_under_no_grad_returns_a_constant():
    w = Value(np.ones(2))

    def clipped(x, t):
        np.clip(t.data, 0.0, 1.0, out=t.data)
        return ((x * w - t) ** 2).sum()

    step = ag.trace(clipped)
    with pytest.warns(UserWarning, match="writes into its argument 1"), ag.no_grad():
        out = step(np.ones(2), np.array([2.0, -1.0]))
    assert not out.requires_grad and out.item() == 1.0


def test_a_pickled_instance_does_not_keep_stale_entries_or_its_original():
    import pickle

    model = _Scaled()
    model.loss(np.array([1.0, 1.0]))
    for cycle in range(3):  # save/load cycles, as if in other processes (other ids)
        state = vars(model)
        key = next(k for k in state if k.startswith("__trace "))
        state[f"{key}-process{cycle}"] = state.pop(key)  # the key another process made
        model = pickle.loads(pickle.dumps(model))
        assert model.loss(np.array([1.0, 1.0])).item() == 3.0
        assert sum(str(k).startswith("__trace ") for k in vars(model)) == 1


# ------------------------------------------------------- settings the caller refills in place
def test_a_setting_array_the_caller_refills_after_replay_began_does_not_fail_a_check():
    """A pruning mask kept by the caller and changed now and then: replays read it afresh,
    so the check at call 8 must pass, and every result is the masked sum's closed form."""
    w, mask = Value(np.array([1.0, 2.0, 3.0, 4.0])), np.array([True, False, True, False])
    step = ag.trace(lambda x: ag.where(mask, w * x, 0.0).sum())
    prime(step, [w], (np.array([1.0, 2.0, 3.0, 4.0]),), (np.array([2.0, 1.0, 1.0, 1.0]),))
    for k in range(12):  # past the check at call 8
        if k == 5:
            mask[:] = [False, True, True, True]
        x = np.array([k, 1.0, 2.0, 3.0])
        w.grad = None
        loss = step(x)
        loss.backward()
        assert loss.item() == pytest.approx(float(np.sum(np.where(mask, w.data * x, 0.0))))
        np.testing.assert_array_equal(w.grad, np.where(mask, x, 0.0))


def test_a_setting_array_the_function_writes_into_is_caught_at_the_check():
    w, positive = Value(np.array([1.0, -0.5])), np.empty(2, dtype=bool)

    def f(x):
        np.greater(x.data, 0, out=positive)  # a reused array, written by the function
        return ag.where(positive, w * x, 0.0).sum()

    step = ag.trace(f)
    prime(step, [w], (np.array([1.0, 2.0]),), (np.array([2.0, 3.0]),))
    with pytest.raises(TraceError, match="writes into an array it passes to 'where'"):
        for k in range(8):  # the signs change from the 3rd call on; call 8 re-checks
            step(np.array([1.0, -2.0]) if k >= 2 else np.array([k + 1.0, 1.0]))


# -------------------------------------------------------------- found by an eighth review
def test_a_setting_refilled_then_replaced_by_an_array_equal_to_the_recorded_one():
    """Replays read the recorded array as it is now (refilled: pruned), not as it was
    recorded: a re-check compares the call's new array (all True again) with that."""
    w, mask = Value(np.array([1.0, 2.0, 3.0, 4.0])), np.ones(4, dtype=bool)
    step = ag.trace(lambda x: ag.where(mask, w * x, 0.0).sum())
    prime(step, [w], (np.array([1.0, 2.0, 3.0, 4.0]),), (np.array([2.0, 1.0, 1.0, 1.0]),))
    with pytest.raises(TraceError, match="a setting of 'where' changed"):
        for k in range(100):  # the check at call 64 sees it
            if k == 3:
                mask[:2] = False  # in place: read afresh
            if k == 20:
                mask = np.ones(4, dtype=bool)  # a new array, equal to the recorded one
            x = np.arange(4.0) + k
            out = step(x)
            if k < 20:
                assert out.item() == pytest.approx(float(np.sum(np.where(mask, w.data * x, 0))))


def test_a_constant_refilled_then_replaced_by_an_array_equal_to_the_recorded_one():
    w, table = Value(np.ones(3)), np.ones(3)
    step = ag.trace(lambda x: (x * w * table).sum())
    prime(step, [w], (np.array([1.0, 2.0, 3.0]),), (np.array([2.0, 2.0, 2.0]),))
    with pytest.raises(TraceError, match="a constant operand of"):
        for k in range(100):
            if k == 3:
                table[:] = 5.0
            if k == 20:
                table = np.ones(3)
            step(np.array([1.0, 2.0, 3.0]) + k)


@pytest.mark.parametrize("index", ["tuple", "view"])
def test_a_refilled_setting_in_a_fresh_tuple_or_view_does_not_fail_a_check(index):
    """The index tuple is new in every call (a fresh arange beside the caller's array), or
    the mask is a new view of the caller's array: replays read the array afresh all the same."""
    W, idx, masks = Value(np.arange(12.0).reshape(3, 4)), np.array([0, 2]), np.ones((2, 4), bool)

    def f(x):
        if index == "tuple":
            return ((x * W)[np.arange(3)[:, None], idx] ** 2).sum()
        return ag.where(masks[0], x * W, 0.0).sum()

    step = ag.trace(f)
    prime(step, [W], (np.ones(4),), (np.full(4, 2.0),))
    for k in range(12):  # past the check at call 8
        if k == 3:
            idx[:] = [3, 1]
            masks[0, :2] = False
        x = np.arange(4.0) + k
        expected = ((x * W.data)[:, idx] ** 2).sum() if index == "tuple" else \
            np.where(masks[0], x * W.data, 0.0).sum()
        assert step(x).item() == pytest.approx(expected)


def test_a_scratch_array_refilled_and_cleared_inside_the_call_runs_eagerly():
    """Before and after the call the array is all False; while the ops ran it held the
    signs of x. Only a replay on the call's data shows the difference."""
    w, scratch = Value(np.array([1.0, 2.0, 3.0])), np.zeros(3, dtype=bool)

    def f(x):
        np.greater(x.data, 0, out=scratch)
        out = ag.where(scratch, w * x, 0.0).sum()
        scratch[:] = False
        return out

    step = ag.trace(f)
    with pytest.warns(UserWarning, match="a replay on the same data gives another result"):
        prime(step, [w], (np.array([1.0, -1.0, 2.0]),), (np.array([2.0, 1.0, -3.0]),))
    for k in range(10):
        x = np.array([1.0, -2.0, 3.0]) * (k + 1)
        assert step(x).item() == pytest.approx(float(np.sum(np.where(x > 0, w.data * x, 0))))


def test_a_parameter_perturbed_and_restored_inside_the_call_runs_eagerly():
    w, rng = Value(np.array([1.0, 2.0])), np.random.default_rng(0)

    def noisy(x):  # weight noise, put back exactly: nothing changed before and after
        saved = w.data.copy()
        w.data += rng.normal(0, 0.1, 2)
        loss = (w * x).sum()
        w.data[...] = saved
        return loss

    step = ag.trace(noisy)
    with pytest.warns(UserWarning, match="a replay on the same data gives another result"):
        prime(step, [w], (np.array([1.0, 2.0]),), (np.array([3.0, 1.0]),))
    assert step.mode(np.ones(2)).startswith("eager")


def test_state_changed_within_the_call_after_replay_began_raises_at_the_check():
    w, scratch, clear = Value(np.array([1.0, 2.0, 3.0])), np.ones(3, dtype=bool), [False]

    def f(x):
        np.greater(x.data, 0, out=scratch)
        out = ag.where(scratch, w * x, 0.0).sum()
        if clear[0]:
            scratch[:] = True  # back to what the caller left: a replay reads all True
        return out

    step = ag.trace(f)
    prime(step, [w], (np.array([1.0, 2.0, 3.0]),), (np.array([2.0, 1.0, 3.0]),))
    clear[0] = True
    with pytest.raises(TraceError, match="a replay on the same data gives another result"):
        for k in range(8):  # call 8 re-checks
            step(np.array([1.0, -2.0, 3.0]) * (k + 1))


def test_a_mask_the_caller_refills_between_the_confirming_calls_replays():
    w, mask = Value(np.array([1.0, 2.0, 3.0])), np.array([True, False, True])
    step = ag.trace(lambda x: ag.where(mask, w * x, 0.0).sum())
    step(np.array([1.0, 2.0, 3.0]))
    mask[1] = True
    with moved([w]):
        step(np.array([2.0, 1.0, 1.0]))
    assert step.mode(np.ones(3)) == "replay"
    for k in range(10):
        mask[:] = [k % 2 == 0, True, k % 3 == 0]
        x = np.array([1.0, 2.0, 3.0]) + k
        w.grad = None
        loss = step(x)
        loss.backward()
        assert loss.item() == pytest.approx(float(np.sum(np.where(mask, w.data * x, 0.0))))
        np.testing.assert_array_equal(w.grad, np.where(mask, x, 0.0))


# -------------------------------------------------------------- found by a ninth review
@pytest.mark.parametrize("where", ["operand", "setting"])
def test_a_view_of_an_input_buffer_the_caller_refills_does_not_confirm(where):
    """``x.data[:, :1]`` (a constant operand) or ``m[0]`` (a setting) is computed from the
    input outside the engine's ops. With one buffer refilled for both confirming calls it
    looked unchanged from before each call; replays then read the old buffer when the caller
    passed other arrays (wrong until the check at call 8)."""
    w = Value(np.array([1.0, 2.0, 3.0]))
    if where == "operand":
        step = ag.trace(lambda x, m: (w * x * x.data[:, :1]).sum())
    else:
        step = ag.trace(lambda x, m: ag.where(m[0], w * x, 0.0).sum())
    xbuf, mbuf = np.empty((2, 3)), np.zeros((2, 3), bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(2):
            xbuf[:], mbuf[0] = [[1.0 + k, 2, 3], [4, 5, 6 - k]], [k == 0, True, k == 1]
            with moved([w]) if k == 1 else contextlib.nullcontext():
                step(xbuf, mbuf)
        for k in range(6):
            x, m = np.arange(6.0).reshape(2, 3) + 10 * k, np.array([[True, True, False]] * 2)
            expected = (w.data * x * x[:, :1]).sum() if where == "operand" else \
                np.where(m[0], w.data * x, 0.0).sum()
            assert step(x, m).item() == pytest.approx(expected)


def test_an_op_whose_forward_is_random_runs_eagerly_and_the_warning_says_so():
    """Ops must be pure; one that draws its own noise disagrees with its replay, so the
    function runs eagerly (its results stay right) and the warning names the cause."""
    rng = np.random.default_rng(0)

    @ag.primitive("noise", saves=True)
    def noise(x):
        mask = (rng.random(np.shape(x)) >= 0.5) * 2.0
        return x * mask, mask

    @noise.defvjp
    def _noise_vjp(g, out, x, saved):
        return (g * saved,)

    w = Value(np.array([1.0, 2.0, 3.0]))
    step = ag.trace(lambda x: noise(w * x).sum())
    with pytest.warns(UserWarning, match="an op's forward is random or keeps state"):
        prime(step, [w], (np.array([1.0, 2.0, 3.0]),), (np.array([2.0, 1.0, 1.0]),))
    assert step.mode(np.ones(3)).startswith("eager")


# --------------------------------------------------------------- found by a tenth review
@pytest.mark.parametrize("dtype", [bool, np.int64])
def test_a_bool_or_int_mask_the_caller_refills_is_converted_afresh_on_replay(dtype):
    """``w * mask`` wraps a bool or integer mask in a float64 *copy*; replays used that copy
    as recorded, so a pruning mask refilled in place after replay began was ignored until a
    re-check (55 wrong calls of 100 here, none reported before call 64), while a float mask
    is read afresh. The generated forward now converts the mask on every call."""
    w, mask = Value(np.array([1.0, 2.0, 3.0, 4.0])), np.ones(4, dtype=dtype)
    step = ag.trace(lambda x: (w * x * mask).sum() + ag.where(mask, w * x, 0.0).sum())
    prime(step, [w], (np.array([1.0, 2.0, 3.0, 4.0]),), (np.array([2.0, 1.0, 1.0, 1.0]),))
    for k in range(100):
        if k == 10:
            mask[:2] = 0  # in place, between two replays
        x = np.arange(4.0) + k
        w.grad = None
        loss = step(x)
        loss.backward()
        assert loss.item() == pytest.approx(2 * float(np.sum(w.data * x * mask)))
        np.testing.assert_array_equal(w.grad, 2 * x * mask)


def test_a_bool_mask_argument_used_as_an_operand_replays_with_each_call_s_mask():
    w = Value(np.array([1.0, 2.0, 3.0]))
    step = ag.trace(lambda x, m: (w * x * m).sum())
    prime(step, [w], (np.array([1.0, 2.0, 3.0]), np.array([True, False, True])),
          (np.array([2.0, 1.0, 1.0]), np.array([False, True, True])))
    assert step.mode(np.ones(3), np.ones(3, bool)) == "replay"
    for k in range(12):
        x, m = np.arange(3.0) + k, np.array([k % 2 == 0, True, k % 3 == 0])
        assert step(x, m).item() == pytest.approx(float(np.sum(w.data * x * m)))


def test_a_bool_mask_the_function_refills_is_caught():
    w, mask = Value(np.array([1.0, 2.0, 3.0])), np.ones(3, dtype=bool)

    def f(x):
        np.greater(x.data, 0, out=mask)
        return (w * x * mask).sum()

    step = ag.trace(f)
    with pytest.warns(UserWarning, match="writes into the data of a Value of shape"):
        prime(step, [w], (np.array([1.0, -1.0, 2.0]),), (np.array([2.0, 1.0, -3.0]),))
    x = np.array([-1.0, 2.0, 3.0])
    assert step(x).item() == pytest.approx(float(np.sum(w.data * x * (x > 0))))


def test_an_object_array_setting_is_compared_item_by_item():
    """A custom op's setting may be an object array (here holding an array): comparing two
    recordings must not ask NumPy for the truth value of an array."""

    @ag.primitive("scale_by_table")
    def scale(x, table):
        return x * table[0]

    @scale.defvjp
    def _scale_vjp(g, out, x, table):
        return (g * table[0],)

    table = np.empty(1, dtype=object)
    table[0] = np.array([2.0, 2.0, 2.0])
    w = Value(np.ones(3))
    step = ag.trace(lambda x: scale(w * x, table=table).sum())
    prime(step, [w], (np.arange(3.0),), (np.arange(3.0) + 1,))
    assert step.mode(np.ones(3)) == "replay"
    x = np.array([1.0, 2.0, 4.0])
    assert step(x).item() == pytest.approx(float(np.sum(w.data * x * 2.0)))


# ------------------------------------------------------------ found by an eleventh review
@pytest.mark.parametrize("make", [lambda: np.array(3), lambda: np.array(3.0),
                                  lambda: np.array(True)], ids=["int", "float64", "bool"])
def test_a_0d_array_operand_the_caller_refills_is_read_afresh_on_replay(make):
    """A 0-d int, bool or float64 array operand became a Python float constant (not an
    array, so not `Converted`): replays used its value from the confirming call, silently
    wrong (value and gradient) until the re-check at call 8."""
    w, scale = Value(np.array([1.0, 2.0, 3.0])), make()
    step = ag.trace(lambda x: (w * x * scale).sum())
    prime(step, [w], (np.array([1.0, 2.0, 3.0]),), (np.array([2.0, 1.0, 1.0]),))
    assert step.mode(np.ones(3)) == "replay"
    scale[...] = 0 if scale.dtype == bool else 5
    x = np.array([1.0, 0.5, 2.0])
    w.grad = None
    loss = step(x)
    loss.backward()
    assert loss.item() == pytest.approx(float(np.sum(w.data * x * scale)))
    np.testing.assert_allclose(w.grad, x * float(scale))


@pytest.mark.parametrize("dtype", [np.int64, bool, ">f8"])
def test_an_array_exponent_the_caller_refills_is_converted_afresh_on_replay(dtype):
    """``w ** k`` with an int, bool or byte-swapped array ``k``: Value.__pow__ converted it
    itself before the op saw it, so it was a plain constant, frozen by replays."""
    w, k = Value(np.array([1.5, 2.0, 3.0])), np.array([1, 2, 1]).astype(dtype)
    step = ag.trace(lambda x: (w ** k * x).sum())
    prime(step, [w], (np.array([1.0, 2.0, 3.0]),), (np.array([2.0, 1.0, 1.0]),))
    assert step.mode(np.ones(3)) == "replay"
    k[...] = np.array([0, 1, 0]).astype(dtype)
    x = np.array([1.0, 0.5, 2.0])
    w.grad = None
    loss = step(x)
    loss.backward()
    e = k.astype(np.float64)
    assert loss.item() == pytest.approx(float(np.sum(w.data ** e * x)))
    np.testing.assert_allclose(w.grad, e * w.data ** (e - 1) * x)


@pytest.mark.parametrize("dtype", [np.int64, bool, np.float32])
def test_a_loss_target_held_outside_the_function_is_read_afresh_on_replay(dtype):
    """nn's elementwise losses used to cast every array target to the predictions' dtype in
    NumPy: a private copy, which replays kept (an int target refilled in place was ignored
    until call 8). Against float64 predictions the target now reaches the engine as given."""
    import nn

    w, target = Value(np.array([1.0, 2.0, 3.0, 4.0])), np.arange(4).astype(dtype)
    step = ag.trace(lambda x: nn.mse(w * x, target) + nn.mae(w * x, target))
    prime(step, [w], (np.array([1.0, 2.0, 3.0, 4.0]),), (np.array([2.0, 1.0, 1.0, 1.0]),))
    assert step.mode(np.ones(4)) == "replay"
    for k in range(6):
        target[:] = (np.arange(4) * (k + 2) % 3).astype(dtype)
        x = np.arange(4.0) - k
        diff = w.data * x - target.astype(np.float64)
        assert step(x).item() == pytest.approx(float(np.mean(diff**2) + np.mean(np.abs(diff))))
