"""One reader per file format.  Each turns a file into a ``Raw``: the numbers as stored.

The format is chosen by the extension and then checked against the content, so a
renamed or corrupt file fails with a message naming it instead of a numpy/Pillow trace.
Sizes are checked from headers before the data is read, so a huge file is refused
instead of exhausting memory.
"""

from __future__ import annotations

import gzip
import re
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from vdq_gui.data.dataset import DataError, Kind

MAX_VALUES = 2**28  # 2 GiB once stored as int64 levels
MAX_BYTES = 2**30  # text files and uncompressed .npz members

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif")
IDX_NAME = re.compile(r"\.idx(\.gz)?$|idx\d", re.IGNORECASE)  # train-images-idx3-ubyte[.gz], x.idx
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
DELIMITERS = ("\t", ";", ",", None)  # None: runs of whitespace; tried in this order
HEAD_LINES = 50  # lines used to sniff the delimiter, header and numeric columns

# What the low-level libraries raise on bad files; Pillow may also raise SyntaxError,
# struct.error and friends on corrupt headers, so images catch Exception (see _decode_image).
LOW_LEVEL = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, struct.error, UnicodeError)


@dataclass
class Raw:
    """Numbers as read: (N,) for 1-D data, (N, C, H, W) for images, plus what the file said."""

    values: np.ndarray
    kind: Kind
    format: str
    depth: int | None = None  # levels implied by the format (256 for 8-bit images)
    single_image: bool = False
    columns: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


@contextmanager
def _wrapped(path: Path, what: str) -> Iterator[None]:
    """Re-raise low-level errors as DataError naming the file; our own errors pass through."""
    try:
        yield
    except DataError:
        raise
    except LOW_LEVEL as exc:
        raise DataError(str(path), f"{what}: {exc}") from exc


def detect_format(path: Path) -> str:
    """"text", "npy", "npz", "image", "idx" or "folder", from the name; missing files fail here."""
    if not path.exists():
        raise DataError(str(path), "file not found")
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in (".npy", ".npz"):
        return suffix[1:]
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if IDX_NAME.search(path.name):
        return "idx"
    raise DataError(str(path), f"unknown file type {suffix or '(no extension)'!r}; supported: "
                               f"{', '.join(TEXT_SUFFIXES + ('.npy', '.npz') + IMAGE_SUFFIXES)}, "
                               "MNIST IDX files (…-idx3-ubyte[.gz]) and folders of images")


def read_raw(path: Path, *, column: str | int | None = None, key: str | None = None) -> Raw:
    """Read any supported file; ``column`` only applies to tables and ``key`` to .npz."""
    fmt = detect_format(path)
    if column is not None and fmt != "text":
        raise DataError(str(path), "column= only applies to .csv/.tsv/.txt tables")
    if key is not None and fmt != "npz":
        raise DataError(str(path), "key= only applies to .npz archives")
    if fmt == "text":
        return read_text(path, column)
    if fmt == "npz":
        return read_npz(path, key)
    return {"npy": read_npy, "image": read_image, "idx": read_idx, "folder": read_folder}[fmt](path)


def _check_count(path: Path, count: int) -> None:
    if count > MAX_VALUES:
        raise DataError(str(path), f"too large to load: {count:,} values (the limit is {MAX_VALUES:,})")


def _check_bytes(path: Path, size: int) -> None:
    if size > MAX_BYTES:
        raise DataError(str(path), f"too large to load: {size / 2**30:.1f} GiB "
                                   f"(the limit is {MAX_BYTES / 2**30:.0f} GiB)")


# -- tables -----------------------------------------------------------------------

