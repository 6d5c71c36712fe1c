"""Files (and built-ins) to ``DiscreteData``, and the preview the import dialog shows.

Loading is read (``readers``: one reader per format) -> discretize (``quantize``: origin,
step, K) -> view (images, patches or pixels) -> fewer levels if asked.  Every step either
succeeds completely or raises ``DataError``; nothing partial is ever returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vdq_gui.data.builtin import load_builtin
from vdq_gui.data.dataset import DataError, DiscreteData, Kind
from vdq_gui.data.quantize import MAX_LEVELS, discretize, patches_view, pixels_view, requantize
from vdq_gui.data.readers import Raw, detect_format, npz_keys, read_raw

BUILTIN_PREFIX = "builtin:"
IMAGE_VIEWS = ("images", "patches", "pixels")
THUMBNAIL_SIZE = 256  # preview images larger than this are subsampled


def load_data(source: str | Path, *, column: str | int | None = None, key: str | None = None,
              levels: int | None = None, bits: int | None = None, step: float | None = None,
              origin: float | None = None, as_: str | None = None, patch: int = 8,
              name: str | None = None) -> DiscreteData:
    """Load a file or ``"builtin:NAME"`` as discrete data with levels 0..K-1.

    column: table column by name or 0-based index (default: the first numeric column).
    key: array of a .npz archive (required when it holds several).
    levels: K; must cover the values (default: their range, or 256 for 8-bit images).
    step, origin: the grid ``origin + k * step`` for real values (default: inferred).
    bits: afterwards merge levels down to 2**bits (e.g. 8-bit pixels to 3 bits).
    as_: how image data is used: "images" (as they are), "patches" (non-overlapping
        ``patch`` x ``patch`` tiles) or "pixels" (all intensities, in gray, as 1-D data).
        The default is "patches" for a single image file, since one image alone is too
        little to train on, and "images" for image collections.
    name: title for the dataset (default: the file's stem).

    Images with more than MAX_LEVELS levels (16-bit) are reduced to 8 bits unless
    ``bits`` or ``levels`` says otherwise.  Built-ins accept only bits, as_, patch, name.
    Raises DataError, naming the file and the reason, for any bad input.
    """
    if str(source).startswith(BUILTIN_PREFIX):
        if any(option is not None for option in (column, key, levels, step, origin)):
            raise DataError(str(source), "column=, key=, levels=, step= and origin= do not apply to built-ins")
        return load_builtin(str(source)[len(BUILTIN_PREFIX):], load_data, bits=bits, as_=as_, patch=patch,
                            name=name)
    path = Path(source)
    raw = read_raw(path, column=column, key=key)
    data = _dataset(raw, path, levels=levels, step=step, origin=origin, name=name)
    data = _view(data, raw, as_, patch)
    return _limit_levels(data, bits, levels, raw.depth)


def _dataset(raw: Raw, path: Path, *, levels: int | None = None, step: float | None = None,
             origin: float | None = None, name: str | None = None) -> DiscreteData:
    """Discretize what was read, keeping the reader's notes before the quantizer's."""
    quantized = discretize(raw.values, str(path), levels=levels, step=step, origin=origin, depth=raw.depth)
    return DiscreteData(quantized.values, quantized.levels, raw.kind, quantized.origin, quantized.step,
                        name=name or path.stem, source=str(path), notes=tuple(raw.notes) + quantized.notes)


def _view(data: DiscreteData, raw: Raw, as_: str | None, patch: int) -> DiscreteData:
    """Apply the ``as_`` view to image data; 1-D data has no views."""
    choices, default = _views(raw)
    as_ = default if as_ is None else as_
    if as_ is None:
        return data
    if as_ not in choices:
        allowed = ", ".join(repr(c) for c in choices) or "none: the data is 1-D"
        raise DataError(data.source, f"as_={as_!r} is not possible here (allowed: {allowed})")
    if as_ == "pixels":
        return pixels_view(data)
    if as_ == "patches":
        return patches_view(data, patch)
    return data


def _views(raw: Raw) -> tuple[tuple[str, ...], str | None]:
    """The ``as_`` choices for what was read, and the default one."""
    if raw.kind == "1d":
        return (), None
    return IMAGE_VIEWS, "patches" if raw.single_image else "images"


def _limit_levels(data: DiscreteData, bits: int | None, levels: int | None, depth: int | None) -> DiscreteData:
    """Requantize to ``bits`` if asked; keep K within MAX_LEVELS unless levels= asked for more."""
    if bits is not None:
        return requantize(data, bits=bits)
    if data.levels <= MAX_LEVELS or levels is not None:
        return data
    if depth is not None:  # 16-bit images: 8 bits is what screens show anyway
        return requantize(data, bits=8)
    raise DataError(data.source, f"the values need {data.levels} levels, more than {MAX_LEVELS}; "
                                 "pass bits= to merge them, or origin=/step= to bin them")


@dataclass(frozen=True)
class FilePreview:
    """What the import dialog shows before loading.

    format: "csv", "tsv", "txt", "npy", "npz", "idx", "folder" or the image extension.
    shape: of the data as read: (N,) or (N, C, H, W).  rows: the file's first lines
    (tables) or first values (other 1-D data).  images: first images as uint8 (H, W) or
    (H, W, 3) thumbnails.  levels: suggested K, None when the values cannot be
    discretized as they are (the reason is in notes).  step: the inferred step of real
    values.  as_choices / default_as: the valid ``as_`` options for ``load_data``.
    """

    path: str
    format: str
    kind: Kind
    shape: tuple[int, ...]
    columns: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()
    images: tuple[np.ndarray, ...] = ()
    levels: int | None = None
    real_valued: bool = False
    step: float | None = None
    as_choices: tuple[str, ...] = ()
    default_as: str | None = None
    notes: tuple[str, ...] = ()


def preview_file(path: str | Path, *, rows: int = 20, images: int = 16, column: str | int | None = None,
                 key: str | None = None) -> FilePreview:
    """Read a file and summarize it for the import dialog (see FilePreview).

    Unlike ``load_data``, an archive with several arrays is previewed at its first one
    (the others are listed in ``keys``), and values that cannot be discretized leave
    ``levels`` None with the reason in ``notes``.  Unreadable files raise DataError.
    """
    path = Path(path)
    if key is None and detect_format(path) == "npz":
        key = next(iter(npz_keys(path)), None)
    raw = read_raw(path, column=column, key=key)
    real = raw.values.dtype.kind == "f" and not np.array_equal(raw.values, np.rint(raw.values))
    try:
        data = _limit_levels(_dataset(raw, path), None, None, raw.depth)
        levels, step, notes = data.levels, data.step if real else None, list(data.notes)
    except DataError as exc:
        levels, step, notes = None, None, raw.notes + [exc.reason]
    choices, default = _views(raw)
    return FilePreview(str(path), raw.format, raw.kind, tuple(raw.values.shape), raw.columns, raw.keys,
                       _first_rows(path, raw, rows), _thumbnails(raw, images), levels, real, step,
                       choices, default, tuple(notes))


def _first_rows(path: Path, raw: Raw, count: int) -> tuple[str, ...]:
    """The first lines of a table as written, or the first values of other 1-D data."""
    if raw.kind != "1d":
        return ()
    if raw.columns:
        with open(path, encoding="utf-8-sig") as f:
            return tuple(line.rstrip("\r\n") for line, _ in zip(f, range(count)))
    return tuple(f"{v:g}" for v in raw.values[:count])


def _thumbnails(raw: Raw, count: int) -> tuple[np.ndarray, ...]:
    """First images scaled to uint8 0..255, subsampled to at most THUMBNAIL_SIZE pixels a side."""
    if raw.kind != "images":
        return ()
    first = raw.values[:count].astype(np.float64)
    low, high = (0.0, raw.depth - 1.0) if raw.depth else (first.min(), first.max())
    scaled = np.rint((first - low) * 255 / max(high - low, 1e-12)).clip(0, 255).astype(np.uint8)
    stride = -(-max(scaled.shape[2:]) // THUMBNAIL_SIZE)
    scaled = scaled[:, :, ::stride, ::stride].transpose(0, 2, 3, 1)
    return tuple(img[:, :, 0] if img.shape[2] == 1 else img for img in scaled)
