"""Tables of what the window plots, built from snapshots: the loss history, the noise grid
r(u|x) per bin, the density q on its grid and the per-bin gaps; written as CSV and NPZ.

Plain numpy (no Qt): the window's File > Export data... and ``--export DIR`` use it, and so
could any script holding snapshots.  In compare mode every table has one set of columns
per run, named ``<run>:<column>`` (the run names are the dequantizers); one run gets plain
column names.

A table is ``(columns, values)``: a list of names and a 2-D float array, one column each.
NPZ files hold plain float and unicode arrays only, so ``np.load`` reads them with pickle off.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from vdq_gui.training.snapshot import HISTORY_COLUMNS

Table = tuple[list[str], np.ndarray]
TABLE_NAMES = ("metrics", "noise", "density", "gaps")


def _table(columns: list[str], arrays: list[np.ndarray]) -> Table:
    values = np.column_stack([np.asarray(a, dtype=float) for a in arrays]) if arrays else np.zeros((0, 0))
    return list(columns), values


def metrics_table(snapshots, names: list[str]) -> Table:
    """The loss history: one row per logged step (the union of every run's steps; NaN
    where a run logged nothing at that step), bits/dim."""
    steps = np.unique(np.concatenate([np.asarray(s.history.step, dtype=float) for s in snapshots]))
    columns, arrays = ["step"], [steps]
    for name, snapshot in zip(names, snapshots):
        history = snapshot.history
        where = np.searchsorted(steps, np.asarray(history.step, dtype=float))
        for column in HISTORY_COLUMNS[1:]:
            full = np.full(steps.shape, np.nan)
            full[where] = getattr(history, column)
            columns.append(f"{name}:{column}" if len(names) > 1 else column)
            arrays.append(full)
    return _table(columns, arrays)


def _bin_values(snapshot) -> np.ndarray:
    """The data value each bin stands for (origin + level * step)."""
    return snapshot.origin + np.arange(snapshot.levels) * snapshot.value_step


def noise_table(snapshots, names: list[str]) -> Table:
    """r(u|x) on its grid: one row per (bin, u), with the exact posterior q(u|x) where the
    snapshot has one (1-D data)."""
    first = snapshots[0]
    levels, cells = first.noise_density.shape
    bins = np.repeat(np.arange(levels), cells)
    columns = ["bin", "x", "u"]
    arrays = [bins, _bin_values(first)[bins], np.tile(first.u_grid, levels)]
    for name, snapshot in zip(names, snapshots):
        columns.append(f"{name}:r(u|x)" if len(names) > 1 else "r(u|x)")
        arrays.append(_same_shape(snapshot.noise_density, (levels, cells)).ravel())
        if snapshot.posterior_density is not None:
            columns.append(f"{name}:q(u|x)" if len(names) > 1 else "q(u|x)")
            arrays.append(_same_shape(snapshot.posterior_density, (levels, cells)).ravel())
    return _table(columns, arrays)


def density_table(snapshots, names: list[str]) -> Table:
    """1-D data: the density q on its grid y (level units: bin k is [k, k+1)), with the
    value y stands for.  Images have no 1-D density: the table is then the data's
    probability of each pixel value (the only density drawn for them)."""
    first = snapshots[0]
    if first.y_grid is None:
        return _table(["bin", "x", "data P(x)"], [np.arange(first.levels), _bin_values(first), first.data_pmf])
    y = np.asarray(first.y_grid, dtype=float)
    columns = ["y", "x"]
    arrays = [y, first.origin + (y - 0.5) * first.value_step]
    for name, snapshot in zip(names, snapshots):
        columns.append(f"{name}:q(y)" if len(names) > 1 else "q(y)")
        arrays.append(np.interp(y, snapshot.y_grid, snapshot.q_density) if snapshot.y_grid.shape != y.shape
                      else snapshot.q_density)
    return _table(columns, arrays)


def gaps_table(snapshots, names: list[str]) -> Table:
    """One row per bin: the data's P(x) and, per run, the model's P(x), the gap
    KL(r || q(u|x)) in bits (NaN where it is no bound, e.g. ``none``; images have none)
    and how many training examples the bin had."""
    first = snapshots[0]
    levels = first.levels
    columns = ["bin", "x", "data P(x)"]
    arrays = [np.arange(levels), _bin_values(first), first.data_pmf]
    for name, snapshot in zip(names, snapshots):
        for column, value in (("model P(x)", snapshot.model_pmf), ("gap bits", snapshot.gap_per_bin),
                              ("train count", snapshot.train_counts)):
            columns.append(f"{name}:{column}" if len(names) > 1 else column)
            arrays.append(np.full(levels, np.nan) if value is None else _same_shape(value, (levels,)))
    return _table(columns, arrays)


def _same_shape(array, shape) -> np.ndarray:
    """Runs of one session share the data, so their grids agree; if not, say so."""
    array = np.asarray(array, dtype=float)
    if array.shape != shape:
        raise ValueError(f"the runs' grids differ: {array.shape} against {shape}")
    return array


def all_tables(snapshots, names: list[str]) -> dict[str, Table]:
    builders = {"metrics": metrics_table, "noise": noise_table, "density": density_table, "gaps": gaps_table}
    return {key: builders[key](snapshots, list(names)) for key in TABLE_NAMES}


def write_csv(path: str | Path, table: Table) -> Path:
    """A header row of column names, then one row per table row ("nan" where unknown)."""
    columns, values = table
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in values:
            writer.writerow([_number(v) for v in row])
    return path


def _number(value: float) -> str:
    if np.isnan(value):
        return "nan"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))  # shortest text that reads back as the same float


def read_csv(path: str | Path) -> Table:
    """The inverse of write_csv (tests, scripts)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    values = np.array([[float(v) for v in row] for row in rows[1:]], dtype=float)
    return rows[0], values.reshape(len(rows) - 1, len(rows[0]))


def write_npz(path: str | Path, tables: dict[str, Table]) -> Path:
    """Every table as plain arrays: ``<table>`` (rows x columns, float) and
    ``<table>_columns`` (unicode names); readable with ``np.load(path)`` (pickle off)."""
    arrays = {}
    for key, (columns, values) in tables.items():
        arrays[key] = np.asarray(values, dtype=float)
        arrays[f"{key}_columns"] = np.array(columns, dtype=str)
    path = Path(path)
    np.savez(path, **arrays)
    return path


def export_tables(directory: str | Path, snapshots, names: list[str]) -> list[Path]:
    """metrics.csv, noise.csv, density.csv, gaps.csv and tables.npz in ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tables = all_tables(snapshots, names)
    written = [write_csv(directory / f"{key}.csv", table) for key, table in tables.items()]
    written.append(write_npz(directory / "tables.npz", tables))
    return written
