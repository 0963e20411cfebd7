"""Tensor MLP training step (forward + backward + SGD, softmax cross-entropy): netgrad, eager
and traced (`autograd.trace`), vs the hand-written NumPy limit vs PyTorch CPU eager (1 thread
and default), interleaved."""

from __future__ import annotations

import os

import numpy as np

# PyTorch's OpenMP threads otherwise spin for a while after each op, on the 2 cores the
# contender timed next needs (seen: netgrad's batch-256 step 4x slower right after torch).
# Set before torch is first imported; an explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .harness import interleaved_medians
from .netgrad_models import TensorMLP
from .numpy_reference import NumpyMLP, init_mlp_weights

__all__ = ["CASES", "run"]

LR = 0.01
# (label, layer sizes, hidden activation, batch, target netgrad / numpy)
CASES = [
    ("784-15-10 sigmoid", [784, 15, 10], "sigmoid", 1, 1.6),
    ("784-15-10 sigmoid", [784, 15, 10], "sigmoid", 32, 1.2),
    ("784-15-10 sigmoid", [784, 15, 10], "sigmoid", 256, 1.2),
    ("784-512-512-10 relu", [784, 512, 512, 10], "relu", 256, 1.05),
]


def _torch_step_factory(layers, activation, x, labels, threads):
    """A PyTorch eager step on the same weights, or None when torch is absent."""
    try:
        import torch
    except ImportError:
        return None
    params = []
    for w, b in layers:
        params += [torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)]
    act = torch.sigmoid if activation == "sigmoid" else torch.relu
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)
    optimizer = torch.optim.SGD(params, lr=LR)
    functional = torch.nn.functional

    def step():
        previous = torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        hidden = tx
        for i in range(0, len(params), 2):
            hidden = functional.linear(hidden, params[i], params[i + 1])
            if i < len(params) - 2:
                hidden = act(hidden)
        loss = functional.cross_entropy(hidden, ty)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch.set_num_threads(previous)

    return step


def run(dtypes=(np.float64, np.float32), repeats: int = 30, budget_s: float = 0.05,
        seed: int = 0) -> tuple[list[list], list[str]]:
    """Rows: case, dtype, batch, µs per step of numpy / netgrad / netgrad traced /
    torch(1 thread) / torch(default), netgrad/numpy, traced/numpy, torch1/numpy, target,
    met? (eager/traced)"""
    notes = []
    rows = []
    for dtype in dtypes:
        for label, sizes, activation, batch, target in CASES:
            rng = np.random.default_rng(seed)
            layers = init_mlp_weights(sizes, rng, dtype)
            x = rng.standard_normal((batch, sizes[0])).astype(dtype)
            labels = rng.integers(0, sizes[-1], batch)
            reference = NumpyMLP(layers, activation)
            model, traced = TensorMLP(layers, activation), TensorMLP(layers, activation)
            for batch_x, batch_y in ((x + 1, (labels + 1) % sizes[-1]), (x, labels)):
                traced.step(batch_x, batch_y, LR, traced=True)  # two batches confirm the trace
            mode = traced.traced_loss.mode(x, labels)
            if mode != "replay":
                notes.append(f"{label} batch {batch}: the traced step does not replay ({mode})")
            contenders = {
                "numpy": lambda r=reference, x=x, y=labels: r.step(x, y, LR),
                "netgrad": lambda m=model, x=x, y=labels: m.step(x, y, LR),
                "traced": lambda m=traced, x=x, y=labels: m.step(x, y, LR, traced=True),
            }
            for threads, name in ((1, "torch1"), (0, "torch")):
                step = _torch_step_factory(layers, activation, x, labels, threads)
                if step is not None:
                    contenders[name] = step
            inner = _inner_calls(contenders["numpy"], budget_s / repeats)
            med = interleaved_medians(contenders, repeats, inner=inner, warmup=3)
            ratio = med["netgrad"] / med["numpy"]
            traced_ratio = med["traced"] / med["numpy"]
            torch_ratio = med["torch1"] / med["numpy"] if "torch1" in med else None
            met = "/".join("yes" if r <= target else "NO" for r in (ratio, traced_ratio))
            rows.append([label, np.dtype(dtype).name, batch, med["numpy"] * 1e6,
                         med["netgrad"] * 1e6, med["traced"] * 1e6,
                         med.get("torch1", 0) * 1e6 or None, med.get("torch", 0) * 1e6 or None,
                         ratio, traced_ratio, torch_ratio, f"<= {target}", met])
    try:
        import torch  # noqa: F401
    except ImportError:
        notes.append("PyTorch not installed: its columns are '-' (pip install torch==2.13.0)")
    return rows, notes


def _inner_calls(call, seconds: float) -> int:
    """How many back-to-back calls fill about ``seconds`` (at least 1)."""
    import time

    start = time.perf_counter()
    call()
    call()
    once = (time.perf_counter() - start) / 2
    return max(1, int(seconds / max(once, 1e-7)))
