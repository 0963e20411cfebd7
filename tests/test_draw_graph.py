"""Computation-graph diagrams: DOT structure, labels against closed forms, teaching views,
trouble markers, collapsing, real rendering with `dot`, and a missing Graphviz."""

import math
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("graphviz")

import autograd  # noqa: E402
from autograd import Value, diagram, primitive  # noqa: E402
from autograd.diagram import GraphvizMissingError  # noqa: E402
from autograd.draw import draw, repr_mimebundle  # noqa: E402

ID = r'("[^"]+"|\w+)'
NODE = re.compile(rf'^\t+{ID} \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]$')
EDGE = re.compile(rf'^\t+{ID} -> {ID}(?: \[(.*)\])?$')


def nodes(source: str) -> dict[str, tuple[str, str]]:
    """DOT node id -> (label, other attributes)."""
    found = {}
    for line in source.splitlines():
        m = NODE.match(line)
        if m:
            found[m.group(1).strip('"')] = (m.group(2).strip('"'), m.group(3))
    return found


def edges(source: str) -> list[tuple[str, str, str]]:
    found = []
    for line in source.splitlines():
        m = EDGE.match(line)
        if m:
            found.append((m.group(1).strip('"'), m.group(2).strip('"'), m.group(3) or ""))
    return found


def label_of(source: str, name: str) -> str:
    """The record label of the value node whose name field is ``name``."""
    hits = [lab for lab, _ in nodes(source).values() if f"| {name} |" in lab or
            lab.startswith(f"{{ {name} |")]
    assert len(hits) == 1, (name, hits)
    return hits[0]


def micrograd_graph():
    """L = (a*b + c) * f, the well-known example, with every node named."""
    a, b = Value(2.0, name="a"), Value(-3.0, name="b")
    c, f = Value(10.0, name="c"), Value(-2.0, name="f")
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    L = d * f
    L.name = "L"
    return a, b, c, f, e, d, L


def field(label: str, key: str) -> str:
    m = re.search(rf"{key} ([^|}}]+)", label)
    assert m, (key, label)
    return m.group(1).strip()


def test_micrograd_example_has_exact_nodes_edges_and_closed_form_grads():
    a, b, c, f, e, d, L = micrograd_graph()
    L.backward()
    src = draw(L).source
    assert len(nodes(src)) == 7 + 3  # 7 values, 3 ops
    assert len(edges(src)) == 3 * 3  # each binary op: 2 operand edges + 1 to its result
    ops = sorted(lab for lab, attrs in nodes(src).values() if "ellipse" in attrs)
    assert ops == ["*", "*", "+"]
    # closed forms of dL/dx for L = (a*b + c) * f, from the inputs' data only
    expected = {"a": b.data * f.data, "b": a.data * f.data, "c": f.data,
                "f": a.data * b.data + c.data, "e": f.data, "d": f.data, "L": 1.0}
    for name, grad in expected.items():
        label = label_of(src, name)
        assert float(field(label, "grad")) == pytest.approx(grad)
    assert float(field(label_of(src, "L"), "data")) == pytest.approx((2 * -3 + 10) * -2)


def test_before_backward_grads_show_a_dash_not_zero():
    *_, L = micrograd_graph()
    src = draw(L).source
    for name in "abcfedL":
        assert field(label_of(src, name), "grad") == "—"
    assert "grad 0.0000" not in src


def test_intermediate_grads_do_not_touch_grad_attributes():
    a, b, c, f, e, d, L = micrograd_graph()
    L.backward()
    draw(L)
    assert e.grad is None and d.grad is None and a.grad == pytest.approx(6.0)


def test_each_operand_use_is_its_own_edge():
    a = Value(3.0, name="a")
    y = a * a
    src = draw(y).source
    a_id = next(k for k, (lab, _) in nodes(src).items() if "| a |" in lab or "{ a |" in lab)
    into_op = [e for e in edges(src) if e[0] == a_id]
    assert len(into_op) == 2 and into_op[0][1] == into_op[1][1]


