"""Numbers to levels 0..K-1, and the views and re-binnings of a dataset's levels.

``discretize`` is the one place that decides how a file's numbers become levels:
integers keep their values (shifted up when negative), real values are put on the
smallest common step they share, and every such decision leaves a note for the user.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vdq_gui.data.dataset import DataError, DiscreteData

MAX_LEVELS = 4096  # more levels make the per-level models slow and the histograms unreadable
MAX_SPAN = 2**31  # hard cap on K so that level arithmetic (level * K') never overflows int64
MAX_DECIMALS = 6  # real values are first tried as decimals with up to this many digits
GRID_TOLERANCE = 1e-3  # a value may sit this fraction of a step off its level (float noise)
NOISE_EPS = 16  # float noise allowed on a value, in units of its dtype's epsilon
DECIMAL_NOISE_CAP = 0.05  # noise beyond this fraction of a decimal digit tells digits apart poorly


@dataclass(frozen=True)
class Quantized:
    """Levels made from raw numbers, with what level 0 and one step mean in the file."""

    values: np.ndarray
    levels: int
    origin: float
    step: float
    real_valued: bool
    notes: tuple[str, ...]


def infer_step(values: np.ndarray, *, source: str = "values", max_levels: int = MAX_LEVELS) -> tuple[float, float]:
    """The grid ``origin + k * step`` that real values sit on: (smallest value, common step).

    The step is the greatest common divisor of the distances between values, so values
    stored with one decimal give 0.1 (or 0.2 if they are all even tenths).  Float noise
    such as 0.30000000000000004 is tolerated.  Raises DataError when the values look
    continuous or when the grid would need more than ``max_levels`` levels.
    """
    arr = np.asarray(values)
    _check_finite(arr, source)
    eps = float(np.finfo(arr.dtype if arr.dtype.kind == "f" else np.float64).eps)
    distinct = np.unique(arr.astype(np.float64))
    if distinct.size < 2:
        return float(distinct[0]), 1.0
    if distinct.size > max_levels:
        raise DataError(source, f"{distinct.size} distinct real values, more than the {max_levels} levels allowed: "
                                "they look continuous; pass step= to bin them")
    with np.errstate(over="ignore"):
        span = distinct[-1] - distinct[0]
    if not np.isfinite(span):
        raise DataError(source, f"the values span too wide a range ({distinct[0]:g} to {distinct[-1]:g}) "
                                "to put on one grid of levels")
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: the grids below give up cleanly
        grid = _decimal_grid(distinct, eps) or _divisor_grid(distinct, max_levels)
    if grid is None:
        raise DataError(source, "real values look continuous (no common step found); pass step= to bin them")
    origin, step = grid
    count = int(round((distinct[-1] - origin) / step)) + 1
    if count > max_levels:
        raise DataError(source, f"real values with step {step:g} would need {count} levels, more than "
                                f"{max_levels}; pass a coarser step=")
    return origin, step


def _decimal_grid(distinct: np.ndarray, eps: float) -> tuple[float, float] | None:
    """Exact decimal grid (step 0.1 rather than 0.09999999999999998), if the values have one."""
    for decimals in range(MAX_DECIMALS + 1):
        scaled = distinct * 10.0**decimals
        tolerance = NOISE_EPS * eps * float(np.abs(scaled).max())
        if not tolerance <= DECIMAL_NOISE_CAP:  # also NaN/inf: beyond float range
            return None  # the dtype cannot resolve this many decimals here
        whole = np.rint(scaled)
        if np.abs(scaled - whole).max() <= tolerance:
            ints = whole.astype(np.int64)
            gcd = int(np.gcd.reduce(ints[1:] - ints[0]))
            return float(ints[0] / 10.0**decimals), gcd / 10.0**decimals
    return None


def _divisor_grid(distinct: np.ndarray, max_levels: int) -> tuple[float, float] | None:
    """Non-decimal grids such as k/255: the step divides the smallest gap, so try its divisors.

    Each candidate is refitted by least squares over all values, which keeps float noise
    on the smallest gap from adding up across many levels.
    """
    offsets = distinct - distinct[0]
    smallest = float(np.diff(distinct).min())
    # smallest / span first: smallest * max_levels can overflow for values near 1e308
    for parts in range(1, int(smallest / offsets[-1] * max_levels) + 1):
        ks = np.rint(offsets / (smallest / parts))
        step = float(np.dot(ks, offsets) / np.dot(ks, ks))
        positions = offsets / step
        if np.abs(positions - np.rint(positions)).max() <= GRID_TOLERANCE:
            return float(distinct[0]), step
    return None


def quantize(values: np.ndarray, origin: float, step: float) -> np.ndarray:
    """Level of each value on the grid ``origin + k * step`` (nearest level), as int64.

    The caller has checked that the levels fit (``_check_span``), so nothing overflows.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "biu" and step == 1 and float(origin).is_integer():
        if arr.dtype.kind == "u" and origin >= 0:
            return (arr - arr.dtype.type(origin)).astype(np.int64)  # exact for uint64 beyond 2**63
        return arr.astype(np.int64) - int(origin)  # exact even beyond 2**53
    return np.rint((arr.astype(np.float64) - origin) / step).astype(np.int64)