def read_text(path: Path, column: str | int | None) -> Raw:
    """One numeric column of a csv/tsv/txt table; the delimiter and header are sniffed."""
    _check_bytes(path, path.stat().st_size)
    with _wrapped(path, "not a readable UTF-8 text file"):
        head, header_line = _head(path)
    if not head:
        raise DataError(str(path), "the file is empty: no numbers")
    delimiter = _sniff(path, head)
    rows = [_split(line, delimiter) for line in head]
    header = rows[0] if _is_header(rows) else None
    data_rows = rows[1:] if header else rows
    if not data_rows:
        raise DataError(str(path), "the file has a header but no data rows")
    names = tuple(header or (str(i) for i in range(len(rows[0]))))
    index, notes = _pick_column(path, names, data_rows, column)
    try:
        values = np.loadtxt(path, delimiter=delimiter, skiprows=header_line + 1 if header else 0, usecols=index,
                            comments="#", ndmin=1, encoding="utf-8-sig", quotechar='"')
    except ValueError as exc:
        # numpy counts data rows from 0; say "data row 61" the way a person counts them
        reason = re.sub(r"at row (\d+)", lambda m: f"in data row {int(m[1]) + 1}", str(exc))
        raise DataError(str(path), f"cannot read column {names[index]!r} as numbers: {reason}") from exc
    return Raw(values, "1d", {".tsv": "tsv", ".txt": "txt"}.get(path.suffix.lower(), "csv"), columns=names,
               notes=notes)


def _head(path: Path) -> tuple[list[str], int]:
    """First non-blank, non-comment lines, and the file line number of the first one."""
    head: list[str] = []
    first = 0
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f):
            if "\0" in line:
                raise DataError(str(path), "not a text file (it contains NUL bytes)")
            if line.strip() and not line.lstrip().startswith("#"):
                if not head:
                    first = number
                head.append(line.strip())
                if len(head) == HEAD_LINES:
                    break
    return head, first


def _split(line: str, delimiter: str | None) -> list[str]:
    return [part.strip().strip('"') for part in line.split(delimiter)]


def _sniff(path: Path, head: list[str]) -> str | None:
    """The first delimiter that splits every head line into the same number of fields,
    preferring one that gives several columns (so a header "my value" stays one name)."""
    consistent = [d for d in DELIMITERS if len({len(_split(line, d)) for line in head}) == 1]
    if not consistent:
        raise DataError(str(path), "the rows have different numbers of fields for every delimiter tried "
                                   "(comma, tab, semicolon, whitespace)")
    several = [d for d in consistent if len(_split(head[0], d)) > 1]
    return (several or consistent)[0]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_header(rows: list[list[str]]) -> bool:
    """The first row names columns if it is all text, or text where the second row has numbers."""
    first = [_is_number(x) for x in rows[0]]
    if len(rows) == 1:
        return not any(first)
    second = [_is_number(x) for x in rows[1]]
    return not any(first) or any(s and not f for f, s in zip(first, second))


def _pick_column(path: Path, names: tuple[str, ...], data_rows: list[list[str]],
                 column: str | int | None) -> tuple[int, list[str]]:
    """Index of the wanted column: by name or index, else the first numeric one (with a note)."""
    if column is not None:
        if isinstance(column, str) and column in names:
            return names.index(column), []
        if str(column).lstrip("-").isdigit() and -len(names) <= int(column) < len(names):
            return int(column) % len(names), []
        raise DataError(str(path), f"no column {column!r}; the columns are: {', '.join(names)}")
    numeric = [i for i in range(len(names)) if all(_is_number(row[i]) for row in data_rows)]
    if not numeric:
        raise DataError(str(path), f"no numeric column (columns: {', '.join(names)})")
    notes = [] if len(names) == 1 else [
        f"used column {names[numeric[0]]!r}, the first numeric one of {len(names)}; choose another with column="]
    return numeric[0], notes


# -- numpy ------------------------------------------------------------------------

def read_npy(path: Path) -> Raw:
    """A .npy array; memory-mapped first so its size is checked before it is read."""
    _check_magic(path, b"\x93NUMPY", "a NumPy .npy file")
    with _wrapped(path, "unreadable .npy file"):
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        _check_count(path, mapped.size)
        return _from_array(path, np.array(mapped), "npy")