def test_parameters_inputs_constants_and_intermediates_look_different():
    w = Value(2.0, name="w")
    x = Value(3.0, requires_grad=False, name="x")
    y = (w * x + 1.0).tanh()
    src = draw(y).source
    colour = {name: re.search(r'fillcolor="([^"]+)"', nodes(src)[k][1]).group(1)
              for k, (lab, _) in nodes(src).items()
              for name in ("w", "x") if f"{{ {name} |" in lab}
    inter = [attrs for lab, attrs in nodes(src).values() if "record" in attrs and "{ data" in lab
             and "grad" in lab]
    assert colour["w"] != colour["x"]
    assert inter and all(colour["w"] not in a and colour["x"] not in a for a in inter)
    assert "grad" not in label_of(src, "x")  # inputs get no gradient row


def test_local_grad_labels_are_the_chain_rule_factors():
    a, b, c, f, e, d, L = micrograd_graph()
    t = L.tanh()
    t.name = "t"
    labels = [attrs for *_, attrs in edges(draw(t, show_local_grad=True).source)]
    text = " ".join(labels)
    assert f"∂e/∂a = b = {b.data:.4f}" in text and f"∂e/∂b = a = {a.data:.4f}" in text
    assert "∂d/∂c = 1.0000" in text and f"∂L/∂f = d = {d.data:.4f}" in text
    tanh_local = float(re.search(r"∂t/∂L = ([^\"]+)", text).group(1))
    assert tanh_local == pytest.approx(1 - math.tanh(L.data) ** 2, rel=1e-4)


def test_show_order_numbers_follow_backward():
    *_, L = micrograd_graph()
    src = draw(L, show_order=True).source
    step = {name: int(re.search(r"#(\d+)", label_of(src, name)).group(1)) for name in "abcfedL"}
    assert step["L"] == 1 and sorted(step.values()) == list(range(1, 8))
    for consumer, operands in {"L": "df", "d": "ec", "e": "ab"}.items():
        assert all(step[o] > step[consumer] for o in operands)


def test_gradient_flow_scales_edges_and_flags_vanishing_and_exploding():
    x = Value(1.0, name="x")
    small = (x * 1e-7)
    big = (x * 1e6)
    loss = small + big
    loss.backward()
    flows = [attrs for *_, attrs in edges(draw(loss, gradient_flow=True).source)]
    widths = {float(re.search(r"\|grad\| = ([^\"]+)", a).group(1)):
              float(re.search(r"penwidth=([\d.]+)", a).group(1)) for a in flows}
    assert widths[1e-7] < widths[1.0] < widths[1e6]
    by_mag = {float(re.search(r"\|grad\| = ([^\"]+)", a).group(1)): a for a in flows}
    assert "#9ecae1" in by_mag[1e-7] and "#d62728" in by_mag[1e6]


def test_first_nonfinite_data_node_is_highlighted_not_its_consumers():
    x = Value(-1.0, name="x")
    with np.errstate(all="ignore"):
        y = x.sqrt()
    y.name = "root_of_negative"
    z = y * 2.0 + x
    z.name = "z"
    src = draw(z).source
    assert "first nan/inf in data" in label_of(src, "root_of_negative")
    assert "⚠" not in label_of(src, "z") and src.count("⚠") == 1


def test_first_nonfinite_gradient_is_highlighted():
    x = Value(0.0, name="x")
    y = x.sqrt()
    y.name = "y"
    with np.errstate(all="ignore"):
        y.backward()
    assert not math.isfinite(x.grad)
    src = draw(y).source
    assert "first nan/inf in gradient" in label_of(src, "x")
    assert "⚠" not in label_of(src, "y")


def test_drawing_inside_detect_anomaly_shows_the_trouble_instead_of_raising():
    from autograd import detect_anomaly

    x = Value(0.0, name="x")
    y = x.sqrt() * 2.0
    y.name = "y"
    with np.errstate(all="ignore"):
        y.backward()
    with detect_anomaly():
        src = draw(y).source
    assert "first nan/inf in gradient" in label_of(src, "x")


