"""Checkpoints of a running `Trainer`: everything needed to resume a run bit for bit.

A checkpoint holds the model's state_dict, the optimizer's and schedulers' state_dicts, the
History, the number of finished epochs, the train loader's RNG state and position, and the state
of every ``np.random.Generator`` found in the model (e.g. Dropout's). It is written atomically
through `nn.io.save_tree` (pickle-free NPZ + JSON) and read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .io import load_tree, save_tree

__all__ = ["find_generators", "load_checkpoint", "read_checkpoint", "save_checkpoint"]

FORMAT = "netgrad-checkpoint-1"


def find_generators(obj: Any, prefix: str = "", seen: set | None = None) -> dict[str, Any]:
    """Every ``np.random.Generator`` reachable through attributes/lists/dicts, by dotted path."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return {}
    seen.add(id(obj))
    if isinstance(obj, np.random.Generator):
        return {prefix: obj}
    if isinstance(obj, (list, tuple)):
        children = {str(i): v for i, v in enumerate(obj)}
    elif isinstance(obj, dict):
        children = {str(k): v for k, v in obj.items()}
    elif hasattr(obj, "__dict__") and not isinstance(obj, (type, np.ndarray)):
        children = vars(obj)
    else:
        return {}
    found = {}
    for key, child in children.items():
        if isinstance(child, (list, tuple, dict, np.random.Generator)) or hasattr(
                child, "__dict__"):
            found.update(find_generators(child, f"{prefix}.{key}" if prefix else key, seen))
    return found


def save_checkpoint(path: str | os.PathLike, trainer: Any) -> Path:
    """Write `trainer`'s full state to `path` (atomic); returns the path."""
    tree = {
        "format": FORMAT,
        "epochs_done": int(trainer.epoch),
        "model": {k: np.asarray(v) for k, v in trainer.model.state_dict().items()},
        "optimizer": trainer.optimizer.state_dict(),
        "schedulers": [s.state_dict() for s in trainer.schedulers if hasattr(s, "state_dict")],
        "history": json.dumps(trainer.history.to_dict()),
        "loader": json.dumps(trainer.loader.state_dict()),
        "model_rngs": json.dumps({k: g.bit_generator.state
                                  for k, g in find_generators(trainer.model).items()}),
    }
    path = Path(path)
    save_tree(path, tree)
    return path


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The checkpoint's tree (model/optimizer state, history ...), checked to be one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    tree = load_tree(path)
    if not isinstance(tree, dict) or tree.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a netgrad training checkpoint")
    return tree


def load_checkpoint(path: str | os.PathLike, trainer: Any) -> None:
    """Put `trainer` back into the state saved at `path` (model, optimizer, history, RNGs)."""
    from .history import History

    tree = read_checkpoint(path)
    with_state = [s for s in trainer.schedulers if hasattr(s, "load_state_dict")]
    if len(with_state) != len(tree["schedulers"]):  # a saved schedule is never dropped
        raise ValueError(f"{str(path)!r} was saved with {len(tree['schedulers'])} learning-rate "
                         f"scheduler(s), {len(with_state)} given: resume with the same ones")
    trainer.model.load_state_dict(tree["model"])
    trainer.optimizer.load_state_dict(tree["optimizer"])
    for scheduler, state in zip(with_state, tree["schedulers"]):
        scheduler.load_state_dict(state)
    trainer.history = History.from_dict(json.loads(tree["history"]))
    trainer.loader.load_state_dict(json.loads(tree["loader"]))
    rngs = find_generators(trainer.model)
    for key, state in json.loads(tree["model_rngs"]).items():
        if key in rngs:
            rngs[key].bit_generator.state = state
    trainer.epoch = int(tree["epochs_done"])