def _check_span(arr: np.ndarray, source: str, origin: float, step: float) -> None:
    """Refuse values below the origin or too far above it *before* they are cast to int64."""
    if arr.dtype.kind in "biu" and step == 1 and float(origin).is_integer():
        lowest, highest = int(arr.min()), int(arr.max())  # Python ints: exact for any integer dtype
        first, last = lowest - int(origin), highest - int(origin)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            lowest, highest = float(arr.min()), float(arr.max())
            first, last = (lowest - origin) / step, (highest - origin) / step
    if first < -0.5:  # its nearest level would be negative
        raise DataError(source, f"origin {origin:g} is above the smallest value {lowest:g}")
    if not last < MAX_SPAN:  # also inf/NaN
        raise DataError(source, f"the values from {origin:g} to {highest:g} with step {step:g} span more than "
                                f"{MAX_SPAN:,} levels, too many to represent; pass a coarser step= or origin=")


def discretize(values: np.ndarray, source: str, *, levels: int | None = None, step: float | None = None,
               origin: float | None = None, depth: int | None = None, zero_origin: bool = False) -> Quantized:
    """Turn a file's numbers into levels, deciding origin, step and K (see the module doc).

    levels: K wanted by the user; must cover the values.  step/origin: the user's grid,
    overriding the inferred one.  depth: K implied by the format (256 for 8-bit images),
    used when the values are integers, no grid was given and they fit.
    Integers start at their smallest value (level 0 = the minimum) unless ``origin`` is
    given, or ``levels`` is (a stated K counts from 0), or ``zero_origin`` (image pixels,
    where 0 means black and K is the format's).
    """
    arr = np.asarray(values)
    if arr.size == 0:
        raise DataError(source, "the data is empty: no values")
    if levels is not None and levels < 2:
        raise DataError(source, f"levels= must be at least 2, got {levels}")
    _check_finite(arr, source)
    if depth is None and arr.min() == arr.max():
        raise DataError(source, f"only one level: every value is {arr.flat[0]:g}, nothing to model")
    real = arr.dtype.kind == "f" and not np.array_equal(arr, np.rint(arr))
    user_grid = step is not None or origin is not None
    origin, step, notes = _grid(arr, source, real, step, origin, keep_zero=zero_origin or levels is not None or depth is not None)
    _check_span(arr, source, origin, step)
    levels_of = quantize(arr, origin, step)
    # inferred grids fit by construction; only the user's grid can leave values between levels
    if user_grid and np.abs((arr - origin) / step - levels_of).max() > GRID_TOLERANCE:
        notes.append(f"values were rounded to the nearest multiple of {step:g} from {origin:g}")
    count = _level_count(source, int(levels_of.max()) + 1, levels, depth if origin == 0 and step == 1 else None)
    return Quantized(levels_of, count, float(origin), float(step), bool(real), tuple(notes))


def _grid(arr: np.ndarray, source: str, real: bool, step: float | None,
          origin: float | None, keep_zero: bool = False) -> tuple[float, float, list[str]]:
    """Origin and step for ``discretize``, with the notes that explain them."""
    lowest = float(arr.min())
    if step is not None:
        if not (np.isfinite(step) and step > 0):
            raise DataError(source, f"step= must be a positive number, got {step}")
        origin = lowest if origin is None else float(origin)
        return origin, float(step), [f"binned with the given step {step:g} from origin {origin:g}"]
    if origin is not None and not np.isfinite(origin):
        raise DataError(source, f"origin= must be a finite number, got {origin}")
    if real:
        inferred_origin, step = infer_step(arr, source=source)
        origin = inferred_origin if origin is None else float(origin)
        return origin, step, [f"values were real; quantized with step {step:g} from origin {origin:g}"]
    if origin is not None:
        return float(origin), 1.0, [f"integers shifted to start at the given origin {origin:g}"]
    if lowest < 0:
        lowest = int(arr.min()) if arr.dtype.kind in "biu" else lowest
        return lowest, 1.0, [f"negative integers shifted by +{-lowest:g} (level 0 is {lowest:g})"]
    if keep_zero or lowest == 0:
        return 0.0, 1.0, []
    lowest = int(arr.min()) if arr.dtype.kind in "biu" else lowest
    return lowest, 1.0, [f"integers start at level 0 = {lowest:g}, their smallest value (the axes show "
                         "the original values); origin=0 keeps zero"]


