"""Hostile and odd files (issue 10 §4): each is read correctly or refused with a DataError
that names the file and the true reason, in bounded time and memory, and never unpickled."""

from __future__ import annotations

import gzip
import io
import os
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from vdq_gui.data import DataError, load_data, preview_file
from vdq_gui.data import readers


def both_fail(path, word, **options):
    """load_data and preview_file both refuse ``path`` with a DataError naming it and ``word``."""
    for read in (load_data, preview_file):
        with pytest.raises(DataError) as excinfo:
            read(path, **options)
        message = str(excinfo.value)
        assert path.name in message and word.lower() in message.lower(), message


def png16(path, pixels: np.ndarray, colour_type: int) -> None:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit colour PNGs), in one IDAT chunk."""
    height, width = pixels.shape[:2]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + pixels[y].astype(">u2").tobytes() for y in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# -- not regular files --------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    both_fail(fifo, "not a regular file")  # before: open() blocked forever


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_link_to_an_endless_device_is_refused(tmp_path):
    link = tmp_path / "z.csv"
    link.symlink_to("/dev/zero")
    both_fail(link, "not a regular file")  # before: read until memory ran out


def test_text_reading_is_bounded_even_if_the_size_lies(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_BYTES", 100)
    path = tmp_path / "big.csv"
    path.write_text("1\n2\n" * 50)
    with pytest.raises(DataError, match="too large"):
        load_data(path)
    assert preview_file(path).levels == 2  # the preview reads a bounded start, not the whole file


# -- exceptions that used to escape -------------------------------------------------

def test_corrupt_gzip_idx(tmp_path):
    payload = b"\0\0\x08\x01" + struct.pack(">I", 5000) + bytes(i % 7 for i in range(5000))
    packed = bytearray(gzip.compress(payload))
    packed[20:40] = b"\xff" * 20
    path = tmp_path / "lab-idx1-ubyte.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(DataError) as excinfo:
        load_data(path)
    assert path.name in str(excinfo.value) and "zlib.error" not in repr(excinfo.value)


def test_idx_dimensions_that_overflow(tmp_path):
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(b"\0\0\x08\x03" + struct.pack(">3I", 2**32 - 1, 2**32 - 1, 2**32 - 1))
    both_fail(path, "too large")


def test_corrupt_deflate_npz(tmp_path):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, a=np.arange(1000))
    data = bytearray(buffer.getvalue())
    data[100:120] = b"\0" * 20
    path = tmp_path / "bad.npz"
    path.write_bytes(bytes(data))
    both_fail(path, "compressed data is corrupt")


def test_npz_with_unsupported_compression(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        member = io.BytesIO()
        np.save(member, np.arange(10))
        archive.writestr("a.npy", member.getvalue())
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # method 9: deflate64
        at = data.find(signature)
        data[at + offset:at + offset + 2] = struct.pack("<H", 9)
    path = tmp_path / "d64.npz"
    path.write_bytes(bytes(data))
    both_fail(path, "compression method")


def test_npy_with_a_broken_header(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.arange(10))
    data = bytearray(buffer.getvalue())
    header_end = 10 + data[8]
    data[10:header_end] = data[10:header_end].replace(b"}", b" ")
    path = tmp_path / "h.npy"
    path.write_bytes(bytes(data))
    both_fail(path, "header is corrupt")  # before: "('EOF in multi-line statement', (2, 0))"


def test_pickled_npy_is_never_unpickled(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    both_fail(path, "pickle")


def test_uint64_values_get_a_true_reason(tmp_path):
    path = tmp_path / "u.npy"
    np.save(path, np.array([0, 2**64 - 1], dtype=np.uint64))
    with pytest.raises(DataError, match="too many to represent") as excinfo:
        load_data(path)
    assert "above the smallest" not in str(excinfo.value)
    np.save(path, np.array([2**64 - 3, 2**64 - 1], dtype=np.uint64))  # huge but a narrow range: fine
    data = load_data(path)
    assert data.values.tolist() == [0, 2] and data.levels == 3


@pytest.mark.parametrize(("text", "word"), [
    ("-1e308\n0.5\n1e308\n", "too wide a range"),  # before: ValueError cannot convert float NaN
    ("1e308\n-1e308\n", "too many to represent"),  # integral floats: a step of 1
    ("0.5\n1.5\n1e306\n", "continuous"),  # before: OverflowError in _divisor_grid
])
def test_huge_numbers(tmp_path, text, word):
    path = tmp_path / "huge.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=word):
        load_data(path)


def test_huge_step_of_two_values_is_a_grid(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("1e306\n0.5\n")
    assert load_data(path).levels == 2


def test_zero_height_image_stack(tmp_path):
    path = tmp_path / "z.npy"
    np.save(path, np.zeros((5, 0, 8), np.uint8))
    both_fail(path, "holds no values")  # before: a plain ValueError from the preview


def test_levels_beyond_the_1d_limit_are_refused(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("\n".join(str(70 + i % 93) for i in range(178)))
    with pytest.raises(DataError, match="more than the 4096"):
        load_data(path, levels=65536)  # before: 4.85 GB in the per-bin evaluation
    assert load_data(path, levels=4096).levels == 4096


# -- encodings ------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_text_encodings_and_unicode_minus(tmp_path, encoding):
    text = "value\n\u22123\n4\n5\n"  # U+2212 MINUS SIGN, as spreadsheets write it
    if encoding.endswith("-bom"):
        codec = encoding[:-4]
        raw = ("\ufeff" + text).encode(codec)
    else:
        raw = text.encode(encoding)
    path = tmp_path / "u.csv"
    path.write_bytes(raw)
    data = load_data(path)
    assert data.to_original(data.values).tolist() == [-3, 4, 5]
    assert preview_file(path).rows[1] == "-3"


def test_undecodable_text(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("x\n1\n2\xe9\n".encode("latin-1"))
    both_fail(path, "UTF-8")


# -- one row of many values -----------------------------------------------------------

def test_one_row_of_many_values_is_1d_data(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(",".join(str(i % 10) for i in range(10**5)) + "\n")
    data = load_data(path)
    assert data.kind == "1d" and data.count == 10**5 and data.levels == 10
    assert any("one row" in n for n in data.notes)
    preview = preview_file(path)
    assert preview.levels == 10 and preview.columns == ()
    assert all(len(row) < 300 for row in preview.rows)  # cut for the text box


def test_preview_of_a_long_row_reads_a_bounded_start(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(",".join(str(i % 10) for i in range(10**6)) + "\n")  # 2 MB
    preview = preview_file(path)
    assert preview.levels == 10 and preview.shape[0] < 10**6
    assert any("loading reads them all" in n for n in preview.notes)


# -- images ---------------------------------------------------------------------------

def test_tiny_file_that_decodes_huge_is_refused_from_its_header(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (13000, 13000)).save(path)  # 164 KB on disk, 169 M pixels decoded
    assert path.stat().st_size < 1_000_000
    for view in (None, "pixels", "images"):
        with pytest.raises(DataError, match="13000x13000"):
            load_data(path, as_=view)
    both_fail(path, "image too large")


def test_folder_images_are_checked_from_their_headers(tmp_path):
    Image.new("RGB", (5000, 4000)).save(tmp_path / "a.png")
    with pytest.raises(DataError, match="5000x4000"):
        load_data(tmp_path)


def test_sixteen_bit_colour_png_keeps_16_bits(tmp_path):
    pixels = np.array([[[0x1234, 0xABCD, 0xFFFF], [0x00FF, 0xFF00, 0x8080]]], dtype=np.uint16)
    path = tmp_path / "c16.png"
    png16(path, pixels, colour_type=2)
    data = load_data(path, as_="images", levels=65536)
    np.testing.assert_array_equal(data.values[0, :, 0, :], pixels[0].T)  # both bytes (Pillow kept the high one)
    reduced = load_data(path, as_="images")
    assert reduced.levels == 256 and not any("8 bits per channel" in n for n in reduced.notes)
    np.testing.assert_array_equal(reduced.values[0, :, 0, :], (pixels[0] >> 8).T)  # the default 8-bit reduction


def test_sixteen_bit_gray_png_keeps_16_bits(tmp_path):
    pixels = np.array([[0, 1, 65535, 300]], dtype=np.uint16)
    path = tmp_path / "g16.png"
    png16(path, pixels, colour_type=0)
    data = load_data(path, as_="images", levels=65536)
    assert data.values[0, 0, 0].tolist() == [0, 1, 65535, 300]


def test_preview_of_a_large_image_is_subsampled(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.indices((1500, 2100)).sum(0).astype(np.uint8)).save(path)
    preview = preview_file(path)
    assert preview.shape == (1, 1, 1500, 2100) and preview.levels == 256
    assert max(preview.images[0].shape) <= 256 and any("1 in 5 pixels" in n for n in preview.notes)
