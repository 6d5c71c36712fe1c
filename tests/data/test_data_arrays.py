"""NumPy arrays (.npy/.npz) and MNIST-style IDX files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from vdq_gui.data import load_data


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file: two zero bytes, the type, the rank, big-endian dims, then the data."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_npy_1d(tmp_path):
    np.save(tmp_path / "a.npy", np.array([2, 0, 1, 2]))
    data = load_data(tmp_path / "a.npy")
    assert data.kind == "1d" and data.values.tolist() == [2, 0, 1, 2] and data.levels == 3


@pytest.mark.parametrize(("shape", "expected"), [
    ((5, 6, 7), (5, 1, 6, 7)),          # N, H, W
    ((5, 6, 7, 3), (5, 3, 6, 7)),       # N, H, W, C
    ((5, 3, 6, 7), (5, 3, 6, 7)),       # N, C, H, W
    ((5, 6, 7, 4), (5, 3, 6, 7)),       # RGBA: alpha dropped
])
def test_npy_image_stacks(tmp_path, shape, expected):
    array = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    np.save(tmp_path / "s.npy", array)
    data = load_data(tmp_path / "s.npy")
    assert data.kind == "images" and data.values.shape == expected
    if shape[-1] in (3, 4) and len(shape) == 4 and shape[1] != 3:
        np.testing.assert_array_equal(data.values[:, 0], array[..., 0])


def test_npz_with_key(tmp_path, fails):
    path = tmp_path / "z.npz"
    np.savez(path, labels=np.array([0, 1, 1]), images=np.zeros((3, 4, 4), np.uint8) + [[0], [1], [2], [3]])
    assert load_data(path, key="labels").values.tolist() == [0, 1, 1]
    assert load_data(path, key="images").image_shape == (1, 4, 4)
    error = fails(path, "key=")
    assert "labels" in str(error) and "images" in str(error)
    fails(path, "no array 'nope'", key="nope")


def test_npz_single_array_needs_no_key(tmp_path):
    np.savez_compressed(tmp_path / "one.npz", x=np.array([1.5, 2.0, 2.5]))
    data = load_data(tmp_path / "one.npz")
    assert data.values.tolist() == [0, 1, 2] and data.step == 0.5


@pytest.mark.parametrize("gz", [False, True])
def test_idx_images_and_labels(tmp_path, gz):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([3, 7], dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write = gzip.compress if gz else bytes
    (tmp_path / f"img-idx3-ubyte{suffix}").write_bytes(write(idx_bytes(images)))
    (tmp_path / f"lab-idx1-ubyte{suffix}").write_bytes(write(idx_bytes(labels)))
    data = load_data(tmp_path / f"img-idx3-ubyte{suffix}")
    assert data.values.shape == (2, 1, 3, 4) and data.levels == 256
    np.testing.assert_array_equal(data.values[:, 0], images)
    labels_data = load_data(tmp_path / f"lab-idx1-ubyte{suffix}")
    assert labels_data.values.tolist() == [0, 4] and labels_data.origin == 3  # integers start at their minimum


def test_idx_other_types(tmp_path):
    (tmp_path / "s.idx").write_bytes(idx_bytes(np.array([-2, 5], dtype=np.int16), 0x0B))
    data = load_data(tmp_path / "s.idx")
    assert data.values.tolist() == [0, 7] and data.origin == -2


def test_bad_arrays(tmp_path, fails):
    np.save(tmp_path / "obj.npy", np.array([1, "a", None], dtype=object))
    fails(tmp_path / "obj.npy", "objects")
    np.save(tmp_path / "str.npy", np.array(["a", "b"]))
    fails(tmp_path / "str.npy", "not numbers")
    np.save(tmp_path / "flat.npy", np.zeros((4, 5)))
    fails(tmp_path / "flat.npy", "neither")
    np.save(tmp_path / "empty.npy", np.zeros(0))
    fails(tmp_path / "empty.npy", "empty")
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    fails(tmp_path / "nan.npy", "NaN")
    (tmp_path / "fake.npy").write_text("1\n2\n")
    fails(tmp_path / "fake.npy", "does not match")
    (tmp_path / "fake.npz").write_bytes(b"PK\x03\x04garbage")
    fails(tmp_path / "fake.npz", "npz")


def test_bad_idx(tmp_path, fails):
    (tmp_path / "bad-idx3-ubyte").write_bytes(b"\x01\x02\x03\x04")
    fails(tmp_path / "bad-idx3-ubyte", "magic")
    (tmp_path / "cut-idx3-ubyte").write_bytes(idx_bytes(np.zeros((2, 3, 3), np.uint8))[:-4])
    fails(tmp_path / "cut-idx3-ubyte", "truncated")
    (tmp_path / "bad-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    fails(tmp_path / "bad-idx1-ubyte.gz", "gzip")
    huge = bytes([0, 0, 8, 3]) + struct.pack(">3I", 100000, 1000, 1000)
    (tmp_path / "huge-idx3-ubyte").write_bytes(huge)
    fails(tmp_path / "huge-idx3-ubyte", "too large")


def test_size_limits_are_checked_before_reading(tmp_path, fails, monkeypatch):
    monkeypatch.setattr("vdq_gui.data.readers.MAX_VALUES", 10)
    monkeypatch.setattr("vdq_gui.data.readers.MAX_BYTES", 10)
    np.save(tmp_path / "big.npy", np.arange(20))
    fails(tmp_path / "big.npy", "too large")
    (tmp_path / "big.csv").write_text("1\n" * 20)
    fails(tmp_path / "big.csv", "too large")
