"""Backward: reuse, accumulation, ordering, deep graphs, seeds and grad mode."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Value


def test_micrograd_example_by_hand():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    # dL/dd = f, dL/dc = f, dL/de = f, dL/da = f*b, dL/db = f*a, dL/df = d
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
    assert L.data == -8.0


def test_tanh_neuron_closed_form():
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    n = 2.0 * -3.0 + 0.0 + 6.8813735870195432
    local = 1 - math.tanh(n) ** 2
    assert o.data == pytest.approx(math.tanh(n))
    assert w1.grad == pytest.approx(local * 2.0)
    assert x1.grad == pytest.approx(local * -3.0)
    assert x2.grad == pytest.approx(local * 1.0)
    assert w2.grad == pytest.approx(0.0)


def test_a_times_a_has_two_operand_uses():
    a = Value(3.0)
    y = a * a
    assert y.parents == (a, a)
    y.backward()
    assert a.grad == 6.0


def test_a_plus_a():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_b_is_a_plus_a_then_c_is_b_plus_b():
    a = Value(-1.5)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0


def test_diamond():
    x = Value(0.5)
    left, right = x.exp(), x * 3.0
    y = left * right  # y = 3 x e^x, dy/dx = 3 e^x (1 + x)
    y.backward()
    assert x.grad == pytest.approx(3 * math.exp(0.5) * 1.5)


def test_equal_leaves_stay_distinct():
    a, b = Value(2.0), Value(2.0)
    y = a * 3.0 + b * 5.0
    y.backward()
    assert (a.grad, b.grad) == (3.0, 5.0)
    assert len({a, b}) == 2


def test_gradients_accumulate_until_zeroed():
    x = Value(np.array([1.0, 2.0]))
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * 2 * np.array([1.0, 2.0]))
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_second_backward_through_same_graph_accumulates():
    x = Value(1.5)
    y = x * x * x
    y.backward()
    y.backward()
    assert x.grad == pytest.approx(2 * 3 * 1.5**2)


def test_intermediates_keep_no_grad():
    x = Value(2.0)
    h = x * 3.0
    y = h * h
    y.backward()
    assert h.grad is None and x.grad == 36.0


def test_a_grad_set_by_hand_on_an_inner_node_does_not_change_the_result():
    # as in micrograd's lecture, a learner may set o.grad = 1.0 before o.backward(); the
    # engine never reads (or writes) an op node's .grad
    x = Value(2.0)
    h = x * 3.0
    y = h * h
    y.grad, h.grad = 1.0, 100.0
    y.backward()
    assert x.grad == 36.0 and (h.grad, y.grad) == (100.0, 1.0)


def test_a_failed_backward_leaves_no_partial_gradient_on_inner_nodes():
    x, a = Value(0.0), Value(3.0)
    h = a * a  # two consumers: one may have sent its part when sqrt's backward fails
    out = h * 2.0 + (x.sqrt() + 1.0) * h  # the sqrt branch runs first (a stack)
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match="sqrt"):
        out.backward()
    inner = [n for n in ag.backward_order(out) if not n.is_leaf]
    assert len(inner) == 6 and all(n.grad is None for n in inner)
    a.grad = None
    (h * 5.0).backward()
    assert a.grad == 30.0


def test_constants_get_no_gradient():
    c = Value(2.0, requires_grad=False)
    x = Value(3.0)
    (c * x).backward()
    assert c.grad is None and x.grad == 2.0


def test_nonscalar_backward_needs_gradient():
    x = Value(np.ones((3, 4)))
    y = x * 2.0
    with pytest.raises(ValueError, match=r"shape \(3, 4\) needs gradient="):
        y.backward()
    y.backward(gradient=np.full((3, 4), 0.5))
    np.testing.assert_allclose(x.grad, np.ones((3, 4)))
    with pytest.raises(ag.ShapeError, match=r"gradient has shape \(4,\).*\(3, 4\)"):
        y.backward(gradient=np.ones(4))


def test_a_gradient_passed_in_is_never_aliased_or_mutated():
    # backward on a leaf with gradient=g: x.grad must be the engine's own array, so
    # accumulating into it neither changes the caller's g nor counts g twice
    g = np.array([1.0, 2.0, 3.0])
    x = Value(np.zeros(3))
    for _ in range(3):
        x.backward(gradient=g)
    np.testing.assert_array_equal(g, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad, [3.0, 6.0, 9.0])
    (dx,) = ag.gradients(x, x, grad_outputs=g)
    dx += 1.0
    np.testing.assert_array_equal(g, [1.0, 2.0, 3.0])


def test_leaves_fed_the_same_passed_through_gradient_get_their_own_arrays():
    # add's VJP hands its incoming gradient to both operands: each leaf must get a copy,
    # or accumulating into one would change the other (and the seed)
    a, b = Value(np.zeros(3)), Value(np.zeros(3))
    (a + b).backward(gradient=np.ones(3))
    a.grad += 1.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])
    x = Value(np.zeros(2))
    y = x + x  # two contributions to one leaf: summed, not the first one doubled in place
    y.backward(gradient=np.array([1.0, 2.0]))
    y.backward(gradient=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_gradients_returns_its_own_array_for_each_leaf_fed_a_passed_through_gradient():
    # the same for gradients(): a + b must not give a and b one shared result array, or
    # updating one result in place (an optimizer step) changes the other
    a, b = Value(np.zeros(3)), Value(np.zeros(3))
    ga, gb = ag.gradients((a + b).sum(), [a, b])
    ga += 1.0
    np.testing.assert_array_equal(gb, [1.0, 1.0, 1.0])
    ga, gb = ag.grad(lambda u, v: (u + v).sum(), argnums=(0, 1))(np.zeros(2), np.zeros(2))
    assert not np.shares_memory(ga, gb)


def test_gradients_sums_every_contribution_to_a_leaf_without_touching_grad():
    x = Value(np.array([1.0, 2.0]))
    y = x * x + x + (x * 3.0).sum()  # four uses of x, one of them broadcast
    (dx,) = ag.gradients(y.sum(), x)
    np.testing.assert_allclose(dx, 2 * x.data + 1 + 3.0 * 2)
    assert x.grad is None


def test_backward_on_a_constant_result_explains():
    with ag.no_grad():
        y = Value(2.0) * 3.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_records_nothing_and_detach_cuts():
    x = Value(2.0)
    with ag.no_grad():
        y = x * x
    assert not y.requires_grad and y.is_leaf and y.parents == ()
    assert ag.is_grad_enabled()
    d = (x * 2.0).detach()
    assert d.is_leaf and not d.requires_grad and d.data == 4.0


def test_no_grad_nests_with_enable_grad():
    x = Value(1.0)
    with ag.no_grad():
        with ag.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert y.requires_grad and not z.requires_grad


def test_broadcast_gradients_are_summed_to_operand_shape():
    b = Value(np.array([1.0, 2.0, 3.0]))
    x = Value(np.ones((4, 3)))
    (x * b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad, [4.0, 4.0, 4.0])


def test_million_node_chain_has_no_recursion_error():
    x = Value(1.0)
    z = x
    for _ in range(1_000_000):
        z = z * 1.0000001
    z.backward()
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)


def test_backward_order_is_root_first_and_parents_after_all_consumers():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = ag.backward_order(e)
    pos = {id(n): i for i, n in enumerate(order)}
    assert order[0] is e
    for node in order:
        for p in node.parents:
            assert pos[id(p)] > pos[id(node)]
    assert len(order) == 5


def test_gradients_function_leaves_grad_untouched():
    x, y = Value(2.0), Value(3.0)
    out = x * y + x
    gx, gy = ag.gradients(out, [x, y])
    assert (gx, gy) == (4.0, 2.0)
    assert x.grad is None and y.grad is None
    (unused,) = ag.gradients(out, [Value(5.0)])
    assert unused == 0.0


def test_gradients_wrt_intermediate_node():
    x = Value(2.0)
    h = x * x
    out = h * 3.0 + h
    (gh,) = ag.gradients(out, [h])
    assert gh == 4.0


def test_float32_stays_float32():
    x = Value(np.ones((2, 3), dtype=np.float32))
    w = Value(np.full((3, 4), 0.5, dtype=np.float32))
    y = (x @ w).sigmoid() * 2.0 + 1.0
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize("op", [ag.maximum, ag.minimum])
def test_maximum_and_minimum_keep_0d_float32_gradients_float32(op):
    a = Value(np.array(2.0, dtype=np.float32))
    b = Value(np.array(2.0, dtype=np.float32))  # a tie: each gets half
    ga, gb = ag.gradients(op(a, b), [a, b])
    assert np.result_type(ga) == np.float32 and np.result_type(gb) == np.float32
    assert float(ga) == float(gb) == 0.5


def test_ints_and_bools_become_float64():
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert Value(np.array([1, 2])).dtype == np.float64
    assert Value([True, False]).dtype == np.float64


def test_backward_restores_the_garbage_collector_setting():
    import gc

    x = Value(2.0)
    assert gc.isenabled()
    (x * x).backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * x).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_graphs_are_freed_when_dropped_so_memory_does_not_grow():
    import tracemalloc

    rng = np.random.default_rng(0)
    w = Value(rng.standard_normal((20, 10)))
    x = rng.standard_normal((64, 20))

    def step():
        loss = ((Value(x) @ w).tanh() ** 2).mean()
        loss.backward()
        w.data -= 0.01 * w.grad
        w.grad = None

    tracemalloc.start()
    for _ in range(20):
        step()
    early = tracemalloc.get_traced_memory()[0]
    for _ in range(300):
        step()
    late = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert late - early < 50_000  # bytes: no graph survives its step


def test_gc_paused_is_scoped_and_nests():
    import gc

    with ag.gc_paused():
        assert not gc.isenabled()
        with ag.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_switches_restore_the_previous_setting_even_on_errors():
    import gc

    mode = ag.mode.MODE
    with ag.no_grad():
        with pytest.raises(KeyError):
            with ag.enable_grad(), ag.detect_anomaly(), ag.gc_paused():
                assert mode.grad_enabled and mode.anomaly and not gc.isenabled()
                raise KeyError("inside")
        assert not mode.grad_enabled and not mode.anomaly and gc.isenabled()
        with ag.detect_anomaly(), ag.detect_anomaly(False):
            assert not mode.anomaly
    assert mode.grad_enabled and not mode.anomaly
    gc.disable()
    try:
        with ag.gc_paused():
            pass
        assert not gc.isenabled()  # was off before the block: stays off
    finally:
        gc.enable()


def test_switches_work_as_decorators_and_reenter():
    @ag.no_grad()
    def frozen(x, depth=0):
        y = x * 2.0
        inner = frozen(x, depth + 1) if depth < 2 else None  # re-entered while active
        return y, inner

    @ag.enable_grad()
    def recorded(x):
        return x * 2.0

    @ag.detect_anomaly()
    def checked(x):
        return x.log()

    x = Value(-1.0)
    y, inner = frozen(x)
    assert not y.requires_grad and not inner[0].requires_grad and ag.is_grad_enabled()
    assert frozen.__name__ == "frozen"
    with ag.no_grad():
        assert recorded(x).requires_grad and not (x * 2.0).requires_grad
    with pytest.raises(ag.AnomalyError, match="log produced nan"):
        checked(x)
    assert not ag.mode.MODE.anomaly


def test_forward_order_puts_every_node_after_its_operands_once():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + a
    e = (d * c).tanh()
    order = ag.forward_order(e)
    assert len(order) == len(set(order)) == 5 + 1  # a, b, c, d, d*c, e
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] < position[node] for p in node.parents)
    assert order[-1] is e
    z = Value(1.0)
    for _ in range(20_000):  # deeper than the recursion limit
        z = z * 1.0
    assert len(ag.forward_order(z)) == 20_001 + 20_000  # nodes and their constants
