"""Three small 1-D files of the shapes issue 11 tried "as a new user would", made reproducibly.

    python -m benchmarks.small_files [DIR]     # (re)writes them; default benchmarks/data/

- ``measurements.csv``: 150 lengths stored at 0.1 cm, three groups (like iris petal
  lengths): values 1.0-6.9, about 60 levels of which many are empty or hold one point.
- ``lab_values.csv``: 178 integer lab values between 70 and 162, right-skewed (like the
  magnesium column of the UCI wine data): a narrow high range, most bins nearly empty.
- ``picture.png``: a 64x64 gray picture (gradients, discs, a little texture); read with
  ``--as pixels --bits 3`` its 4,096 pixels are 1-D data on 8 levels.

The files are small and shipped; ``tests/test_benchmarks_dequantization.py`` checks
that this code still makes exactly them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
# name -> (file, load_data options): what the benchmark trains on.
SMALL_FILES = {
    "measurements": ("measurements.csv", {}),
    "lab_values": ("lab_values.csv", {}),
    "pixels3": ("picture.png", {"as_": "pixels", "bits": 3}),
}


def measurements(rng: np.random.Generator) -> np.ndarray:
    groups = [rng.normal(1.46, 0.17, 50), rng.normal(4.26, 0.47, 50), rng.normal(5.55, 0.55, 50)]
    values = np.concatenate(groups).clip(1.0, 6.9)
    values[:2] = (1.0, 6.9)  # the range's ends, as in the data this imitates
    return np.round(values, 1)


def lab_values(rng: np.random.Generator) -> np.ndarray:
    values = np.round(np.exp(rng.normal(np.log(98.0), 0.13, 178))).clip(70, 162).astype(int)
    values[:2] = (70, 162)
    return values


def picture(rng: np.random.Generator, side: int = 64) -> np.ndarray:
    y, x = np.mgrid[0:side, 0:side] / (side - 1)
    image = 0.25 + 0.5 * x * (1 - 0.4 * y)
    for cx, cy, radius, level in ((0.3, 0.35, 0.18, 0.9), (0.7, 0.65, 0.22, 0.1), (0.75, 0.2, 0.1, 0.65)):
        image = np.where((x - cx) ** 2 + (y - cy) ** 2 < radius**2, level, image)
    image = image + rng.normal(0.0, 0.04, image.shape)
    return np.round(image.clip(0, 1) * 255).astype(np.uint8)


def write_files(directory: Path = DATA_DIR) -> dict[str, Path]:
    """Write the three files (always the same bytes) and return their paths by name."""
    from PIL import Image

    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    paths = {name: directory / file for name, (file, _) in SMALL_FILES.items()}
    paths["measurements"].write_text("length_cm\n" + "".join(f"{v:.1f}\n" for v in measurements(rng)))
    paths["lab_values"].write_text("value\n" + "".join(f"{v}\n" for v in lab_values(rng)))
    Image.fromarray(picture(rng), mode="L").save(paths["pixels3"], optimize=False)
    return paths


if __name__ == "__main__":
    for path in write_files(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR).values():
        print(path)
