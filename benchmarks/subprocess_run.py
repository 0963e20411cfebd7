"""Run one measurement in a fresh Python process, so its peak RSS is its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

__all__ = ["run_child"]

ROOT = Path(__file__).resolve().parent.parent


def run_child(module: str, *args: object, timeout: float = 600) -> dict:
    """``python -m benchmarks.<module> --child args...``; the child prints one JSON line."""
    command = [sys.executable, "-m", f"benchmarks.{module}", "--child", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])
