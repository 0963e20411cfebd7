"""Network pictures: neurons as circles in columns, one edge per weight.

``draw_network(model)`` draws an ``MLP``, a ``Sequential`` of ``Linear`` layers, a ``Linear``,
a ``Neuron`` or a ``Perceptron``: the inputs, each layer's neurons (bias printed inside)
and every weight as an edge, blue for positive and red for negative, wider when larger.
Columns wider than ``max_neurons`` show their first and last neurons around a "…" node
that says how many are hidden. ``python -m nn.draw MODEL.npz -o net.svg`` renders a saved
model. Needs ``pip install netgrad[viz]``; rendering needs Graphviz's ``dot``.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.diagram import GraphvizMissingError, format_number, new_diagram

__all__ = ["draw_network", "main", "render_model_file"]

POSITIVE, NEGATIVE, HIDDEN_EDGE = "#2166ac", "#b2182b", "#bbbbbb"
FILL = {"input": "#eeeeee", "hidden": "#dbe9f6", "output": "#c7e9c0", "more": "#ffffff"}
COLUMN_GAP, ROW_GAP = 2.4, 0.8  # inches between columns / neurons
SUPPORTED = "MLP, Sequential of Linear layers, Linear, Neuron or Perceptron"


@dataclass
class DenseLayer:
    """One fully connected layer: ``weight`` (outputs, inputs), ``bias`` (outputs,)."""

    weight: np.ndarray
    bias: np.ndarray | None
    activation: str | None = None


def _data(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x), dtype=np.float64)


def _activation_name(act: Any) -> str | None:
    if act is None:
        return None
    if isinstance(act, str):
        return act
    for attr in ("name", "__name__"):  # an engine op (.name), a function, or a module class
        if isinstance(getattr(act, attr, None), str):
            return getattr(act, attr)
    return type(act).__name__.lower()


def _has_parameters(module: Any) -> bool:
    return callable(getattr(module, "parameters", None)) and any(True for _ in module.parameters())


def _dense(module: Any) -> DenseLayer | None:
    """A Linear, Neuron or Perceptron as a DenseLayer (None for anything else)."""
    act = _activation_name(getattr(module, "activation", None))
    if hasattr(module, "w") and hasattr(module, "b"):  # Neuron: a list of scalar weights
        weight = np.array([[float(_data(w)) for w in module.w]])
        return DenseLayer(weight, _data(module.b).reshape(1), act)
    weight = getattr(module, "weight", None)
    if weight is None:
        return None
    weight = _data(weight)
    bias = getattr(module, "bias", None)
    bias = None if bias is None else _data(bias)
    if weight.ndim == 1:  # Perceptron: one neuron
        return DenseLayer(weight.reshape(1, -1), None if bias is None else bias.reshape(1), act)
    if weight.ndim != 2:
        return None
    return DenseLayer(weight, bias, act)


def network_layers(model: Any) -> list[DenseLayer]:
    """The dense layers of ``model`` in order, with their activations' names."""
    single = _dense(model)
    if single is not None:
        return [single]
    modules = getattr(model, "layers", None)
    if modules is None:
        raise TypeError(f"draw_network: cannot draw a {type(model).__name__}; "
                        f"expected an {SUPPORTED}")
    layers: list[DenseLayer] = []
    for module in modules:
        dense = _dense(module)
        if dense is not None:
            layers.append(dense)
        elif layers and not _has_parameters(module):  # activation/dropout after a layer
            names = [layers[-1].activation, _activation_name(module)]
            layers[-1].activation = ", ".join(n for n in names if n)
        else:
            raise TypeError(f"draw_network: cannot draw layer {type(module).__name__} inside "
                            f"{type(model).__name__}; expected an {SUPPORTED}")
    if not layers:
        raise ValueError(f"draw_network: {type(model).__name__} has no layers to draw")
    if hasattr(model, "activation"):  # MLP: the hidden activation and an output activation
        for layer in layers[:-1]:
            layer.activation = _activation_name(model.activation)
        layers[-1].activation = _activation_name(getattr(model, "output_activation", None))
    for before, after in zip(layers, layers[1:]):
        if before.weight.shape[0] != after.weight.shape[1]:
            raise ValueError(f"draw_network: a layer with {before.weight.shape[0]} outputs feeds "
                             f"one with {after.weight.shape[1]} inputs")
    return layers


def _shown(n: int, max_neurons: int) -> list[int | None]:
    """Indices of the neurons drawn in a column of ``n``; None marks the "…" node."""
    if n <= max_neurons:
        return list(range(n))
    head = (max_neurons + 1) // 2
    tail = max_neurons - head
    return [*range(head), None, *range(n - tail, n)]


