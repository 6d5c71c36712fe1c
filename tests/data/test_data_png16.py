"""16-bit colour PNGs (vdq_gui/data/png16.py): all 16 bits of RGB and RGBA, like 16-bit gray,
and corrupt or hostile ones refused with a DataError naming the file and the reason."""

from __future__ import annotations

import struct
import tracemalloc
import zlib

import numpy as np
import png
import pytest
from PIL import Image

from vdq_gui.data import load_data, preview_file
from vdq_gui.data import readers
from vdq_gui.data.readers import read_raw

RNG = np.random.default_rng(16)
RGBA = RNG.integers(0, 2**16, (20, 24, 4), dtype=np.uint16)  # H=20, W=24; both bytes of each value vary
RGBA[0, 0] = [0, 0xFFFF, 0x00FF, 0]  # the extremes, and a value whose high byte is 0
CHW = RGBA[..., :3].transpose(2, 0, 1)


def write_png(path, pixels: np.ndarray, *, interlace: bool = False) -> None:
    """A 16-bit RGB (3 channels) or RGBA (4) PNG, written by pypng."""
    height, width, planes = pixels.shape
    writer = png.Writer(width, height, greyscale=False, alpha=planes == 4, bitdepth=16, interlace=interlace)
    with open(path, "wb") as f:
        writer.write(f, pixels.reshape(height, width * planes))


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, idat: bytes, colour_type: int = 2) -> bytes:
    """A 16-bit colour PNG around the given IDAT payload (compressed image data)."""
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("planes", [3, 4])
@pytest.mark.parametrize("interlace", [False, True])
def test_exact_16_bit_values_of_rgb_and_rgba(tmp_path, planes, interlace):
    path = tmp_path / "c16.png"
    write_png(path, RGBA[..., :planes], interlace=interlace)
    raw = read_raw(path)
    assert raw.depth == 2**16 and raw.values.dtype == np.uint16
    np.testing.assert_array_equal(raw.values[0], CHW)
    data = load_data(path, as_="images", levels=2**16)
    assert data.levels == 2**16
    np.testing.assert_array_equal(data.values[0], CHW)
    alpha_notes = [n for n in data.notes if "alpha" in n]
    assert alpha_notes == (["RGBA image: the alpha channel was dropped"] if planes == 4 else [])
    assert not any("8 bits per channel" in n for n in data.notes)  # the old note is gone


def test_reduced_to_8_bits_by_default_like_16_bit_gray(tmp_path):
    path = tmp_path / "c16.png"
    write_png(path, RGBA[..., :3])
    data = load_data(path, as_="images")
    assert data.levels == 256
    np.testing.assert_array_equal(data.values[0], CHW >> 8)  # level * 256 // 65536
    assert any("65536 to 256" in n for n in data.notes)
    twelve = load_data(path, as_="images", bits=12)
    assert twelve.levels == 4096
    np.testing.assert_array_equal(twelve.values[0], CHW >> 4)


def test_the_preview_keeps_only_the_pixels_it_shows(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "PREVIEW_SIDE", 8)  # 24 pixels wide: every 3rd row and column
    for interlace in (False, True):
        path = tmp_path / f"c16-{interlace}.png"
        write_png(path, RGBA[..., :3], interlace=interlace)
        raw = read_raw(path, sample=True)
        assert raw.shape == (1, 3, 20, 24) and raw.depth == 2**16
        np.testing.assert_array_equal(raw.values[0], CHW[:, ::3, ::3])
    preview = preview_file(path)
    assert preview.shape == (1, 3, 20, 24) and preview.levels == 256
    assert any("1 in 3 pixels" in n for n in preview.notes)


def test_folder_of_16_bit_colour_pngs(tmp_path):
    for i in range(3):
        write_png(tmp_path / f"{i}.png", np.roll(RGBA, i, axis=0))
    data = load_data(tmp_path, levels=2**16)
    assert data.values.shape == (3, 3, 20, 24) and data.levels == 2**16
    np.testing.assert_array_equal(data.values[2], np.roll(RGBA, 2, axis=0)[..., :3].transpose(2, 0, 1))
    assert any("alpha channel was dropped" in n for n in data.notes)
    assert load_data(tmp_path).levels == 256


def test_a_folder_mixing_8_and_16_bit_colour_is_refused(tmp_path, fails):
    write_png(tmp_path / "a.png", RGBA[..., :3])
    Image.fromarray((RGBA[..., :3] >> 8).astype(np.uint8)).save(tmp_path / "b.png")  # 8-bit RGB
    fails(tmp_path, "all images in a folder must match")


def test_truncated_png_is_refused(tmp_path, fails):
    path = tmp_path / "c16.png"
    write_png(path, RGBA[..., :3])
    whole = path.read_bytes()
    for cut in (len(whole) // 2, len(whole) - 20, 60):
        path.write_bytes(whole[:cut])
        fails(path, "truncated")
        with pytest.raises(readers.DataError, match="truncated"):
            preview_file(path)


@pytest.mark.parametrize("damage, reason", [
    ("crc", "checksum error in idat"),
    ("zlib", "compressed data is corrupt"),
    ("filter", "invalid png filter type"),
    ("short", "truncated: the image data ends before row 11 of 20"),
])
def test_corrupt_png_is_refused_with_the_reason(tmp_path, fails, damage, reason):
    rows = b"".join(b"\0" + RGBA[y, :, :3].astype(">u2").tobytes() for y in range(20))
    idat = zlib.compress(rows)
    if damage == "zlib":
        idat = idat[:2] + b"\xff" * 8 + idat[10:]
    elif damage == "filter":
        idat = zlib.compress(b"\x07" + rows[1:])
    elif damage == "short":
        idat = zlib.compress(rows[: 10 * len(rows) // 20])
    data = png_bytes(24, 20, idat)
    if damage == "crc":
        data = data.replace(idat[-8:], bytes(8))
    path = tmp_path / "c16.png"
    path.write_bytes(data)
    fails(path, reason)


def test_a_zlib_bomb_is_not_inflated_past_the_image(tmp_path):
    """100 MB of zeros in one IDAT chunk for a 16x16 image: pypng's own reader would inflate
    it in one piece; only the image's 16 rows (and one bounded piece) are inflated."""
    path = tmp_path / "bomb.png"
    squeeze = zlib.compressobj(9)
    idat = b"".join(squeeze.compress(bytes(2**20)) for _ in range(100)) + squeeze.flush()
    path.write_bytes(png_bytes(16, 16, idat))
    tracemalloc.start()
    try:
        data = load_data(path, as_="images", levels=2**16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data.values.shape == (1, 3, 16, 16) and not data.values.any()
    assert peak < 8 * 2**20, peak


def test_size_is_checked_before_any_image_data_is_read(tmp_path, fails):
    path = tmp_path / "huge.png"
    path.write_bytes(png_bytes(5000, 4000, b"not even zlib"))
    fails(path, "5000x4000")
