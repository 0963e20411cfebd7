"""Network pictures: one circle per neuron, one edge per weight coloured by the model's own
weights, collapsed wide layers, files, the command line, and a missing Graphviz."""

import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("graphviz")

from autograd import Value  # noqa: E402
from autograd.diagram import GraphvizMissingError  # noqa: E402
from nn.draw import draw_network, main, render_model_file  # noqa: E402

NODE = re.compile(r'^\t(\w+) \[label="?([^"\]]*)"?(.*)\]$')
EDGE = re.compile(r"^\t(\w+) -> (\w+) \[(.*)\]$")


def nodes(source: str) -> dict[str, tuple[str, str]]:
    return {m.group(1): (m.group(2), m.group(3))
            for m in map(NODE.match, source.splitlines()) if m}


def edges(source: str) -> list[tuple[str, str, str]]:
    return [m.groups() for m in map(EDGE.match, source.splitlines()) if m]


def neurons(source: str) -> dict[str, str]:
    return {k: lab for k, (lab, attrs) in nodes(source).items() if not k.startswith("title")}


class StandInLinear:
    """Just the attributes draw_network reads, so the picture logic is tested on its own."""

    def __init__(self, nin, nout, rng):
        self.weight = Value(rng.standard_normal((nout, nin)))
        self.bias = Value(rng.standard_normal(nout) * 0.1)

    def parameters(self):
        return [self.weight, self.bias]


class StandInMLP:
    def __init__(self, sizes, seed=0, activation="tanh"):
        rng = np.random.default_rng(seed)
        self.layers = [StandInLinear(a, b, rng) for a, b in zip(sizes, sizes[1:])]
        self.activation, self.output_activation = activation, None


@pytest.fixture
def layers():
    from nn import layers

    return layers


def mlp(sizes, seed=0, activation="tanh"):
    return StandInMLP(sizes, seed, activation)


def test_small_mlp_has_one_circle_per_neuron_and_one_edge_per_weight():
    model = mlp([2, 3, 1])
    src = draw_network(model).source
    assert len(neurons(src)) == 2 + 3 + 1
    assert len(edges(src)) == 2 * 3 + 3 * 1
    for c, layer in enumerate(model.layers):
        weight = np.asarray(layer.weight.data)
        bias = np.asarray(layer.bias.data)
        largest = np.abs(weight).max()
        for tail, head, attrs in edges(src):
            if not tail.startswith(f"c{c}_"):
                continue
            j, i = int(tail.split("_")[1]), int(head.split("_")[1])
            w = weight[i, j]
            assert ("#2166ac" if w >= 0 else "#b2182b") in attrs  # blue +, red -
            width = float(re.search(r"penwidth=([\d.]+)", attrs).group(1))
            assert width == pytest.approx(0.3 + 2.7 * abs(w) / largest, abs=0.006)
            assert float(re.search(r'w = ([^"]+)', attrs).group(1)) == pytest.approx(w, rel=1e-5)
        for i, b in enumerate(bias):
            label = neurons(src)[f"c{c + 1}_{i}"]
            assert float(label.split("b ")[1]) == pytest.approx(b, abs=0.006)
    titles = [lab for k, (lab, _) in nodes(src).items() if k.startswith("title")]
    assert titles == ["inputs\\n2", "hidden 1\\n3 tanh", "output\\n1"]


def test_wide_network_collapses_and_renders_fast(tmp_path):
    model = mlp([784, 15, 10], seed=1, activation="sigmoid")
    start = time.perf_counter()
    diagram = draw_network(model)
    diagram.render(tmp_path / "net.svg")
    assert time.perf_counter() - start < 5
    drawn = neurons(diagram.source)
    assert len(drawn) == 11 + 11 + 10  # 10 shown + "…" in wide columns; 10 outputs in full
    assert "…\\n774 more" in drawn["c0_more"] and "…\\n5 more" in drawn["c1_more"]
    assert {"c0_0", "c0_4", "c0_779", "c0_783"} <= set(drawn) and "c0_5" not in drawn
    assert len(edges(diagram.source)) == 11 * 11 + 11 * 10
    svg = ET.parse(tmp_path / "net.svg").getroot()
    assert len(svg.findall(".//{*}g[@class='node']")) == len(drawn) + 3


