"""Memory over time: RSS after 100 and after 5,000 training steps of the 784-15-10
sigmoid MLP at batch 32 (fresh process). No graph may stay alive between steps."""

from __future__ import annotations

import json
import sys

from .subprocess_run import run_child

__all__ = ["run"]


def _child(steps: int) -> dict:
    import numpy as np
    import psutil

    from .harness import peak_rss_mb
    from .netgrad_models import TensorMLP
    from .numpy_reference import init_mlp_weights

    rng = np.random.default_rng(0)
    model = TensorMLP(init_mlp_weights([784, 15, 10], rng), "sigmoid")
    x = rng.standard_normal((32, 784))
    labels = rng.integers(0, 10, 32)
    process = psutil.Process()
    marks = {}
    for k in range(1, steps + 1):
        model.step(x, labels, 0.01)
        if k in (100, steps):
            marks[k] = {"rss_mb": process.memory_info().rss / 2**20, "peak_mb": peak_rss_mb()}
    return marks


def run(steps: int = 5000) -> tuple[list[list], list[str]]:
    """Rows: after N steps, RSS MB, peak RSS MB, growth vs 100 steps (%), target."""
    result = run_child("memory", steps)
    if "error" in result:
        return [["memory run failed", None, None, result["error"], ""]], []
    first, last = result["100"], result[str(steps)]
    growth = 100 * (last["peak_mb"] / first["peak_mb"] - 1)
    met = "met" if growth <= 5 else "MISSED"
    return [
        ["after 100 steps", first["rss_mb"], first["peak_mb"], None, ""],
        [f"after {steps:,} steps", last["rss_mb"], last["peak_mb"], growth,
         f"growth <= 5% ({met})"],
    ], []


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    print(json.dumps(_child(int(sys.argv[2]))))
