"""``python -m benchmarks [--quick] [--only mlp,scalar,deep,memory]``: run the suite and
print one report (environment header + one table per workload, ratios side by side)."""

from __future__ import annotations

import argparse
import time

import numpy as np

from . import deep_graph, memory, mlp_step, scalar_engine
from .harness import environment_header, format_table

SECTIONS = ("mlp", "scalar", "deep", "memory")


def _mlp(quick: bool) -> str:
    rows, notes = mlp_step.run(dtypes=(np.float64, np.float32), repeats=11 if quick else 41,
                               budget_s=0.03 if quick else 0.1)
    header = ["workload (1 training step)", "dtype", "batch", "numpy µs", "netgrad µs",
              "traced µs", "torch(1 thr) µs", "torch µs", "netgrad/numpy", "traced/numpy",
              "torch1/numpy", "target", "met (eager/traced)"]
    notes.append("traced: the same step with the loss function in autograd.trace (replays the "
                 "recorded ops; see README)")
    return _table("1. Tensor MLP step: netgrad and PyTorch vs hand-written NumPy", header,
                  rows, notes)


def _scalar(quick: bool) -> str:
    steps = 10 if quick else 100
    rows, notes = scalar_engine.run(steps=steps)
    header = ["contender", "ms/step (median)", f"accuracy after {steps}", "micrograd/this"]
    notes.append("target: netgrad scalar >= 10x faster than micrograd, same accuracy "
                 "(1.00 after 100 steps)" + _floor_note(rows))
    return _table("2. Scalar engine: micrograd's demo (moons 100, MLP 2-16-16-1, max-margin)",
                  header, rows, notes)


def _floor_note(rows: list[list]) -> str:
    """What the minimal engine (the floor) reaches in this run's rows, '' without micrograd."""
    ratio = {row[0]: row[3] for row in rows}
    floor, paused = ratio[scalar_engine.FLOOR], ratio[scalar_engine.FLOOR_GC_PAUSED]
    if floor is None:
        return ""
    return (f"; the minimal engine, the floor for any pure-Python engine, reaches {floor:.1f}x "
            f"on this machine ({paused:.1f}x with the step in gc_paused())")


def _deep(quick: bool) -> str:
    rows, notes = deep_graph.run(links=100_000 if quick else 1_000_000, tensor_ops=10_000)
    header = ["graph", "build s", "backward s", "peak RSS MB", "grad right", "target"]
    return _table("3. Deep graphs (fresh process each; peak RSS of the whole process)",
                  header, rows, notes)


def _memory(quick: bool) -> str:
    rows, notes = memory.run(steps=1000 if quick else 5000)
    header = ["784-15-10 sigmoid, batch 32", "RSS MB", "peak RSS MB", "growth %", "target"]
    return _table("4. Memory over time (fresh process)", header, rows, notes)


def _table(title: str, header: list[str], rows: list[list], notes: list[str]) -> str:
    return "\n".join([format_table(title, header, rows), *(f"note: {n}" for n in notes)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats/steps (about a minute instead of ~5)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections out of {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    runners = {"mlp": _mlp, "scalar": _scalar, "deep": _deep, "memory": _memory}
    start = time.perf_counter()
    print("netgrad benchmark suite" + (" (--quick)" if args.quick else ""))
    print(environment_header())
    for section in chosen:
        print()
        print(runners[section](args.quick), flush=True)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