def draw_network(model: Any, *, max_neurons: int = 10, show_bias: bool = True,
                 precision: int = 2, rankdir: str = "LR"):
    """The architecture of ``model`` as a graphviz Digraph (``.source``, ``.render(path)``).

    Inputs, hidden and output neurons are circles in columns; each weight is one edge
    (blue positive, red negative, width by |weight| relative to the layer's largest);
    biases are printed on the neurons. Columns wider than ``max_neurons`` collapse to
    their first and last neurons around a "…" node with the number left out.
    """
    if max_neurons < 2:
        raise ValueError(f"draw_network: max_neurons must be at least 2; got {max_neurons}")
    layers = network_layers(model)
    sizes = [layers[0].weight.shape[1]] + [layer.weight.shape[0] for layer in layers]
    dot = new_diagram("network", rankdir, splines="line", outputorder="edgesfirst")
    dot.engine = "neato"  # every neuron is pinned to its place in its column
    dot.attr(label="weights: blue positive, red negative, wider = larger |w|; b = bias",
             labelloc="b", fontsize="10", fontcolor="#555555")
    dot.attr("node", shape="circle", style="filled", fixedsize="true", width="0.62",
             fontsize="9")
    columns = [_shown(n, max_neurons) for n in sizes]
    top = max(len(shown) for shown in columns) / 2 * ROW_GAP
    for c, (n, shown) in enumerate(zip(sizes, columns)):
        role = "input" if c == 0 else "output" if c == len(sizes) - 1 else "hidden"
        act = None if c == 0 else layers[c - 1].activation
        kind = "inputs" if c == 0 else "output" if role == "output" else f"hidden {c}"
        dot.node(f"title{c}", f"{kind}\\n{n:,}{' ' + act if act else ''}", shape="plaintext",
                 style="", fixedsize="false", fontsize="11",
                 pos=_pos(c, top + ROW_GAP * 0.8, rankdir))
        for k, j in enumerate(shown):
            node_id, label, attrs = _neuron(c, j, n, len(shown), role, layers, show_bias,
                                            precision)
            y = (len(shown) - 1) / 2 * ROW_GAP - k * ROW_GAP
            dot.node(node_id, label, pos=_pos(c, y, rankdir), **attrs)
    for c, layer in enumerate(layers):
        _weights(dot, c, layer.weight, columns[c], columns[c + 1])
    return dot


def _pos(column: int, y: float, rankdir: str) -> str:
    """A pinned position in inches: columns left to right (or top to bottom for "TB")."""
    x = column * COLUMN_GAP
    return f"{x:.2f},{y:.2f}!" if rankdir in ("LR", "RL") else f"{y:.2f},{-x:.2f}!"


def _node_id(column: int, j: int | None) -> str:
    return f"c{column}_{'more' if j is None else j}"


def _neuron(c: int, j: int | None, n: int, n_shown: int, role: str, layers: list[DenseLayer],
            show_bias: bool, precision: int) -> tuple[str, str, dict]:
    """(id, label, attributes) of neuron j of column c, or of the column's "…" node."""
    node_id = _node_id(c, j)
    if j is None:
        return node_id, f"…\\n{n - n_shown + 1:,} more", {
            "fillcolor": FILL["more"], "color": HIDDEN_EDGE, "width": "0.75"}
    name = f"x{j + 1}" if c == 0 else f"{'y' if role == 'output' else 'h'}{j + 1}"
    bias = None if c == 0 or layers[c - 1].bias is None else float(layers[c - 1].bias[j])
    if bias is not None and abs(bias) < 0.5 * 10.0 ** -precision:
        bias = 0.0  # no "-0.00"
    shown_bias = bias is not None and show_bias
    label = f"{name}\\nb {format_number(bias, precision)}" if shown_bias else name
    tooltip = name if bias is None else f"{name}: bias {bias:.6g}"
    return node_id, label, {"fillcolor": FILL[role], "tooltip": tooltip}


def _weights(dot, c: int, weight: np.ndarray, sources: list, targets: list) -> None:
    """One edge per drawn weight of layer c; "…" nodes get one grey edge per neighbour."""
    largest = float(np.abs(weight).max()) or 1.0
    for i in targets:
        for j in sources:
            tail, head = _node_id(c, j), _node_id(c + 1, i)
            if i is None or j is None:
                dot.edge(tail, head, color=HIDDEN_EDGE, style="dashed", arrowhead="none")
                continue
            w = float(weight[i, j])
            dot.edge(tail, head, color=POSITIVE if w >= 0 else NEGATIVE, arrowhead="none",
                     penwidth=f"{0.3 + 2.7 * abs(w) / largest:.2f}", tooltip=f"w = {w:.6g}")


def render_model_file(model_path: str | os.PathLike, out_path: str | os.PathLike,
                      format: str | None = None) -> str:  # noqa: A002 - graphviz's name
    """Load a saved model (.npz) and write its network picture to ``out_path`` (svg, png,
    pdf or dot; the format defaults to the file suffix). Returns the path written."""
    model_path = os.fspath(model_path)
    if not os.path.isfile(model_path):
        raise FileNotFoundError(f"model file {model_path!r} does not exist")
    from .io import load

    return draw_network(load(model_path)).render(out_path, format=format)


def main(argv: list[str] | None = None) -> int:
    """``python -m nn.draw MODEL.npz -o net.svg``: one-line errors and exit 1 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m nn.draw",
                                     description="Draw a saved model as a network picture.")
    parser.add_argument("model", help="model file (.npz) written by model.save / nn.save")
    parser.add_argument("-o", "--output", default="network.svg",
                        help="picture to write: .svg, .png, .pdf or .dot (default network.svg)")
    parser.add_argument("--format", choices=("svg", "png", "pdf", "dot"), default=None,
                        help="picture format (default: from the output's suffix)")
    args = parser.parse_args(argv)
    try:
        written = render_model_file(args.model, args.output, args.format)
    except (OSError, ValueError, TypeError, KeyError, ImportError, GraphvizMissingError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
