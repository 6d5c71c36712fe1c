"""Built-in datasets and the import preview."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vdq_gui.data import DataError, builtin_names, load_data, preview_file


def test_builtin_names_have_descriptions():
    names = builtin_names()
    assert {"bimodal", "counts", "digits"} <= set(names)
    assert all(isinstance(text, str) and text for text in names.values())


@pytest.mark.parametrize(("name", "shape", "levels"), [
    ("bimodal", (5000,), 32),
    ("counts", (5000,), 64),
    ("digits", (1797, 1, 8, 8), 17),
    ("demo_patches", (256, 1, 8, 8), 256),
])
def test_builtins(name, shape, levels):
    data = load_data(f"builtin:{name}")
    assert data.values.shape == shape and data.levels == levels
    assert data.source == f"builtin:{name}" and data.name == name


def test_builtin_content():
    bimodal = load_data("builtin:bimodal").histogram()
    assert bimodal[9] > 5 * bimodal[16] and bimodal[22] > 5 * bimodal[16]  # two bumps, a valley
    digits = load_data("builtin:digits")
    assert digits.values.max() == 16 and any("CC BY 4.0" in n for n in digits.notes)
    assert load_data("builtin:digits", bits=2).levels == 4


def test_bad_builtins():
    with pytest.raises(DataError, match="choose one of"):
        load_data("builtin:nope")
    with pytest.raises(DataError, match="do not apply"):
        load_data("builtin:digits", column="x")


def test_preview_table(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i / 10}\n" for i in range(30)))
    preview = preview_file(path, rows=5)
    assert preview.format == "csv" and preview.kind == "1d" and preview.columns == ("a", "b")
    assert preview.rows == ("a,b", "0,0.0", "1,0.1", "2,0.2", "3,0.3") and preview.levels == 30
    assert not preview.real_valued and preview.as_choices == ()
    real = preview_file(path, column="b")
    assert real.real_valued and real.step == pytest.approx(0.1)


def test_preview_images_and_archives(tmp_path):
    Image.fromarray(np.zeros((40, 300), np.uint8)).save(tmp_path / "wide.png")
    image = preview_file(tmp_path / "wide.png")
    assert image.kind == "images" and image.shape == (1, 1, 40, 300) and image.default_as == "patches"
    assert image.images[0].dtype == np.uint8 and max(image.images[0].shape) <= 256
    np.savez(tmp_path / "z.npz", x=np.random.default_rng(0).random(50), y=np.arange(3))
    archive = preview_file(tmp_path / "z.npz")
    assert archive.keys == ("x", "y") and archive.levels is None
    assert any("continuous" in n for n in archive.notes)
    assert preview_file(tmp_path / "z.npz", key="y").rows == ("0", "1", "2")
