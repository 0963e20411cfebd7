"""nn.idx: IDX files written here byte by byte (struct), read back; broken files fail clearly."""

import gzip
import struct

import numpy as np
import pytest

from nn.idx import load_idx, load_mnist


def idx_bytes(array, code):
    """An IDX file built from the format's definition, independently of the reader."""
    formats = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array, formats[code]).tobytes()


def write(path, payload, compress=False):
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


@pytest.mark.parametrize("code,values", [
    (0x08, [[0, 1, 255], [7, 128, 9]]),
    (0x09, [[-128, 0, 127], [1, -1, 5]]),
    (0x0B, [[-30000, 2, 3], [4, 30000, 6]]),
    (0x0C, [[-2**31, 0, 1], [2, 3, 2**31 - 1]]),
    (0x0D, [[0.5, -1.25, 3.0], [1e-3, 2.0, -7.5]]),
    (0x0E, [[np.pi, -np.e, 0.0], [1e300, -1e-300, 2.0]]),
])
@pytest.mark.parametrize("compress", [False, True])
def test_every_dtype_round_trips_plain_and_gzip(tmp_path, code, values, compress):
    array = np.array(values)
    path = write(tmp_path / "a.idx", idx_bytes(array, code), compress)
    loaded = load_idx(path)
    assert loaded.shape == (2, 3)
    assert loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array.astype(loaded.dtype))


def test_three_dimensional_images(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(np.uint8)
    loaded = load_idx(write(tmp_path / "img", idx_bytes(images, 0x08)))
    np.testing.assert_array_equal(loaded, images)


@pytest.mark.parametrize("payload,message", [
    (b"\x00\x00", "too short"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic number"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "bad magic number"),
    (b"\x00\x00\x08\x00", "bad magic number"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05\x06", r"truncated: shape \(3,\).*needs 3.*found 2"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "extra bytes"),
])
def test_wrong_or_truncated_files_name_the_file_and_the_problem(tmp_path, payload, message):
    path = write(tmp_path / "broken-idx1-ubyte", payload)
    with pytest.raises(ValueError, match=message) as info:
        load_idx(path)
    assert "broken-idx1-ubyte" in str(info.value)


def test_truncated_gzip_and_missing_file(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((50, 4)), 0x08))
    path = tmp_path / "cut.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="cut.gz.*gzip"):
        load_idx(path)
    with pytest.raises(FileNotFoundError, match="nothing.idx"):
        load_idx(tmp_path / "nothing.idx")


def make_mnist(folder, n_train=5, n_test=3, compress=False, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    suffix = ".gz" if compress else ""
    data = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        write(folder / f"{part}-images-idx3-ubyte{suffix}", idx_bytes(images, 0x08), compress)
        write(folder / f"{part}-labels-idx1-ubyte{suffix}", idx_bytes(labels, 0x08), compress)
        data[part] = (images, labels)
    return data


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_flattens_and_scales(tmp_path, compress):
    data = make_mnist(tmp_path / "mnist", compress=compress)
    (X_train, y_train), (X_test, y_test) = load_mnist(tmp_path / "mnist")
    assert X_train.shape == (5, 784) and X_test.shape == (3, 784)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    images, labels = data["train"]
    np.testing.assert_allclose(X_train[2].reshape(28, 28) * 255, images[2])
    np.testing.assert_array_equal(y_train, labels)
    np.testing.assert_array_equal(y_test, data["t10k"][1])


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nope")
    folder = tmp_path / "mnist"
    make_mnist(folder)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(folder)
    write(folder / "t10k-labels-idx1-ubyte", idx_bytes(np.zeros(4), 0x08))
    with pytest.raises(ValueError, match="3 images.*4 labels"):
        load_mnist(folder)
    write(folder / "t10k-labels-idx1-ubyte", idx_bytes(np.zeros((3, 1)), 0x08))
    with pytest.raises(ValueError, match="labels must be 1-D"):
        load_mnist(folder)


def test_corrupt_deflate_stream_is_a_clear_error(tmp_path):
    good = bytearray(gzip.compress(idx_bytes(np.zeros(4), 0x08), compresslevel=0))
    good[10] = 0x07  # first deflate block header: block type 3 (reserved) is invalid
    path = write(tmp_path / "bad-block.gz", bytes(good))
    with pytest.raises(ValueError, match="bad-block.gz.*gzip"):
        load_idx(path)


def test_sizes_whose_product_overflows_64_bits_are_not_mistaken_for_empty(tmp_path):
    header = bytes([0, 0, 0x08, 4]) + struct.pack(">4I", *[2**16] * 4)  # 2**64 items, no data
    path = write(tmp_path / "huge-idx4-ubyte", header)
    with pytest.raises(ValueError, match=r"huge-idx4-ubyte.*truncated.*needs 18446744073709551616"):
        load_idx(path)


def test_more_dimensions_than_numpy_supports_names_the_file(tmp_path):
    path = write(tmp_path / "deep-idx", bytes([0, 0, 0x08, 100]) + struct.pack(">100I", *[1] * 100)
                 + b"\x05")
    with pytest.raises(ValueError, match="deep-idx.*100 dimensions"):
        load_idx(path)


@pytest.mark.parametrize("which,code,values", [
    ("train-images-idx3-ubyte", 0x0B, np.full((5, 28, 28), 300)),  # 300/255 is not in 0..1
    ("train-labels-idx1-ubyte", 0x0D, np.full(5, 1.7)),            # would be truncated to 1
    ("t10k-labels-idx1-ubyte", 0x09, np.full(3, -1)),
])
def test_load_mnist_rejects_files_that_are_not_unsigned_bytes(tmp_path, which, code, values):
    folder = tmp_path / "mnist"
    make_mnist(folder)
    write(folder / which, idx_bytes(values, code))
    with pytest.raises(ValueError, match=f"{which}.*unsigned bytes"):
        load_mnist(folder)


def test_load_mnist_rejects_test_images_of_another_size(tmp_path):
    folder = tmp_path / "mnist"
    make_mnist(folder)
    write(folder / "t10k-images-idx3-ubyte", idx_bytes(np.zeros((3, 10, 10)), 0x08))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.*10x10.*28x28"):
        load_mnist(folder)


def test_a_folder_is_named_as_a_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder, not an IDX file .*load_mnist"):
        load_idx(tmp_path)
