"""Training progress: tqdm bars on a terminal or in Jupyter, one line per epoch elsewhere.

When stdout is not a terminal (CI logs, redirected output) redrawn bars become noise, so the
epoch summary is printed as one concise line instead. ``TQDM_DISABLE=1`` in the environment (or
tqdm not installed: ``pip install netgrad[progress]``) also selects the line mode.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

__all__ = ["Progress", "format_metrics"]


def format_metrics(values: dict[str, float]) -> str:
    """``loss=0.1234 val_loss=0.2345`` with 4 significant digits."""
    return " ".join(f"{k}={v:.4g}" for k, v in values.items())


def _bars_wanted(stream: TextIO) -> bool:
    if os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false"):
        return False
    try:
        import tqdm  # noqa: F401 - only checking it is there
    except ImportError:
        return False
    from .history import _in_notebook

    return _in_notebook() or bool(getattr(stream, "isatty", lambda: False)())


def _bar_class() -> type:
    """tqdm's widget bar in Jupyter when ipywidgets is installed, else its text bar (which
    Jupyter shows fine). ``tqdm.auto`` would pick the same, but print a red "IProgress not
    found" warning in every notebook without ipywidgets."""
    from .history import _in_notebook

    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401 - only checking it is there
            from tqdm.notebook import tqdm
            return tqdm
        except ImportError:
            pass
    from tqdm import tqdm
    return tqdm


class Progress:
    """Shows `fit`'s progress; ``enabled=False`` is silent."""

    def __init__(self, epochs: int, steps: int, enabled: bool = True,
                 stream: TextIO | None = None) -> None:
        self.epochs, self.steps, self.enabled = epochs, steps, enabled
        self.stream = stream if stream is not None else sys.stdout
        self.bars = enabled and _bars_wanted(self.stream)
        self._bar = None

    def start_epoch(self, epoch: int) -> None:
        if self.bars:
            # disable=False: the choice was made in __init__ from the environment as it is
            # now; tqdm reads TQDM_DISABLE only once, when it is first imported
            self._bar = _bar_class()(total=self.steps, desc=f"epoch {epoch + 1}/{self.epochs}",
                                     leave=True, file=self.stream, dynamic_ncols=True,
                                     disable=False)

    def step(self, loss: float) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{loss:.4g}", refresh=False)

    def end_epoch(self, epoch: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix_str(format_metrics(values))
            self._bar.close()
            self._bar = None
        else:
            print(f"epoch {epoch + 1}/{self.epochs} {format_metrics(values)}", file=self.stream,
                  flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