def _level_count(source: str, needed: int, levels: int | None, depth: int | None) -> int:
    """K: the user's levels=, else the format's depth, else just enough for the values."""
    if needed > MAX_SPAN:
        raise DataError(source, f"values span {needed} levels, too many to represent; pass step= or origin=")
    if levels is not None:
        if levels < needed:
            raise DataError(source, f"levels={levels} does not cover the values, which need {needed} levels")
        return int(levels)
    if depth is not None and needed <= depth:
        return depth
    return max(needed, 2)  # a constant image (allowed when the format fixes K) still gets K >= 2


def _check_finite(arr: np.ndarray, source: str) -> None:
    """Refuse NaN and infinities, saying where the first one is."""
    if arr.dtype.kind != "f":
        return
    bad = ~np.isfinite(arr)
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), arr.shape)
        what = "NaN" if np.isnan(arr[index]) else "infinite values"
        raise DataError(source, f"contains {what} (first at index {index[0] if arr.ndim == 1 else index})")


def requantize(data: DiscreteData, bits: int | None = None, levels: int | None = None) -> DiscreteData:
    """Merge levels into fewer ones: ``level' = level * K' // K`` with K' = 2**bits or levels.

    Step and origin are updated so that a new level maps to the middle of the old values
    it stands for, keeping the axes in the file's units.
    """
    src = data.source or data.name
    if (bits is None) == (levels is None):
        raise DataError(src, "give exactly one of bits= or levels= to requantize")
    if bits is not None and bits < 1:
        raise DataError(src, f"bits= must be at least 1, got {bits}")
    target = 2**bits if bits is not None else int(levels)  # type: ignore[arg-type]
    if target < 2:
        raise DataError(src, f"levels= must be at least 2, got {target}")
    if target > data.levels:
        raise DataError(src, f"cannot requantize {data.levels} levels up to {target}; only fewer levels are possible")
    if target == data.levels:
        return data
    ratio = data.levels / target
    note = f"requantized from {data.levels} to {target} levels (level' = level * {target} // {data.levels})"
    return replace(data, values=data.values * target // data.levels, levels=target, step=data.step * ratio,
                   origin=data.origin + data.step * (ratio - 1) / 2, notes=data.notes + (note,))


def pixels_view(data: DiscreteData) -> DiscreteData:
    """All pixel intensities of an image dataset pooled into 1-D data (colour to gray first)."""
    gray = data.values
    notes = list(data.notes)
    if gray.shape[1] == 3:
        # ITU-R 601-2 luma, the weights Pillow's "L" mode uses; linear, so levels stay levels.
        weights = np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)
        gray = np.rint((gray * weights).sum(axis=1, keepdims=True)).astype(np.int64)
        notes.append("colour converted to gray luminance (0.299 R + 0.587 G + 0.114 B) for the pixel view")
    notes.append(f"{gray.size} pixel values of {data.count} image(s) pooled as 1-D data")
    return replace(data, values=gray.reshape(-1), kind="1d", notes=tuple(notes))


def patches_view(data: DiscreteData, patch: int) -> DiscreteData:
    """Non-overlapping ``patch`` x ``patch`` tiles of every image, as an image dataset."""
    src = data.source or data.name
    n, c, h, w = data.values.shape
    if patch < 1:
        raise DataError(src, f"patch= must be a positive size, got {patch}")
    if h < patch or w < patch:
        raise DataError(src, f"the image is {w}x{h}, smaller than one {patch}x{patch} patch; "
                             "load it as_='images' or as_='pixels', or pass a smaller patch=")
    rows, cols = h // patch, w // patch
    tiles = data.values[:, :, : rows * patch, : cols * patch].reshape(n, c, rows, patch, cols, patch)
    tiles = tiles.transpose(0, 2, 4, 1, 3, 5).reshape(-1, c, patch, patch)
    note = f"cut into {len(tiles)} patches of {patch}x{patch}"
    if h % patch or w % patch:
        note += f" (the last {w % patch} columns and {h % patch} rows do not fill a patch and were dropped)"
    return replace(data, values=tiles, notes=data.notes + (note,))
