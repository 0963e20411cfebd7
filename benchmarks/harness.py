"""Interleaved timing, medians, the environment header and plain-text tables.

Contenders are timed in turns (every contender once per round, in a shuffled order) after
a warm-up, so a slow phase of the machine hits all of them alike; each reports the median
of its repeats.
"""

from __future__ import annotations

import datetime
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["environment_header", "format_table", "interleaved_medians", "peak_rss_mb"]


def interleaved_medians(contenders: dict[str, Callable[[], object]], repeats: int,
                        inner: int = 1, warmup: int = 2, settle: int = 1) -> dict[str, float]:
    """Median seconds per call of each contender, timed round-robin.

    Each repeat times ``inner`` back-to-back calls of every contender, in a fresh seeded
    shuffle of their order (a fixed rotation would always time each contender right after
    the same other one, and so charge it that one's after-effects: torch's threads, freed
    memory); ``warmup`` calls each come first.
    ``settle`` untimed calls precede each timed block: the C allocator hands big freed
    buffers back to the OS, so without them a contender pays the page faults that
    re-create the previous contender's memory (measured: 784-512-512-10 at batch 256
    takes ~2,200 page faults per step alone, but 4,300 right after the other
    contender, which then gets away with 800). A training loop runs one library.
    """
    names = list(contenders)
    for name in names:
        for _ in range(warmup):
            contenders[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    clock = time.perf_counter
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        order = names[:]
        shuffle(order)
        for name in order:
            call = contenders[name]
            for _ in range(settle):
                call()
            start = clock()
            for _ in range(inner):
                call()
            samples[name].append((clock() - start) / inner)
    return {name: statistics.median(times) for name, times in samples.items()}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Linux: VmHWM (ru_maxrss would carry a parent's peak across fork + exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to record it)"
    numpy_libs = [i for i in threadpool_info() if i.get("user_api") == "blas"
                  and "numpy" in i.get("filepath", "")]
    infos = numpy_libs or [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not infos:
        return "none found"
    info = infos[0]
    return (f"{info.get('internal_api')} {info.get('version')} kernel "
            f"{info.get('architecture')} threads {info.get('num_threads')}")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment_header() -> str:
    """Date, machine, Python, NumPy, BLAS (library, version, kernel, threads) and the
    OPENBLAS_CORETYPE setting: numbers are comparable only within one environment."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"date: {now}   machine: {_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()}",
        f"python {platform.python_version()}   numpy {np.__version__}   "
        f"BLAS: {_blas_description()}",
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}",
    ]
    return "\n".join(lines)


def format_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A left-aligned plain-text table (first column) with right-aligned numbers."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * len(line(cells[0]))
    return "\n".join([title, rule, line(cells[0]), rule, *map(line, cells[1:]), rule])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)
