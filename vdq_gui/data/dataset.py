"""What a dataset is: integer values in {0, ..., K-1} with a known number of levels K.

The models only ever see levels 0..K-1.  ``origin`` and ``step`` remember what those
levels meant in the file (level k stands for ``origin + k * step``), so the plots can
label their axes with the user's own values: shifted negative integers, or real values
that were stored with one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Kind = Literal["1d", "images"]


class DataError(ValueError):
    """Bad input.  The message always names the file (or built-in) and the reason."""

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


@dataclass(frozen=True)
class DiscreteData:
    """An immutable discrete dataset.

    values: int64 array of levels in [0, levels).  Shape (N,) for 1-D data and
        (N, C, H, W) for images (channels first, as torch wants them).
    levels: K, the number of quantization levels (bins).
    kind: "1d" or "images".
    origin, step: level k stands for the original value ``origin + k * step``.
    name: short name for titles; source: the file path or ``builtin:NAME``.
    notes: human-readable remarks made while loading (e.g. "real values quantized
        with step 0.1"), shown to the user so that nothing happens silently.
    """

    values: np.ndarray
    levels: int
    kind: Kind
    origin: float = 0.0
    step: float = 1.0
    name: str = ""
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        values = np.ascontiguousarray(self.values, dtype=np.int64)
        values.setflags(write=False)
        object.__setattr__(self, "values", values)
        src = self.source or self.name or "<data>"
        if self.kind not in ("1d", "images"):
            raise DataError(src, f"unknown kind {self.kind!r}")
        if self.kind == "1d" and values.ndim != 1:
            raise DataError(src, f"1-D data must have shape (N,), got {values.shape}")
        if self.kind == "images" and values.ndim != 4:
            raise DataError(src, f"image data must have shape (N, C, H, W), got {values.shape}")
        if values.shape[0] == 0:
            raise DataError(src, "the dataset is empty")
        if int(self.levels) < 2:
            raise DataError(src, f"need at least 2 levels, got {self.levels}")
        object.__setattr__(self, "levels", int(self.levels))
        lo, hi = int(values.min()), int(values.max())
        if lo < 0 or hi >= self.levels:
            raise DataError(src, f"values span [{lo}, {hi}], outside the levels 0..{self.levels - 1}")

    # -- shape facts --------------------------------------------------------------
    @property
    def count(self) -> int:
        """Number of examples N."""
        return int(self.values.shape[0])

    @property
    def dims(self) -> int:
        """Dimensions per example D (1 for 1-D data, C*H*W for images)."""
        return int(np.prod(self.values.shape[1:], dtype=np.int64)) if self.values.ndim > 1 else 1

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        """(C, H, W) for image data, None for 1-D data."""
        return tuple(self.values.shape[1:]) if self.kind == "images" else None  # type: ignore[return-value]

    # -- axes ---------------------------------------------------------------------
    def to_original(self, level: np.ndarray | float) -> np.ndarray | float:
        """Map a level (or a continuous position on [0, K]) back to the file's units."""
        if np.ndim(level) == 0:
            return self.origin + float(level) * self.step
        return self.origin + np.asarray(level, dtype=np.float64) * self.step

    def histogram(self) -> np.ndarray:
        """Empirical probability mass of each level (length K, sums to 1)."""
        counts = np.bincount(self.values.reshape(-1), minlength=self.levels).astype(np.float64)
        return counts / counts.sum()

    def describe(self) -> str:
        """One line for status bars and logs."""
        shape = "x".join(str(s) for s in self.values.shape[1:]) if self.kind == "images" else ""
        what = f"{self.count} images {shape}" if self.kind == "images" else f"{self.count} values"
        return f"{self.name or self.source}: {what}, K={self.levels} levels"