def test_check_marks_leaves_whose_engine_gradient_disagrees():
    bad_square = primitive("bad_square")(lambda x: x * x)
    bad_square.defvjp(lambda g, out, x: (g * x,))  # wrong: misses the factor 2
    good, bad = Value(1.5, name="good"), Value(0.7, name="bad")
    root = good.tanh() + bad_square(bad)
    src = draw(root, check=True).source
    assert "gradcheck ✓" in label_of(src, "good")
    assert "gradcheck ✗" in label_of(src, "bad")


def test_tensor_nodes_show_shape_dtype_and_values_or_summary():
    rng = np.random.default_rng(0)
    small = Value(np.array([1.0, -2.0, 3.5]), name="small")
    big_data = rng.standard_normal((4, 5)).astype(np.float32)
    big = Value(big_data, name="big")
    out = (big.sum(axis=1) * 2.0).sum() + small.sum()
    src = draw(out).source
    small_label, big_label = label_of(src, "small"), label_of(src, "big")
    assert "shape (3,) float64" in small_label and "[1.0000, -2.0000, 3.5000]" in small_label
    assert "shape (4, 5) float32" in big_label
    for key, fn in (("min", np.min), ("mean", np.mean), ("max", np.max)):
        assert float(re.search(rf"{key} (\S+)", big_label).group(1)) == pytest.approx(
            float(fn(big_data)), abs=1e-4)


class FakeLayer:
    def __init__(self, weight, bias):
        self.weight, self.bias = weight, bias


class FakeModel:
    """Duck-typed stand-in for nn.Module: the engine must not import nn."""

    def __init__(self):
        rng = np.random.default_rng(1)
        self.layers = [FakeLayer(Value(rng.standard_normal((3, 2))), Value(np.zeros(3))),
                       FakeLayer(Value(rng.standard_normal((1, 3))), Value(np.zeros(1)))]

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}.weight", layer.weight
            yield f"layers.{i}.bias", layer.bias

    def named_modules(self):
        yield "", self
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}", layer


def test_model_names_parameters_and_clusters_one_box_per_module():
    from autograd import affine

    model = FakeModel()
    x = Value(np.array([[0.5, -1.0]]), requires_grad=False, name="x")
    h = affine(x, model.layers[0].weight, model.layers[0].bias).tanh()
    loss = (affine(h, model.layers[1].weight, model.layers[1].bias) ** 2).sum()
    src = draw(loss, model=model, cluster_modules=True).source
    # values x W0 b0 affine tanh W1 b1 affine ** sum; ops affine tanh affine ** sum
    assert len(nodes(src)) == 10 + 5
    assert len(edges(src)) == (3 + 1) + (1 + 1) + (3 + 1) + (1 + 1) + (1 + 1)
    for name in ("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"):
        assert f"{{ {name} |" in src
    assert src.count("subgraph cluster_") == 2
    assert 'label="layers.0 (FakeLayer)"' in src and 'label="layers.1 (FakeLayer)"' in src
    box0 = src.split("subgraph cluster_")[1]
    assert box0.count("label=affine") == 1 and box0.count("label=tanh") == 1
    assert "label=sum" not in src.split("subgraph cluster_")[2]  # the loss stays outside


def test_ten_thousand_nodes_collapse_and_render_fast(tmp_path):
    x = Value(0.3, name="x")
    y = x
    for _ in range(5000):
        y = (y * 0.999).tanh()
    total_values = 1 + 2 * 5000 + 5000  # x, the products and tanhs, the constants
    start = time.perf_counter()
    diagram = draw(y, max_nodes=60)
    diagram.render(tmp_path / "big.svg")
    assert time.perf_counter() - start < 5
    found = nodes(diagram.source)
    assert len(found) <= 2 * 60 + 4
    counts = [int(m.replace(",", "")) for lab, _ in found.values()
              for m in re.findall(r"× ([\d,]+)", lab)]
    drawn = sum(1 for lab, attrs in found.values() if "record" in attrs)
    assert drawn == 60 and sum(counts) == total_values - 60
    ET.parse(tmp_path / "big.svg")


