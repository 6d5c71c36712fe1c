"""Image files, folders of images, and the images / patches / pixels views."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vdq_gui.data import load_data

RNG = np.random.default_rng(1)
GRAY = RNG.integers(0, 256, (20, 24), dtype=np.uint8)  # H=20, W=24
RGB = RNG.integers(0, 256, (20, 24, 3), dtype=np.uint8)


def save(tmp_path, name, image, **params):
    path = tmp_path / name
    image.save(path, **params)
    return path


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif", ".gif"])
def test_lossless_gray_formats(tmp_path, suffix):
    data = load_data(save(tmp_path, f"g{suffix}", Image.fromarray(GRAY)), as_="images")
    assert data.values.shape == (1, 1, 20, 24) and data.levels == 256
    np.testing.assert_array_equal(data.values[0, 0], GRAY)


def test_png_16_bit_gray_is_reduced_to_8_bits(tmp_path):
    wide = (GRAY.astype(np.uint16) * 257)
    path = save(tmp_path, "g16.png", Image.fromarray(wide))
    data = load_data(path, as_="images")
    assert data.levels == 256
    np.testing.assert_array_equal(data.values[0, 0], GRAY)
    assert any("65536 to 256" in n for n in data.notes)
    assert load_data(path, as_="images", bits=12).levels == 4096


def test_rgb_and_jpeg(tmp_path):
    data = load_data(save(tmp_path, "c.png", Image.fromarray(RGB)), as_="images")
    np.testing.assert_array_equal(data.values[0].transpose(1, 2, 0), RGB)
    jpeg = load_data(save(tmp_path, "c.jpg", Image.fromarray(RGB), quality=95), as_="images")
    assert jpeg.values.shape == (1, 3, 20, 24) and jpeg.levels == 256


def test_rgba_drops_alpha(tmp_path):
    rgba = np.dstack([RGB, np.full((20, 24), 128, np.uint8)])
    data = load_data(save(tmp_path, "a.png", Image.fromarray(rgba)), as_="images")
    assert data.values.shape == (1, 3, 20, 24)
    assert any("alpha" in n for n in data.notes)


def test_palette_images(tmp_path):
    colour = Image.fromarray(RGB).quantize(colors=16)
    data = load_data(save(tmp_path, "p.png", colour), as_="images")
    np.testing.assert_array_equal(data.values[0].transpose(1, 2, 0), np.array(colour.convert("RGB")))
    gray = Image.fromarray(GRAY // 16 * 16).convert("P")  # gray palette: stays one channel
    assert load_data(save(tmp_path, "gp.png", gray), as_="images").values.shape == (1, 1, 20, 24)


def test_single_image_views(tmp_path, fails):
    path = save(tmp_path, "v.png", Image.fromarray(RGB))
    patches = load_data(path)  # default: 8x8 patches
    assert patches.values.shape == (2 * 3, 3, 8, 8)
    np.testing.assert_array_equal(patches.values[1].transpose(1, 2, 0), RGB[0:8, 8:16])
    assert any("dropped" in n for n in patches.notes)  # 20 rows: the last 4 do not fill a patch
    assert load_data(path, as_="patches", patch=4).values.shape == (5 * 6, 3, 4, 4)
    pixels = load_data(path, as_="pixels")
    expected = np.rint(RGB @ np.array([0.299, 0.587, 0.114])).reshape(-1)
    assert pixels.kind == "1d" and pixels.levels == 256
    np.testing.assert_array_equal(pixels.values, expected)
    assert any("gray" in n for n in pixels.notes)
    fails(path, "smaller than one 32x32 patch", patch=32)
    fails(path, "as_='frames'", as_="frames")


def test_folder_of_images(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in (2, 0, 1):
        save(folder, f"{i}.png", Image.fromarray(GRAY + i))
    (folder / "readme.txt").write_text("not an image")
    data = load_data(folder)
    assert data.values.shape == (3, 1, 20, 24) and data.name == "imgs"
    assert [int(v) for v in data.values[:, 0, 0, 0]] == [(int(GRAY[0, 0]) + i) % 256 for i in range(3)]
    assert any("readme.txt" in n for n in data.notes)


def test_bad_images(tmp_path, fails):
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 10)
    fails(tmp_path / "corrupt.png", "corrupt")
    good = save(tmp_path, "cut.png", Image.fromarray(RGB)).read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    fails(tmp_path / "cut.png", "corrupt")
    (tmp_path / "data.xyz").write_text("1\n2\n")
    fails(tmp_path / "data.xyz", "unknown file type")
    fails(tmp_path / "missing.png", "not found")
    fails(save(tmp_path, "tiny.png", Image.fromarray(GRAY[:4, :4])), "smaller")


def test_folder_with_mixed_sizes(tmp_path, fails):
    folder = tmp_path / "mixed"
    folder.mkdir()
    save(folder, "a.png", Image.fromarray(GRAY))
    save(folder, "b.png", Image.fromarray(GRAY[:10]))
    error = fails(folder, "must match")
    assert "b.png" in str(error)
    (folder / "b.png").unlink()
    save(folder, "c.png", Image.fromarray(RGB))
    assert "c.png" in str(fails(folder, "channel"))
    empty = tmp_path / "empty"
    empty.mkdir()
    fails(empty, "no image files")
