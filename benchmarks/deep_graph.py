"""Deep graphs: backward of a long scalar chain ``z = z * 1.000001 + 0.0`` (4 nodes per
link counting the constants) and of a 10,000-op tensor chain; time and peak RSS, each in
a fresh process."""

from __future__ import annotations

import json
import sys
import time

from .harness import peak_rss_mb
from .subprocess_run import run_child

__all__ = ["run"]


def _scalar_chain(links: int) -> dict:
    from autograd import Value

    base = peak_rss_mb()
    x = Value(1.0)
    start = time.perf_counter()
    z = x
    for _ in range(links):
        z = z * 1.000001 + 0.0
    built = time.perf_counter()
    z.backward()
    done = time.perf_counter()
    expected = 1.000001 ** links
    return {"build_s": built - start, "backward_s": done - built,
            "peak_mb": peak_rss_mb(), "base_mb": base,
            "grad_ok": abs(x.grad - expected) < 1e-9 * expected}


def _tensor_chain(ops: int, size: int = 64) -> dict:
    import numpy as np

    from autograd import Value

    base = peak_rss_mb()
    x = Value(np.ones((size, size)))
    start = time.perf_counter()
    z = x
    for _ in range(ops // 2):
        z = z * 1.0001 + 0.0
    built = time.perf_counter()
    z.sum().backward()
    done = time.perf_counter()
    expected = 1.0001 ** (ops // 2)
    return {"build_s": built - start, "backward_s": done - built,
            "peak_mb": peak_rss_mb(), "base_mb": base,
            "grad_ok": bool(np.allclose(x.grad, expected, rtol=1e-9))}


def _micrograd_chain(links: int) -> dict:
    from micrograd.engine import Value  # its recursive topological sort, default limit

    x = Value(1.0)
    start = time.perf_counter()
    z = x
    for _ in range(links):
        z = z * 1.000001 + 0.0
    built = time.perf_counter()
    z.backward()
    done = time.perf_counter()
    return {"build_s": built - start, "backward_s": done - built, "peak_mb": peak_rss_mb(),
            "base_mb": 0.0, "grad_ok": abs(x.grad - 1.000001 ** links) < 1e-6}


def run(links: int = 1_000_000, tensor_ops: int = 10_000) -> tuple[list[list], list[str]]:
    """Rows: workload, build s, backward s, peak MB (whole process), gradient right?, target."""
    rows, notes = [], []
    cases = [
        (f"netgrad scalar chain, {links:,} links", "scalar", links,
         "backward < 2 s, peak < 1000 MB"),
        (f"netgrad tensor chain, {tensor_ops:,} ops on 64x64", "tensor", tensor_ops, ""),
        ("micrograd scalar chain, 400 links", "micrograd", 400, ""),
        ("micrograd scalar chain, 1,000 links", "micrograd", 1000, "(default recursion limit)"),
    ]
    for label, kind, n, target in cases:
        result = run_child("deep_graph", kind, n)
        if "error" in result:
            rows.append([label, None, None, None, result["error"].split(":")[0], target])
            continue
        met = ""
        if kind == "scalar":
            ok = result["backward_s"] < 2 and result["peak_mb"] < 1000
            met = " (met)" if ok else " (MISSED)"
        rows.append([label, result["build_s"], result["backward_s"], result["peak_mb"],
                     "yes" if result["grad_ok"] else "NO", target + met])
    return rows, notes


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    kind, n = sys.argv[2], int(sys.argv[3])
    worker = {"scalar": _scalar_chain, "tensor": _tensor_chain, "micrograd": _micrograd_chain}
    print(json.dumps(worker[kind](n)))