def test_hundred_thousand_node_graph_needs_no_recursion():
    y = Value(0.1)
    for _ in range(50_000):
        y = y + 1.0  # 100,000 value nodes with the constants
    limit = sys.getrecursionlimit()
    assert draw(y, max_nodes=20).source.count("record") == 20 and limit < 100_000


def test_render_svg_and_png_for_real(tmp_path):
    *_, L = micrograd_graph()
    L.backward()
    diagram = draw(L)
    svg = diagram.render(tmp_path / "graph.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(root.findall(".//{*}g[@class='node']")) == 10
    png = diagram.render(tmp_path / "graph.out", format="png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.out", "graph.svg"]


def test_render_rejects_unknown_formats_in_the_users_terms(tmp_path):
    *_, L = micrograd_graph()
    with pytest.raises(ValueError, match="format must be one of svg, png, pdf, dot"):
        draw(L).render(tmp_path / "graph.gif")


def test_render_onto_a_folder_names_the_folder_and_leaves_no_temp_file(tmp_path):
    *_, L = micrograd_graph()
    (tmp_path / "graph.svg").mkdir()
    with pytest.raises(IsADirectoryError, match="graph.svg'\\): that is a folder") as info:
        draw(L).render(tmp_path / "graph.svg")
    assert ".tmp" not in str(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


def test_value_displays_as_svg_in_jupyter():
    *_, L = micrograd_graph()
    bundle = L._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    ET.fromstring(bundle["image/svg+xml"])
    assert repr_mimebundle(L, include={"text/plain"}, exclude=None) == {"text/plain": repr(L)}


def test_missing_dot_gives_one_clear_error_and_source_still_works(tmp_path, monkeypatch):
    *_, L = micrograd_graph()
    monkeypatch.setenv("PATH", "")
    diagram = draw(L)
    assert "digraph" in diagram.source
    with pytest.raises(GraphvizMissingError) as info:
        diagram.render(tmp_path / "graph.svg")
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    for hint in ("'dot'", "apt-get install graphviz", "brew install graphviz", "conda install"):
        assert hint in message
    assert not (tmp_path / "graph.svg").exists()
    diagram.render(tmp_path / "graph.dot")  # the DOT text needs no Graphviz
    assert (tmp_path / "graph.dot").read_text() == diagram.source
    with pytest.warns(UserWarning, match="dot"):
        assert set(L._repr_mimebundle_()) == {"text/plain"}


def test_missing_graphviz_package_names_the_extra(monkeypatch):
    *_, L = micrograd_graph()
    diagram._diagram_class.cache_clear()
    monkeypatch.setitem(sys.modules, "graphviz", None)
    try:
        with pytest.raises(ImportError, match=r"pip install netgrad\[viz\]"):
            draw(L)
    finally:
        diagram._diagram_class.cache_clear()


@pytest.mark.parametrize("call, error, match", [
    (lambda: draw(3.0), TypeError, "root must be a Value"),
    (lambda: draw(Value(1.0), max_nodes=0), ValueError, "max_nodes"),
    (lambda: draw(Value(1.0), cluster_modules=True), ValueError, "needs model="),
    (lambda: draw(Value(1.0), rankdir="up"), ValueError, "rankdir"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_real_mlp_loss_is_boxed_per_layer():
    from nn import layers

    model = layers.MLP(2, [3, 1], activation="tanh", rng=np.random.default_rng(0))
    x = Value(np.array([[0.5, -1.0], [1.0, 2.0]]), requires_grad=False)
    loss = ((model(x) - 1.0) ** 2).mean()
    loss.backward()
    src = draw(loss, model=model, cluster_modules=True).source
    assert src.count("subgraph cluster_") == 2
    for name, param in model.named_parameters():
        label = label_of(src, name)
        assert f"shape {param.shape}" in label and "grad —" not in label


def test_package_exports_draw_without_importing_graphviz():
    assert autograd.draw is draw and "draw" in autograd.__all__
    code = ("import sys, autograd; assert callable(autograd.draw); "
            "print('graphviz' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"  # graphviz loads on the first diagram only
