"""Regenerate the built-in datasets in this folder (run once; the outputs are shipped).

    python resources/make_builtin.py [path/to/scikit_learn-*.whl]

bimodal.npy, counts.npy and demo_image.png are synthetic, drawn with a fixed seed, so
running this again reproduces the same values.  digits.npz is the UCI optdigits copy
that scikit-learn packages as sklearn/datasets/data/digits.csv.gz: it is read straight
out of a scikit-learn wheel (``pip download --no-deps scikit-learn``), so the app itself
never needs scikit-learn.  See README.md for the licence.
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
SEED = 20240607
DRAWS = 5000


def bimodal(rng: np.random.Generator) -> np.ndarray:
    """Two rounded Gaussians on levels 0..31: a narrow mode (60 %, around 9, sd 1.2: its
    density changes a lot within one bin, which uniform noise cannot follow) and a wide
    one (40 %, around 22, sd 3)."""
    wide = rng.random(DRAWS) < 0.4
    draws = np.where(wide, rng.normal(22.0, 3.0, DRAWS), rng.normal(9.0, 1.2, DRAWS))
    return np.clip(np.rint(draws), 0, 31).astype(np.uint8)


def counts(rng: np.random.Generator) -> np.ndarray:
    """Negative binomial counts (mean about 15, long right tail), clipped to 0..63."""
    return np.clip(rng.negative_binomial(2, 0.12, DRAWS), 0, 63).astype(np.uint8)


def demo_image() -> Image.Image:
    """A 128x128 gray picture with smooth and sharp parts: rings over a diagonal ramp."""
    y, x = np.mgrid[0:128, 0:128].astype(np.float64)
    ramp = (x + y) / 254.0
    rings = 0.5 + 0.5 * np.cos(np.hypot(x - 80, y - 48) / 5.0)
    disc = np.hypot(x - 36, y - 92) < 20
    picture = np.where(disc, 0.9, 0.55 * ramp + 0.45 * rings)
    return Image.fromarray(np.rint(picture * 255).astype(np.uint8), mode="L")


def digits(wheel: Path) -> np.ndarray:
    """The 1,797 optdigits images (N, 8, 8), values 0..16; the label column is dropped."""
    with zipfile.ZipFile(wheel) as archive:
        text = gzip.decompress(archive.read("sklearn/datasets/data/digits.csv.gz")).decode()
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    return table[:, :-1].reshape(-1, 8, 8).astype(np.uint8)


def main() -> None:
    rng = np.random.default_rng(SEED)
    np.save(HERE / "bimodal.npy", bimodal(rng))
    np.save(HERE / "counts.npy", counts(rng))
    demo_image().save(HERE / "demo_image.png", optimize=True)
    wheels = [Path(a) for a in sys.argv[1:]] or sorted(Path("/tmp/skl").glob("scikit_learn-*.whl"))
    if wheels:
        np.savez_compressed(HERE / "digits.npz", digits=digits(wheels[0]))
    else:
        print("no scikit-learn wheel given: digits.npz left as it is")


if __name__ == "__main__":
    main()