def npz_keys(path: Path) -> tuple[str, ...]:
    """Names of the arrays in a .npz archive."""
    _check_magic(path, b"PK", "a NumPy .npz (zip) archive")
    # np.load is given an open file: given a path, it leaks the handle when the zip is bad
    with _wrapped(path, "unreadable .npz archive"), open(path, "rb") as f, np.load(f, allow_pickle=False) as archive:
        return tuple(archive.files)


def read_npz(path: Path, key: str | None) -> Raw:
    """The array ``key`` of a .npz archive, or its only array."""
    keys = npz_keys(path)
    if key is None and len(keys) != 1:
        raise DataError(str(path), f"holds {len(keys)} arrays; choose one with key= ({', '.join(keys) or 'none'})")
    key = keys[0] if key is None else key
    if key not in keys:
        raise DataError(str(path), f"no array {key!r}; the arrays are: {', '.join(keys)}")
    with _wrapped(path, f"unreadable array {key!r}"), open(path, "rb") as f, np.load(f, allow_pickle=False) as archive:
        _check_bytes(path, archive.zip.getinfo(f"{key}.npy").file_size)
        raw = _from_array(path, archive[key], "npz")
    raw.keys = keys
    return raw


def _check_magic(path: Path, magic: bytes, what: str) -> None:
    with open(path, "rb") as f:
        if f.read(len(magic)) != magic:
            raise DataError(str(path), f"not {what} (its content does not match the extension)")


def _from_array(path: Path, arr: np.ndarray | bytes, fmt: str) -> Raw:
    """(N,) is 1-D data; (N,H,W), (N,H,W,C) and (N,C,H,W) with C in 1, 3, 4 are images."""
    arr = np.asarray(arr)  # a zip member that is not a .npy comes back from np.load as bytes
    if arr.dtype.kind not in "biuf":
        raise DataError(str(path), f"holds {arr.dtype} values, not numbers")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 1:
        return Raw(arr, "1d", fmt)
    if arr.ndim == 3:
        return Raw(arr[:, None], "images", fmt)
    if arr.ndim == 4 and (arr.shape[3] in (1, 3, 4) or arr.shape[1] in (1, 3, 4)):
        channels_last = arr.shape[3] in (1, 3, 4) and arr.shape[1] not in (1, 3, 4)
        images = arr.transpose(0, 3, 1, 2) if channels_last else arr
        notes = []
        if images.shape[1] == 4:
            images = images[:, :3]
            notes.append("4 channels read as RGBA; the alpha channel was dropped")
        return Raw(images, "images", fmt, notes=notes)
    raise DataError(str(path), f"array of shape {arr.shape} is neither 1-D data (N,) nor images "
                               "(N,H,W), (N,H,W,C) or (N,C,H,W) with C in 1, 3, 4")


# -- images -----------------------------------------------------------------------

def read_image(path: Path) -> Raw:
    """A single image file as a dataset of one (1, C, H, W)."""
    pixels, depth, notes = _decode_image(path)
    return Raw(pixels[None], "images", path.suffix.lower().lstrip("."), depth=depth, single_image=True, notes=notes)


def _decode_image(path: Path) -> tuple[np.ndarray, int | None, list[str]]:
    """Pixels (C, H, W) with C in 1, 3 and the format's number of levels (None for floats)."""
    try:
        with Image.open(path) as img:
            _check_count(path, img.width * img.height * len(img.getbands()))
            notes = [f"{img.n_frames} frames; only the first is used"] if getattr(img, "n_frames", 1) > 1 else []
            img, note = _normalize_mode(img)
            pixels = np.array(img)
    except DataError:
        raise
    except Exception as exc:  # Pillow raises many exception types on corrupt files
        raise DataError(str(path), f"unreadable or corrupt image: {exc}") from exc
    notes += [note] if note else []
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    if pixels.dtype == np.uint8:
        return pixels, 256, notes
    if pixels.dtype.kind in "iu" and 0 <= pixels.min() and pixels.max() < 2**16:
        return pixels, 2**16, notes  # 16-bit gray ("I;16"), or "I" holding 16-bit values
    return pixels, None, notes


