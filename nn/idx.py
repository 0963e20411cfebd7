"""Readers for IDX files, the format of the real MNIST data (plain or gzip-compressed).

An IDX file is: 4 magic bytes ``0x00 0x00 <dtype code> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then exactly ``prod(sizes)`` big-endian items. Nothing is downloaded here: a user
fetches the four MNIST files themselves and points `load_mnist` at their folder.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["MNIST_FILES", "load_idx", "load_mnist"]

# IDX dtype code -> big-endian NumPy dtype.
IDX_DTYPES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}

# Most dimensions a NumPy array can have (32 before NumPy 2, 64 since).
_MAX_NDIM = 64 if int(np.__version__.split(".")[0]) >= 2 else 32

# The standard MNIST file names (each may also end in .gz).
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not an IDX file (for the four "
                                "MNIST files in a folder use load_mnist)")
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {str(path)!r} does not exist")
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read()
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"IDX file {str(path)!r}: broken gzip data ({exc})") from None
    return path.read_bytes()


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file at ``path`` (plain or .gz), in native byte order.

    Raises ValueError naming the file when the magic number, the dimensions or the payload size
    are wrong (e.g. a truncated download), FileNotFoundError when it does not exist.
    """
    path = Path(path)
    data = _read_bytes(path)
    where = f"IDX file {str(path)!r}"
    if len(data) < 4:
        raise ValueError(f"{where}: only {len(data)} bytes, too short for the 4-byte magic number")
    zero, zero2, code, ndim = data[:4]
    if zero or zero2 or code not in IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{where}: bad magic number 0x{data[:4].hex()} (expected 0x0000 + a type code in "
            f"{', '.join(f'0x{c:02X}' for c in IDX_DTYPES)} + number of dimensions >= 1); "
            "is this an IDX file?"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{where}: truncated header: {ndim} dimensions need {header_size} bytes, "
            f"file has {len(data)}"
        )
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: np.prod would wrap past 2**63
    payload = len(data) - header_size
    if payload != expected:
        problem = "truncated" if payload < expected else "has extra bytes"
        raise ValueError(
            f"{where}: {problem}: shape {shape} of {dtype.name} needs {expected} data bytes, "
            f"found {payload}"
        )
    if ndim > _MAX_NDIM:
        raise ValueError(f"{where}: {ndim} dimensions; NumPy arrays have at most {_MAX_NDIM}")
    array = np.frombuffer(data, dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    # Some mirrors use a dot before "idx" (train-images.idx3-ubyte).
    dotted = stem.replace("-idx", ".idx")
    for name in (dotted, dotted + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"MNIST folder {str(directory)!r} has no {stem!r} (or {stem}.gz); it needs the four "
        f"files {', '.join(MNIST_FILES.values())}"
    )


def load_mnist(directory: str | os.PathLike) -> tuple[tuple[np.ndarray, np.ndarray],
                                                      tuple[np.ndarray, np.ndarray]]:
    """``((X_train, y_train), (X_test, y_test))`` from the 4 MNIST IDX files in ``directory``.

    Images are flattened to (n, rows*cols) (784 for MNIST) float64 scaled to 0..1 (divided by
    255); labels are int64. Checks that images are 3-D, labels 1-D and that their counts agree.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST folder {str(directory)!r} does not exist")
    splits, image_size = [], None
    for part in ("train", "test"):
        images_path = _find(directory, MNIST_FILES[f"{part}_images"])
        labels_path = _find(directory, MNIST_FILES[f"{part}_labels"])
        images, labels = load_idx(images_path), load_idx(labels_path)
        for path, array in ((images_path, images), (labels_path, labels)):
            if array.dtype != np.uint8:  # anything else would not scale to 0..1 / be a label
                raise ValueError(f"IDX file {str(path)!r}: MNIST files hold unsigned bytes "
                                 f"(type 0x08), this one holds {array.dtype.name}")
        if images.ndim != 3:
            raise ValueError(f"IDX file {str(images_path)!r}: images must be 3-D (n, rows, cols), "
                             f"got shape {images.shape}")
        if labels.ndim != 1:
            raise ValueError(f"IDX file {str(labels_path)!r}: labels must be 1-D, "
                             f"got shape {labels.shape}")
        if image_size is not None and images.shape[1:] != image_size:
            raise ValueError(f"IDX file {str(images_path)!r}: test images are "
                             f"{images.shape[1]}x{images.shape[2]} but train images are "
                             f"{image_size[0]}x{image_size[1]}")
        image_size = images.shape[1:]
        if len(images) != len(labels):
            raise ValueError(f"MNIST {part} split: {len(images)} images in {images_path.name} but "
                             f"{len(labels)} labels in {labels_path.name}")
        X = images.reshape(len(images), -1).astype(np.float64) / 255.0
        splits.append((X, labels.astype(np.int64)))
    return splits[0], splits[1]
