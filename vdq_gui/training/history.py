"""An append-only training log whose views can be handed to other threads without copying.

Rows are only ever appended, never rewritten, so a read-only view of the first n rows
stays valid and unchanged while training goes on (when the buffer grows, old views keep
the old buffer alive).  That is what lets a snapshot carry the whole loss curve at no
cost per frame.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from vdq_gui.training.snapshot import HISTORY_COLUMNS, History

LOG_COLUMNS = HISTORY_COLUMNS + ("seconds",)


class TrainingLog:
    def __init__(self, capacity: int = 1024):
        self._data = np.full((len(LOG_COLUMNS), capacity), np.nan)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, **values: float) -> None:
        """Add one row; columns not given are NaN (not computed at that step)."""
        if self._count == self._data.shape[1]:
            grown = np.full((len(LOG_COLUMNS), 2 * self._data.shape[1]), np.nan)
            grown[:, : self._count] = self._data[:, : self._count]
            self._data = grown  # old views still point at the old buffer, unchanged
        for name, value in values.items():
            self._data[LOG_COLUMNS.index(name), self._count] = value
        self._count += 1

    def column(self, name: str) -> np.ndarray:
        view = self._data[LOG_COLUMNS.index(name), : self._count]
        view.setflags(write=False)
        return view

    def history(self) -> History:
        return History(*(self.column(name) for name in HISTORY_COLUMNS))

    def last(self, name: str) -> float:
        """The most recent finite value of a column (NaN if none)."""
        values = self.column(name)
        finite = values[np.isfinite(values)]
        return float(finite[-1]) if finite.size else float("nan")

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(LOG_COLUMNS)
            for row in self._data[:, : self._count].T:
                writer.writerow([int(row[0])] + ["" if np.isnan(v) else f"{v:.6g}" for v in row[1:]])