def _normalize_mode(img: Image.Image) -> tuple[Image.Image, str]:
    """Convert to gray ("L"/16-bit/float) or "RGB", returning a note when something was lost."""
    mode = img.mode
    if mode in ("L", "RGB", "I", "F") or mode.startswith("I;16"):
        return img, ""
    if mode == "1":
        return img.convert("L"), ""
    if mode == "P":
        gray = _gray_palette(img)
        return img.convert("L" if gray else "RGB"), f"palette image converted to {'gray' if gray else 'RGB'}"
    if mode == "LA":
        return img.convert("L"), "gray+alpha image: the alpha channel was dropped"
    if mode in ("RGBA", "RGBa"):
        return img.convert("RGB"), "RGBA image: the alpha channel was dropped"
    return img.convert("RGB"), f"{mode} image converted to RGB"


def _gray_palette(img: Image.Image) -> bool:
    """Whether every palette colour the image uses is a gray (r == g == b)."""
    used = np.unique(np.array(img))
    colours = np.array(img.getpalette() or [], dtype=np.int64).reshape(-1, 3)
    used = used[used < len(colours)]
    return bool(np.all(colours[used] == colours[used][:, :1]))


def read_folder(path: Path) -> Raw:
    """Every image file in a folder, sorted by name; all must share size, channels and depth."""
    files = sorted(p for p in path.iterdir() if not p.name.startswith("."))  # skip .DS_Store and the like
    images = [p for p in files if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not images:
        raise DataError(str(path), f"no image files in the folder (looked for {', '.join(IMAGE_SUFFIXES)})")
    first, depth, notes = _decode_image(images[0])
    _check_count(path, first.size * len(images))
    stack = np.empty((len(images),) + first.shape, dtype=first.dtype)
    for i, file in enumerate(images):
        pixels, file_depth, file_notes = _decode_image(file) if i else (first, depth, notes)
        if pixels.shape != first.shape or file_depth != depth:
            raise DataError(str(file), f"is {_describe(pixels, file_depth)} but {images[0].name} is "
                                       f"{_describe(first, depth)}; all images in a folder must match")
        stack[i] = pixels
        notes += [n for n in file_notes if n not in notes]
    skipped = [p.name for p in files if p not in images]
    if skipped:
        more = ", …" if len(skipped) > 3 else ""
        notes.append(f"ignored {len(skipped)} non-image entries ({', '.join(skipped[:3])}{more})")
    return Raw(stack, "images", "folder", depth=depth, notes=notes)


def _describe(pixels: np.ndarray, depth: int | None) -> str:
    c, h, w = pixels.shape
    return f"{w}x{h} with {c} channel(s) and {depth or 'real'} levels"


# -- IDX (MNIST) --------------------------------------------------------------------

def read_idx(path: Path) -> Raw:
    """An IDX file (raw or gzipped): rank 3 is images (N, H, W), rank 1 is 1-D labels."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with _wrapped(path, "unreadable IDX file"), opener(path, "rb") as f:
        magic = f.read(4)
        if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in IDX_TYPES:
            raise DataError(str(path), "not an IDX file (bad magic number)")
        dtype, rank = np.dtype(IDX_TYPES[magic[2]]), magic[3]
        if rank not in (1, 3):
            raise DataError(str(path), f"IDX rank {rank} is not supported: expected 1 (labels) or 3 (images)")
        dims = struct.unpack(f">{rank}I", f.read(4 * rank))
        count = int(np.prod(dims, dtype=np.int64))
        _check_count(path, count)
        data = f.read(count * dtype.itemsize)
    if len(data) < count * dtype.itemsize:
        raise DataError(str(path), f"truncated: expected {count * dtype.itemsize} data bytes, found {len(data)}")
    values = np.frombuffer(data, dtype).reshape(dims)
    if rank == 1:
        return Raw(values, "1d", "idx")
    return Raw(values[:, None], "images", "idx", depth=256 if dtype == np.uint8 else None)
