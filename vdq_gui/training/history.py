"""An append-only training log whose views can be handed to other threads without copying.

Rows are only ever appended, never rewritten, so a read-only view of the first n rows
stays valid and unchanged while training goes on (when the buffer grows, old views keep
the old buffer alive; when a divergence cuts the log back, it moves to a new buffer).  That is what lets a snapshot carry the whole loss curve at no
cost per frame.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from vdq_gui.training.snapshot import HISTORY_COLUMNS, History

LOG_COLUMNS = HISTORY_COLUMNS + ("seconds",)
_INDEX = {name: i for i, name in enumerate(LOG_COLUMNS)}


class TrainingLog:
    def __init__(self, capacity: int = 1024):
        self._data = np.full((len(LOG_COLUMNS), capacity), np.nan)
        self._count = 0
        # Rows of one lineage are never rewritten; a cut (truncate) starts a new lineage.
        self._lineage = object()
        # The newest finite value of each column, kept as rows arrive: a snapshot asks for
        # them 30 times a second, and a scan of a long run's log would grow with the run.
        self._last = {name: float("nan") for name in LOG_COLUMNS}

    def __len__(self) -> int:
        return self._count

    def append(self, **values: float) -> None:
        """Add one row; columns not given are NaN (not computed at that step)."""
        # Called every few training steps: plain Python here, numpy calls on scalars
        # cost microseconds each (a 1-D step takes about 1 ms).
        self._reserve(self._count + 1)
        for name, value in values.items():
            value = float(value)
            self._data[_INDEX[name], self._count] = value
            if math.isfinite(value):
                self._last[name] = value
        self._count += 1

    def extend(self, rows: np.ndarray) -> None:
        """Append a block of rows, shaped (columns, n) like ``rows_from`` returns."""
        rows = np.asarray(rows, dtype=float)
        if rows.ndim != 2 or rows.shape[0] != len(LOG_COLUMNS):
            raise ValueError(f"log rows must be shaped ({len(LOG_COLUMNS)}, n), not {rows.shape}")
        count = rows.shape[1]
        self._reserve(self._count + count)
        self._data[:, self._count:self._count + count] = rows
        self._count += count
        for name, column in zip(LOG_COLUMNS, rows):
            finite = np.flatnonzero(np.isfinite(column))
            if finite.size:
                self._last[name] = float(column[finite[-1]])

    def truncate(self, length: int) -> None:
        """Keep the first ``length`` rows (a divergence went back to an earlier state).
        The rows move to a new buffer, so views handed out before stay unchanged."""
        length = max(0, min(int(length), self._count))
        kept = np.full_like(self._data, np.nan)
        kept[:, :length] = self._data[:, :length]
        self._data, self._count = kept, length
        self._lineage = object()  # rows past the cut will differ from what views hold
        for name, column in zip(LOG_COLUMNS, kept[:, :length]):
            finite = np.flatnonzero(np.isfinite(column))
            self._last[name] = float(column[finite[-1]]) if finite.size else float("nan")

    def rows_from(self, start: int) -> np.ndarray:
        """A copy of the rows from ``start`` on, shaped (columns, n)."""
        return self._data[:, start:self._count].copy()

    def _reserve(self, rows: int) -> None:
        if rows <= self._data.shape[1]:
            return
        grown = np.full((len(LOG_COLUMNS), max(rows, 2 * self._data.shape[1])), np.nan)
        grown[:, : self._count] = self._data[:, : self._count]
        self._data = grown  # old views still point at the old buffer, unchanged

    def column(self, name: str) -> np.ndarray:
        view = self._data[_INDEX[name], : self._count]
        view.setflags(write=False)
        return view

    def history(self) -> History:
        return History(*(self.column(name) for name in HISTORY_COLUMNS), lineage=self._lineage)

    def last(self, name: str) -> float:
        """The most recent finite value of a column (NaN if none)."""
        return self._last[name]

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(LOG_COLUMNS)
            for row in self._data[:, : self._count].T:
                writer.writerow([int(row[0])] + ["" if np.isnan(v) else f"{v:.6g}" for v in row[1:]])
