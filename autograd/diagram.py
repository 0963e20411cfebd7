"""The drawing surface both kinds of diagram share: a graphviz Digraph with the project's look,
atomic ``render(path)``, a clear error when Graphviz's ``dot`` is missing, and number format.

The Python ``graphviz`` package is imported on first use, so ``import autograd`` stays light.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import warnings

__all__ = ["GraphvizMissingError", "format_number", "new_diagram"]

INSTALL_HINT = (
    "install Graphviz's 'dot' program: Debian/Ubuntu `sudo apt-get install graphviz`, "
    "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`"
)
FORMATS = ("svg", "png", "pdf", "dot")


class GraphvizMissingError(RuntimeError):
    """Graphviz's ``dot`` program is not installed, so a diagram cannot be rendered."""


@functools.cache
def _diagram_class():
    try:
        import graphviz
    except ImportError:
        raise ImportError("diagrams need the Python 'graphviz' package: "
                          "pip install netgrad[viz]") from None

    class Diagram(graphviz.Digraph):
        """A graphviz Digraph whose rendering names a missing ``dot`` clearly and whose
        ``render(path)`` writes exactly ``path`` (atomically)."""

        def pipe(self, format=None, *args, **kwargs):  # noqa: A002 - graphviz's name
            try:
                return super().pipe(format, *args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizMissingError(
                    f"cannot render the diagram: Graphviz's 'dot' program was not found on "
                    f"PATH; {INSTALL_HINT} (the DOT text is still available as .source)"
                ) from None

        def render(self, path: str | os.PathLike, format: str | None = None) -> str:  # noqa: A002
            """Write the picture to ``path`` (svg, png, pdf, or dot for the DOT text);
            the format defaults to the file's suffix."""
            path = os.fspath(path)
            fmt = (format or os.path.splitext(path)[1].lstrip(".")).lower()
            if fmt not in FORMATS:
                raise ValueError(
                    f"render({path!r}): format must be one of {', '.join(FORMATS)}; got "
                    f"{fmt or 'no format and no file suffix'!r}"
                )
            if os.path.isdir(path):
                raise IsADirectoryError(f"render({path!r}): that is a folder; give a file "
                                        "name like graph.svg")
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"render({path!r}): folder {folder!r} does not exist")
            data = self.source.encode() if fmt == "dot" else self.pipe(format=fmt)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
            try:  # atomic: readers never see a half-written picture
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                umask = os.umask(0o022)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; pictures are for sharing
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
            return path

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except GraphvizMissingError as exc:
                warnings.warn(str(exc), stacklevel=2)
                return {"text/plain": self.source}

    return Diagram


def new_diagram(name: str, rankdir: str = "LR", **graph_attr: str):
    """An empty diagram (graphviz Digraph) with this project's look."""
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT'; got {rankdir!r}")
    dot = _diagram_class()(name=name)
    dot.attr(rankdir=rankdir, fontname="Helvetica", **graph_attr)
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9", arrowsize="0.6")
    return dot


def format_number(x: float, precision: int = 4) -> str:
    """2.0 -> '2.0000'; very large or small numbers in scientific notation."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"
