"""Files that are safe to keep and safe to open: atomic writes and pickle-free ``.npz``.

`atomic_write` writes to a temp file next to the target and renames it into place, so a
crash mid-write leaves the old file intact. `save_tree` / `load_tree` store nested
dicts/lists of numbers, strings and arrays as one ``.npz`` (a JSON skeleton plus arrays)
read with ``allow_pickle=False``: opening a netgrad file can never run code. Models are
saved as their class name, `config()` and `state_dict()`, and rebuilt by `load`.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["atomic_write", "build_module", "load", "load_tree", "module_spec", "save",
           "save_tree"]

MODEL_FORMAT = "netgrad-model-1"
_SKELETON = "__tree__"


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(binary_file)`` on a temp file beside ``path``, then rename it into place.
    The file gets ordinary permissions (0666 minus the umask); returns the path."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} "
                                "does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ----------------------------------------------------------------------- trees
def _encode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(node, dict):
        bad = [k for k in node if k is not None and not isinstance(k, (str, int, float))]
        if bad:  # JSON would turn a tuple key into an unhashable list: unreadable later
            raise TypeError(f"save_tree: cannot store a dict key {bad[0]!r} of type "
                            f"{type(bad[0]).__name__} (keys are strings, numbers or None)")
        if all(isinstance(k, str) for k in node) and not node.keys() & {"__array__",
                                                                         "__items__"}:
            return {k: _encode(v, arrays) for k, v in node.items()}
        return {"__items__": [[k, _encode(v, arrays)] for k, v in node.items()]}
    if isinstance(node, (list, tuple)):
        return [_encode(v, arrays) for v in node]
    if isinstance(node, (np.ndarray, np.generic)):
        array = np.asarray(node)
        if array.dtype.hasobject:
            raise TypeError("save_tree: arrays of Python objects cannot be stored")
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {"__array__": key}
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise TypeError(f"save_tree: cannot store a {type(node).__name__} (numbers, strings, "
                    "arrays, lists and dicts only)")


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__items__" in node:
            return {k: _decode(v, arrays) for k, v in node["__items__"]}
        return {k: _decode(v, arrays) for k, v in node.items()}
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    return node


def save_tree(path: str | os.PathLike, tree: Any) -> Path:
    """Store nested dicts/lists/tuples of numbers, strings, None and arrays at ``path``
    (atomic; tuples come back as lists, non-string dict keys are kept)."""
    arrays: dict[str, np.ndarray] = {}
    skeleton = json.dumps(_encode(tree, arrays))
    return atomic_write(path, lambda f: np.savez(f, **{_SKELETON: np.array(skeleton)}, **arrays))


def load_tree(path: str | os.PathLike) -> Any:
    """Read what `save_tree` wrote. A missing file raises FileNotFoundError (a folder,
    IsADirectoryError); a truncated, tampered or foreign file raises ValueError naming it.
    Never unpickles anything."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not a netgrad file")
    if not path.is_file():
        raise FileNotFoundError(f"file {str(path)!r} does not exist")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{str(path)!r} is not a readable netgrad file: truncated or not an "
                         ".npz archive")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        skeleton = json.loads(str(arrays.pop(_SKELETON)))
        return _decode(skeleton, arrays)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ValueError(f"{str(path)!r} holds pickled Python objects; netgrad files never "
                             "do, so it was not loaded (loading it could run code)") from None
        raise ValueError(f"{str(path)!r} is not a readable netgrad file: {exc}") from None
    except (OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile, zlib.error) as exc:
        why = "it has no netgrad contents" if isinstance(exc, KeyError) else \
            f"truncated or not an .npz ({type(exc).__name__}: {exc})"
        raise ValueError(f"{str(path)!r} is not a readable netgrad file: {why}") from None


# ----------------------------------------------------------------------- models
def module_spec(module: Any) -> dict[str, Any]:
    """``{"class": name, "config": module.config()}``: the architecture without weights."""
    return {"class": type(module).__name__, "config": module.config()}


def _classes(extra: Iterable[type] | dict[str, type] | None) -> dict[str, type]:
    from . import activations, layers

    found = {name: getattr(mod, name) for mod in (layers, activations) for name in mod.__all__
             if isinstance(getattr(mod, name), type)}
    if isinstance(extra, dict):
        found.update(extra)
    elif extra is not None:
        found.update({cls.__name__: cls for cls in extra})
    return found


def build_module(spec: dict[str, Any], classes: dict[str, type]) -> Any:
    """A new module from `module_spec`'s output; ``classes`` maps class names to classes."""
    name = spec.get("class")
    if name not in classes:
        raise ValueError(f"unknown module class {name!r}; pass it to nn.load(path, "
                         f"classes=[{name}]) if it is your own")
    return classes[name].from_config(spec.get("config", {}), classes)


def save(model: Any, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s architecture and weights to ``path`` (a ``.npz``, atomic). ``meta``
    (JSON-able, e.g. how the training data was read) is stored beside them; `load` skips it,
    ``load_tree(path)["meta"]`` reads it."""
    tree = {"format": MODEL_FORMAT, "model": module_spec(model), "state": model.state_dict()}
    if meta is not None:
        tree["meta"] = meta
    return save_tree(path, tree)


def load(path: str | os.PathLike, classes: Iterable[type] | dict[str, type] | None = None):
    """Rebuild the model saved at ``path`` with its weights. Built-in layers are known;
    your own Module classes are passed as ``classes=[MyModel]``."""
    tree = load_tree(path)
    if not isinstance(tree, dict) or tree.get("format") != MODEL_FORMAT:
        raise ValueError(f"{str(path)!r} is not a netgrad model file (written by model.save)")
    try:
        model = build_module(tree["model"], _classes(classes))
        model.load_state_dict(tree["state"])
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise ValueError(f"{str(path)!r}: the saved model cannot be rebuilt: {exc}") from None
    return model