def test_real_mlp_matches_its_weights(layers):
    model = layers.MLP(2, [3, 1], activation="tanh", rng=np.random.default_rng(0))
    src = draw_network(model).source
    assert len(neurons(src)) == 6 and len(edges(src)) == 9
    weight = np.asarray(model.layers[0].weight.data)
    for tail, head, attrs in edges(src):
        if tail.startswith("c0_"):
            w = weight[int(head.split("_")[1]), int(tail.split("_")[1])]
            assert float(re.search(r'w = ([^"]+)', attrs).group(1)) == pytest.approx(w, rel=1e-5)


def test_sequential_neuron_and_perceptron_are_drawn(layers):
    rng = np.random.default_rng(2)
    seq = layers.Sequential(layers.Linear(3, 4, rng=rng), layers.Linear(4, 2, rng=rng))
    src = draw_network(seq).source
    assert len(neurons(src)) == 3 + 4 + 2 and len(edges(src)) == 3 * 4 + 4 * 2
    neuron = layers.Neuron(5, activation="tanh", rng=rng)
    src = draw_network(neuron).source
    assert len(neurons(src)) == 5 + 1 and len(edges(src)) == 5
    weights = [float(w.data) for w in neuron.w]
    for tail, _, attrs in edges(src):
        assert float(re.search(r'w = ([^"]+)', attrs).group(1)) == pytest.approx(
            weights[int(tail.split("_")[1])], rel=1e-5)
    perceptron = layers.Perceptron(4, rng=rng)
    src = draw_network(perceptron).source
    assert len(neurons(src)) == 4 + 1 and len(edges(src)) == 4


class Tanh:
    def parameters(self):
        return []


class Dropout(Tanh):
    pass


def test_neuron_perceptron_and_sequential_shapes_with_stand_ins():
    rng = np.random.default_rng(3)
    neuron = type("Neuron", (), {})()
    neuron.w, neuron.b = [Value(0.5), Value(-0.25), Value(2.0)], Value(0.3)
    src = draw_network(neuron).source
    assert len(neurons(src)) == 3 + 1 and len(edges(src)) == 3
    assert sorted(re.findall(r'w = ([^"]+)', src)) == ["-0.25", "0.5", "2"]
    assert neurons(src)["c1_0"] == "y1\\nb 0.30"
    perceptron = type("Perceptron", (), {})()
    perceptron.weight, perceptron.bias = Value(np.array([1.0, -1.0])), Value(0.0)
    assert len(edges(draw_network(perceptron).source)) == 2
    seq = type("Sequential", (), {})()
    seq.layers = [StandInLinear(3, 4, rng), Tanh(), Dropout(), StandInLinear(4, 2, rng)]
    src = draw_network(seq).source
    assert len(neurons(src)) == 3 + 4 + 2 and len(edges(src)) == 3 * 4 + 4 * 2
    assert 'label="hidden 1\\n4 tanh, dropout"' in src


def test_unsupported_models_raise_in_the_users_terms():
    with pytest.raises(TypeError, match="cannot draw a str.*MLP, Sequential"):
        draw_network("not a model")
    with pytest.raises(ValueError, match="max_neurons"):
        draw_network(mlp([2, 2]), max_neurons=1)


def test_render_png_for_real(tmp_path):
    path = draw_network(mlp([2, 2, 1])).render(tmp_path / "net.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_missing_dot_is_one_clear_error(tmp_path, monkeypatch):
    diagram = draw_network(mlp([2, 3, 1]))
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GraphvizMissingError, match="apt-get install graphviz"):
        diagram.render(tmp_path / "net.svg")
    assert "digraph" in diagram.source


def saved_model(tmp_path, layers):
    path = tmp_path / "model.npz"
    layers.MLP(3, [4, 2], rng=np.random.default_rng(0)).save(path)
    return path


def test_missing_model_file_is_one_error_line(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        render_model_file(tmp_path / "missing.npz", tmp_path / "c.svg")
    assert main([str(tmp_path / "missing.npz")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.npz" in err and "Traceback" not in err


def test_render_model_file_and_cli(tmp_path, layers):
    model_path = saved_model(tmp_path, layers)
    out = render_model_file(model_path, tmp_path / "a.svg")
    ET.parse(out)
    assert main([str(model_path), "-o", str(tmp_path / "b.svg")]) == 0
    assert ET.parse(tmp_path / "b.svg").getroot().tag.endswith("svg")


def test_python_dash_m_entry_point(tmp_path, layers):
    model_path = saved_model(tmp_path, layers)
    bad = subprocess.run([sys.executable, "-m", "nn.draw", str(tmp_path / "nope.npz")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "nope.npz" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "nn.draw", str(model_path), "-o",
                           str(tmp_path / "net.svg")], capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stderr
    ET.parse(tmp_path / "net.svg")
