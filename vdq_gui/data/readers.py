"""One reader per file format.  Each turns a file into a ``Raw``: the numbers as stored.

The format is chosen by the extension and then checked against the content, so a
renamed or corrupt file fails with a message naming it instead of a numpy/Pillow trace.
Sizes are checked from headers before the data is read, so a huge file is refused
instead of exhausting memory.
"""

from __future__ import annotations

import codecs
import gzip
import io
import math
import os
import re
import stat
import struct
import tokenize
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from vdq_gui.data.dataset import DataError, Kind
from vdq_gui.data.png16 import ALPHA_NOTE, is_16_bit_colour, preview_stride, read_png16

MAX_VALUES = 2**26  # 512 MiB once stored as int64 levels (MNIST's 47 M pixels fit)
MAX_BYTES = 2**30  # text files and uncompressed .npz members
# Pixels (width x height) of one image file, checked from its header before decoding:
# a small PNG can decode to gigabytes, and every later step copies the pixels as int64.
MAX_IMAGE_PIXELS = 4096 * 4096
PREVIEW_BYTES = 2**20  # the import preview reads at most this much of a text file
PREVIEW_VALUES = 100_000  # ... and at most this many values (or the first images) of arrays
PREVIEW_SIDE = 512  # ... and a single image subsampled to at most this many pixels a side

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif")
IDX_NAME = re.compile(r"\.idx(\.gz)?$|idx\d", re.IGNORECASE)  # train-images-idx3-ubyte[.gz], x.idx
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
DELIMITERS = ("\t", ";", ",", None)  # None: runs of whitespace; tried in this order
HEAD_LINES = 50  # lines used to sniff the delimiter, header and numeric columns

# What the low-level libraries raise on bad files; Pillow may also raise SyntaxError,
# struct.error and friends on corrupt headers, so images catch Exception (see _decode_image).
LOW_LEVEL = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, struct.error, UnicodeError,
             zlib.error, NotImplementedError, tokenize.TokenError, SyntaxError)


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
    shape: tuple[int, ...] | None = None  # of the whole data when ``values`` is only a sample
    partial: bool = False  # a sample of a text file: the whole shape is not known

    @property
    def full_shape(self) -> tuple[int, ...]:
        return self.shape or tuple(self.values.shape)

    @property
    def sampled(self) -> bool:
        return self.shape is not None and self.shape != tuple(self.values.shape)


@contextmanager
def _wrapped(path: Path, what: str) -> Iterator[None]:
    """Re-raise low-level errors as DataError naming the file; our own errors pass through."""
    try:
        yield
    except DataError:
        raise
    except LOW_LEVEL as exc:
        raise DataError(str(path), f"{what}: {low_level_reason(exc)}") from exc


def low_level_reason(exc: BaseException) -> str:
    """What a library's exception means for the user, not its raw repr."""
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)) or (isinstance(exc, EOFError) and "compressed" in str(exc)):
        return f"its compressed data is corrupt ({exc})"
    if isinstance(exc, NotImplementedError):
        return f"it uses a compression method that cannot be read ({exc})"
    if isinstance(exc, (tokenize.TokenError, SyntaxError)):
        return "its header is corrupt (not a valid NumPy header)"
    if isinstance(exc, MemoryError):
        return "not enough memory to read it"
    return str(exc) or type(exc).__name__


def detect_format(path: Path) -> str:
    """"text", "npy", "npz", "image", "idx" or "folder", from the name; missing files fail here."""
    try:
        mode = os.stat(path).st_mode  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        raise DataError(str(path), "file not found") from None
    except OSError as exc:
        raise DataError(str(path), f"cannot be opened: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(mode):
        return "folder"
    if not stat.S_ISREG(mode):
        # a FIFO would block forever and a device can be endless: only ordinary files are read
        raise DataError(str(path), "not a regular file (a pipe, device or socket); only ordinary files are read")
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


def read_raw(path: Path, *, column: str | int | None = None, key: str | None = None, sample: bool = False) -> Raw:
    """Read any supported file; ``column`` only applies to tables and ``key`` to .npz.

    sample: read only headers and a bounded start of the data (PREVIEW_BYTES of text,
    PREVIEW_VALUES values or the first images), for the import preview; ``Raw.shape``
    then holds the shape of the whole data where the header tells it.
    """
    fmt = detect_format(path)
    if column is not None and fmt != "text":
        raise DataError(str(path), "column= only applies to .csv/.tsv/.txt tables")
    if key is not None and fmt != "npz":
        raise DataError(str(path), "key= only applies to .npz archives")
    if fmt == "text":
        return read_text(path, column, sample=sample)
    if fmt == "npz":
        return read_npz(path, key, sample=sample)
    return {"npy": read_npy, "image": read_image, "idx": read_idx, "folder": read_folder}[fmt](path, sample=sample)


def _check_count(path: Path, count: int) -> None:
    if count > MAX_VALUES:
        raise DataError(str(path), f"too large to load: {count:,} values (the limit is {MAX_VALUES:,})")


NAMES_SHOWN = 20  # an error message lists at most this many column or array names


def _some(names: tuple[str, ...]) -> str:
    """Names for a message, cut short: a table of 10^6 columns must not make a 10^6-name dialog."""
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f", … ({len(names):,} in all)" if len(names) > NAMES_SHOWN else "")


READ_PIECE = 2**24


def _read_at_most(f, nbytes: int) -> bytes:
    """``f.read(nbytes)`` in pieces: read(n) reserves n bytes up front, so a 100-byte file whose
    header claims 512 MB would reserve them all before finding out that it is truncated."""
    pieces, left = [], nbytes
    while left > 0:
        piece = f.read(min(left, READ_PIECE))
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def _check_bytes(path: Path, size: int) -> None:
    if size > MAX_BYTES:
        raise DataError(str(path), f"too large to load: {size / 2**30:.1f} GiB "
                                   f"(the limit is {MAX_BYTES / 2**30:.0f} GiB)")


# -- tables -----------------------------------------------------------------------

def read_text(path: Path, column: str | int | None, *, sample: bool = False) -> Raw:
    """One numeric column of a csv/tsv/txt table; the delimiter and header are sniffed.

    A file that is a single row of many numbers (no header) is read as 1-D data, one
    example per number.  Encodings: UTF-8 with or without BOM, UTF-16 with BOM; the
    Unicode minus sign (U+2212) reads as "-".
    """
    if not sample:
        _check_bytes(path, os.stat(path).st_size)
    text, truncated = read_text_file(path, PREVIEW_BYTES)  # the whole file when it is small
    stream = truncated and not sample  # larger files are parsed a chunk at a time (bounded memory)
    head, header_line = _head(text)
    if not head:
        raise DataError(str(path), "the file is empty: no numbers")
    delimiter = _sniff(path, head)
    rows = [_split(line, delimiter) for line in head]
    header = rows[0] if _is_header(rows) else None
    data_rows = rows[1:] if header else rows
    if not data_rows:
        raise DataError(str(path), "the file has a header but no data rows")
    fmt = {".tsv": "tsv", ".txt": "txt"}.get(path.suffix.lower(), "csv")
    if header is None and len(rows) == 1 and len(rows[0]) > 1 and column is None:  # the only line
        if stream:
            values = _stream_row(path, delimiter)
            return Raw(values, "1d", fmt, notes=[f"one row of {values.size:,} numbers read as 1-D data (one value each)"])
        return _one_row(path, head[0], delimiter, fmt, truncated)
    names = tuple(header or (str(i) for i in range(len(rows[0]))))
    index, notes = _pick_column(path, names, data_rows, column)
    if stream:
        values = _stream_column(path, header_line + (1 if header else 0), delimiter, index, names[index])
        return Raw(values, "1d", fmt, columns=names, notes=notes)
    if truncated:
        notes.append(f"preview of the first {PREVIEW_BYTES // 2**20} MiB only; K and step may change "
                     "when the whole file is loaded")
    try:
        # numpy parses the text in chunks: no list of 10^7 line strings
        values = np.loadtxt(io.StringIO(text, newline=None), delimiter=delimiter, usecols=index, comments="#",
                            skiprows=header_line + 1 if header else 0, ndmin=1, quotechar='"')
    except ValueError as exc:
        # numpy counts data rows from 0; say "data row 61" the way a person counts them
        reason = re.sub(r"at row (\d+)", lambda m: f"in data row {int(m[1]) + 1}", str(exc))
        raise DataError(str(path), f"cannot read column {names[index]!r} as numbers: {reason}") from exc
    return Raw(values, "1d", fmt, columns=names, notes=notes, partial=truncated)


def _one_row(path: Path, line: str, delimiter: str | None, fmt: str, truncated: bool) -> Raw:
    """A single row of numbers (a sequence saved "across"): each number is one example."""
    fields = _split(line, delimiter)
    if truncated:
        fields = fields[:-1] or fields  # the last field may be cut in the middle
    try:
        values = np.array(fields, dtype=np.float64)
    except ValueError as exc:
        raise DataError(str(path), f"a single row that is not all numbers: {exc}") from exc
    notes = [f"one row of {values.size:,} numbers read as 1-D data (one value each)"]
    if truncated:
        notes = [f"one row of numbers read as 1-D data (one value each); the preview read its first "
                 f"{values.size:,} (1 MiB), loading reads them all"]
    return Raw(values, "1d", fmt, notes=notes, partial=truncated)


def text_lines(path: Path, limit: int) -> list[str]:
    """The first lines of a text file (at most ``limit`` bytes of it), for the preview."""
    return read_text_file(path, limit)[0].splitlines()


def read_text_file(path: Path, limit: int | None = None) -> tuple[str, bool]:
    """The file's text (at most ``limit`` bytes of it, cut after its last whole line),
    and whether it was cut short."""
    size = os.stat(path).st_size
    if limit is None:
        _check_bytes(path, size)
    with _wrapped(path, "cannot be read"), open(path, "rb") as f:
        # bounded even if the size lied; never a MAX_BYTES buffer for a small file (read(n)
        # allocates n bytes up front)
        data = f.read(min(size, MAX_BYTES) + 1 if limit is None else limit)
    if limit is None:
        _check_bytes(path, len(data))
    truncated = limit is not None and len(data) >= limit and size > limit
    text = _decode(path, data, final=not truncated)
    if "\0" in text:
        raise DataError(str(path), "not a text file (it contains NUL bytes)")
    if "\u2212" in text:
        text = text.replace("\u2212", "-")
    if truncated:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut] if cut > 0 else text  # the last line was cut in the middle
    return text, truncated


TEXT_CHUNK = 2**20  # a large text file is decoded and parsed this many bytes at a time
MAX_LINE_CHARS = 2**24  # one line of a table longer than this is refused (16 M characters)
LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # what str.splitlines splits on


def _text_pieces(path: Path) -> Iterator[tuple[str, bool]]:
    """The whole file decoded TEXT_CHUNK bytes at a time, U+2212 read as "-": (text, is_last).

    Reading a large table as one string and one list of lines costs ~90 bytes a value
    (1.9 GB for a 160 MB file of 80 M one-digit lines); pieces keep it to the values."""
    _check_bytes(path, os.stat(path).st_size)
    with _wrapped(path, "cannot be read"), open(path, "rb") as f:
        data = f.read(TEXT_CHUNK)
        encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
        decoder = codecs.getincrementaldecoder(encoding)()
        done = 0
        while True:
            last = not data
            try:
                text = decoder.decode(data, final=last)
            except UnicodeDecodeError as exc:
                name = "UTF-16" if encoding == "utf-16" else "UTF-8"
                raise DataError(str(path), f"not readable {name} text (undecodable byte near position "
                                           f"{done + exc.start}); save it as UTF-8, or UTF-16 with a "
                                           "byte-order mark") from exc
            done += len(data)
            _check_bytes(path, done)  # the file grew while it was read
            if "\0" in text:
                raise DataError(str(path), "not a text file (it contains NUL bytes)")
            yield text.replace("\u2212", "-"), last
            if last:
                return
            data = f.read(TEXT_CHUNK)


def _stream_column(path: Path, skip: int, delimiter: str | None, index: int, name: str) -> np.ndarray:
    """Column ``index`` of a large table, after its first ``skip`` lines, a chunk of whole lines
    at a time (numpy's parser reads each chunk from a string buffer: as fast as one big read)."""
    parts: list[np.ndarray] = []
    count, pending = 0, ""
    for text, last in _text_pieces(path):
        text = pending + text
        cut = len(text) if last else max(text.rfind("\n"), text.rfind("\r")) + 1
        chunk, pending = text[:cut], text[cut:]
        if len(pending) > MAX_LINE_CHARS:
            raise DataError(str(path), f"a line longer than {MAX_LINE_CHARS:,} characters; "
                                       "a table needs one value per line in its column")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a chunk of only comments or blank lines holds "no data"
                values = np.loadtxt(io.StringIO(chunk, newline=None), delimiter=delimiter, usecols=index,
                                    comments="#", ndmin=1, quotechar='"', skiprows=skip)
        except ValueError as exc:
            # numpy counts data rows from 0 within the chunk; say "data row 61" the way a person counts
            reason = re.sub(r"at row (\d+)", lambda m: f"in data row {count + int(m[1]) + 1}", str(exc))
            raise DataError(str(path), f"cannot read column {name!r} as numbers: {reason}") from exc
        skip = 0
        count += values.size
        _check_count(path, count)  # before the next chunk is read
        parts.append(values.astype(np.float64, copy=False))
    return np.concatenate(parts) if parts else np.zeros(0)


def _stream_row(path: Path, delimiter: str | None) -> np.ndarray:
    """A large file that is one row of numbers, a chunk at a time; later lines must be blank."""
    parts: list[np.ndarray] = []
    count, pending, ended, tail = 0, "", False, ""
    for text, last in _text_pieces(path):
        if ended:
            tail = _blank_after_row(path, tail + text, last)
            continue
        text = pending + text
        found = LINE_BREAK.search(text)
        line, rest = (text[:found.start()], text[found.start():]) if found else (text, "")
        ended = found is not None or last
        fields = line.split(delimiter)
        pending = ""
        if not ended and fields and (delimiter is not None or not line[-1:].isspace()):
            pending = fields.pop()  # may continue in the next piece
        if len(pending) > MAX_LINE_CHARS:
            raise DataError(str(path), f"a single field longer than {MAX_LINE_CHARS:,} characters")
        try:
            values = np.array([field.strip().strip('"') for field in fields], dtype=np.float64)
        except ValueError as exc:
            raise DataError(str(path), f"a single row that is not all numbers: {exc}") from exc
        count += values.size
        _check_count(path, count)
        parts.append(values)
        if ended:
            tail = _blank_after_row(path, rest, last)
    return np.concatenate(parts) if parts else np.zeros(0)


def _blank_after_row(path: Path, text: str, last: bool) -> str:
    """What follows a one-row file's row may only be blank or comment lines; returns an unfinished line."""
    lines = text.splitlines(keepends=True)
    pending = lines.pop() if lines and not last and not LINE_BREAK.fullmatch(lines[-1][-1]) else ""
    if len(pending) > MAX_LINE_CHARS:
        raise DataError(str(path), f"a line longer than {MAX_LINE_CHARS:,} characters")
    if any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        raise DataError(str(path), f"its first row is longer than the {PREVIEW_BYTES // 2**20} MiB its columns "
                                   "are sniffed from, and more rows follow: a table with that many columns "
                                   "is not supported; save the values one per line")
    return pending


def _decode(path: Path, data: bytes, final: bool) -> str:
    """UTF-8 (BOM optional) or UTF-16 with BOM, as spreadsheets' "Unicode text" writes."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as exc:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise DataError(str(path), f"not readable {name} text (undecodable byte at position {exc.start}); "
                                   "save it as UTF-8, or UTF-16 with a byte-order mark") from exc


def _head(text: str) -> tuple[list[str], int]:
    """First non-blank, non-comment lines, and the line number of the first one."""
    head: list[str] = []
    first = 0
    for number, line in enumerate(io.StringIO(text, newline=None)):
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
        raise DataError(str(path), f"no column {column!r}; the columns are: {_some(names)}")
    numeric = [i for i in range(len(names)) if all(_is_number(row[i]) for row in data_rows)]
    if not numeric:
        raise DataError(str(path), f"no numeric column (columns: {_some(names)})")
    notes = [] if len(names) == 1 else [
        f"used column {names[numeric[0]]!r}, the first numeric one of {len(names)}; choose another with column="]
    return numeric[0], notes


# -- numpy ------------------------------------------------------------------------

def read_npy(path: Path, *, sample: bool = False) -> Raw:
    """A .npy array; memory-mapped first so its size is checked before it is read."""
    _check_magic(path, b"\x93NUMPY", "a NumPy .npy file")
    with _wrapped(path, "unreadable .npy file"):
        with open(path, "rb") as f:
            _npy_header(path, f)  # shape checked in Python ints: a lying header cannot overflow the map
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        _check_count(path, mapped.size)
        shape = tuple(mapped.shape)
        first = np.array(mapped[:_sample_rows(shape)] if sample and mapped.ndim else mapped)
        del mapped  # close the map now (Windows cannot delete a mapped file)
    return _from_array(path, first, "npy", shape)


def _sample_rows(shape: tuple[int, ...]) -> int:
    """How many examples (along axis 0) the preview reads: PREVIEW_VALUES values, at least 16 images."""
    per_row = int(np.prod(shape[1:], dtype=np.float64)) if len(shape) > 1 else 1
    return max(16 if len(shape) > 1 else 1, PREVIEW_VALUES // max(per_row, 1))


def npz_keys(path: Path) -> tuple[str, ...]:
    """Names of the arrays in a .npz archive."""
    _check_magic(path, b"PK", "a NumPy .npz (zip) archive")
    # np.load is given an open file: given a path, it leaks the handle when the zip is bad
    with _wrapped(path, "unreadable .npz archive"), open(path, "rb") as f, np.load(f, allow_pickle=False) as archive:
        return tuple(archive.files)


def read_npz(path: Path, key: str | None, *, sample: bool = False) -> Raw:
    """The array ``key`` of a .npz archive, or its only array."""
    keys = npz_keys(path)
    if key is None and len(keys) != 1:
        raise DataError(str(path), f"holds {len(keys)} arrays; choose one with key= ({_some(keys) or 'none'})")
    key = keys[0] if key is None else key
    if key not in keys:
        raise DataError(str(path), f"no array {key!r}; the arrays are: {_some(keys)}")
    with _wrapped(path, f"unreadable array {key!r}"), zipfile.ZipFile(path) as archive:
        member = f"{key}.npy" if f"{key}.npy" in archive.namelist() else key
        _check_bytes(path, archive.getinfo(member).file_size)
        with archive.open(member) as f:
            values, shape = _npz_member(path, f, sample)
    raw = _from_array(path, values, "npz", shape)
    raw.keys = keys
    return raw


def _npy_header(path: Path, f) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from a .npy header, refusing objects and huge shapes."""
    version = np.lib.format.read_magic(f)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise DataError(str(path), f"unsupported .npy format version {version}")
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = reader(f)
    if dtype.hasobject:
        raise DataError(str(path), "holds Python objects, which would need unpickling (never done); "
                                   "save plain numbers")
    _check_count(path, math.prod(shape))
    return shape, fortran, dtype


def _npz_member(path: Path, f, sample: bool) -> tuple[np.ndarray, tuple[int, ...]]:
    """An archive member read from its header on: the header is checked before the data,
    and a sample reads only the first examples (never the whole decompression)."""
    shape, fortran, dtype = _npy_header(path, f)
    rows = min(shape[0], _sample_rows(shape)) if sample and shape and not fortran else (shape[0] if shape else 1)
    wanted = (rows,) + tuple(shape[1:]) if shape else ()
    nbytes = math.prod(wanted) * dtype.itemsize
    data = _read_at_most(f, nbytes)
    if len(data) < nbytes:
        raise DataError(str(path), f"truncated array: expected {nbytes} bytes, found {len(data)}")
    values = np.frombuffer(data, dtype).reshape(wanted, order="F" if fortran else "C")
    return values, tuple(shape)


def _check_magic(path: Path, magic: bytes, what: str) -> None:
    with open(path, "rb") as f:
        if f.read(len(magic)) != magic:
            raise DataError(str(path), f"not {what} (its content does not match the extension)")


def _from_array(path: Path, arr: np.ndarray, fmt: str, shape: tuple[int, ...] | None = None) -> Raw:
    """(N,) is 1-D data; (N,H,W), (N,H,W,C) and (N,C,H,W) with C in 1, 3, 4 are images.

    ``shape`` is that of the whole array when ``arr`` is only its first examples.
    """
    arr = np.asarray(arr)
    shape = tuple(arr.shape) if shape is None else tuple(shape)
    if arr.dtype.kind not in "biuf":
        raise DataError(str(path), f"holds {arr.dtype} values, not numbers")
    if math.prod(shape) == 0:
        raise DataError(str(path), f"the array of shape {shape} holds no values")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr, shape = arr[:, 0], shape[:1]
    if arr.ndim == 1:
        return Raw(arr, "1d", fmt, shape=shape)
    if arr.ndim == 3:
        return Raw(arr[:, None], "images", fmt, shape=(shape[0], 1) + shape[1:])
    if arr.ndim == 4 and (arr.shape[3] in (1, 3, 4) or arr.shape[1] in (1, 3, 4)):
        channels_last = arr.shape[3] in (1, 3, 4) and arr.shape[1] not in (1, 3, 4)
        images = arr.transpose(0, 3, 1, 2) if channels_last else arr
        shape = (shape[0], shape[3], shape[1], shape[2]) if channels_last else shape
        notes = []
        if images.shape[1] == 4:
            images, shape = images[:, :3], (shape[0], 3) + shape[2:]
            notes.append("4 channels read as RGBA; the alpha channel was dropped")
        return Raw(images, "images", fmt, notes=notes, shape=shape)
    raise DataError(str(path), f"array of shape {shape} is neither 1-D data (N,) nor images "
                               "(N,H,W), (N,H,W,C) or (N,C,H,W) with C in 1, 3, 4")


# -- images -----------------------------------------------------------------------

def read_image(path: Path, *, sample: bool = False) -> Raw:
    """A single image file as a dataset of one (1, C, H, W).

    sample: keep every n-th pixel so that no side exceeds PREVIEW_SIDE (the decode itself
    is bounded by MAX_IMAGE_PIXELS); ``shape`` keeps the full size.
    """
    pixels, depth, notes, size = _decode_image(path, PREVIEW_SIDE if sample else None)
    shape = (1, pixels.shape[0]) + size
    return Raw(pixels[None], "images", path.suffix.lower().lstrip("."), depth=depth, single_image=True, notes=notes,
               shape=shape)


def _decode_image(path: Path,
                  max_side: int | None = None) -> tuple[np.ndarray, int | None, list[str], tuple[int, int]]:
    """Pixels (C, H, W) with C in 1, 3, the format's number of levels (None for floats), the
    notes and the full (H, W).  max_side: keep every n-th pixel so that no side exceeds it.

    The size is checked from the header before anything is decoded (MAX_IMAGE_PIXELS).
    16-bit colour PNGs, which Pillow reads at 8 bits, are decoded by ``png16`` instead.
    """
    try:
        with warnings.catch_warnings():
            # our own limit, below Pillow's bomb warning, is checked next with a clearer message
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img_file = Image.open(path)
        with img_file as img:
            _check_image_size(path, img.width, img.height)
            notes = [f"{img.n_frames} frames; only the first is used"] if getattr(img, "n_frames", 1) > 1 else []
            if img.format == "PNG" and _is_png16_colour(path):
                pixels, more, size = read_png16(path, partial(_check_image_size, path), max_side)
                return pixels, 2**16, notes + more, size
            img, note = _normalize_mode(img)
            pixels = np.array(img)
    except DataError:
        raise
    except Image.DecompressionBombError as exc:
        raise DataError(str(path), f"image too large to decode: {exc.args[0].split('exceeds')[0].strip()}, "
                                   f"more than the {MAX_IMAGE_PIXELS:,} pixels allowed") from exc
    except Exception as exc:  # Pillow raises many exception types on corrupt files
        raise DataError(str(path), f"unreadable or corrupt image: {low_level_reason(exc)}") from exc
    notes += [note] if note else []
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    if pixels.size == 0:
        raise DataError(str(path), "the image has no pixels")
    depth = _depth(pixels)  # of all the pixels, before a preview keeps some
    size = pixels.shape[1:]
    if max_side is not None:
        stride = preview_stride(*size, max_side)
        pixels = np.ascontiguousarray(pixels[:, ::stride, ::stride])
    return pixels, depth, notes, size


def _depth(pixels: np.ndarray) -> int | None:
    """Levels implied by decoded pixels: 256 for 8 bits, 2**16 for 16, None for floats or more."""
    if pixels.dtype == np.uint8:
        return 256
    if pixels.dtype.kind in "iu" and 0 <= pixels.min() and pixels.max() < 2**16:
        return 2**16  # 16-bit gray ("I;16"), or "I" holding 16-bit values
    return None


def _check_image_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise DataError(str(path), f"image too large: {width}x{height} = {width * height:,} pixels, more than the "
                                   f"{MAX_IMAGE_PIXELS:,} (4096x4096) allowed; scale it down or cut it into tiles")


def _is_png16_colour(path: Path) -> bool:
    """Whether a PNG is 16-bit RGB or RGBA, which Pillow would read at 8 bits per channel."""
    with open(path, "rb") as f:
        return is_16_bit_colour(f.read(26))  # signature, IHDR length and type, size, depth, colour


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
        return img.convert("RGB"), ALPHA_NOTE
    return img.convert("RGB"), f"{mode} image converted to RGB"


def _gray_palette(img: Image.Image) -> bool:
    """Whether every palette colour the image uses is a gray (r == g == b)."""
    used = np.unique(np.array(img))
    colours = np.array(img.getpalette() or [], dtype=np.int64).reshape(-1, 3)
    used = used[used < len(colours)]
    return bool(np.all(colours[used] == colours[used][:, :1]))


def read_folder(path: Path, *, sample: bool = False) -> Raw:
    """Every image file in a folder, sorted by name; all must share size, channels and depth."""
    with _wrapped(path, "cannot list the folder"):
        files = sorted(p for p in path.iterdir() if not p.name.startswith("."))  # skip .DS_Store and the like
        images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    if not images:
        raise DataError(str(path), f"no image files in the folder (looked for {', '.join(IMAGE_SUFFIXES)})")
    first, depth, notes, _ = _decode_image(images[0])
    _check_count(path, first.size * len(images))
    read = images[:16] if sample else images
    stack = np.empty((len(read),) + first.shape, dtype=first.dtype)
    for i, file in enumerate(read):
        pixels, file_depth, file_notes, _ = _decode_image(file) if i else (first, depth, notes, None)
        if pixels.shape != first.shape or file_depth != depth:
            raise DataError(str(file), f"is {_describe(pixels, file_depth)} but {images[0].name} is "
                                       f"{_describe(first, depth)}; all images in a folder must match")
        stack[i] = pixels
        notes += [n for n in file_notes if n not in notes]
    skipped = [p.name for p in files if p not in images]
    if skipped:
        more = ", …" if len(skipped) > 3 else ""
        notes.append(f"ignored {len(skipped)} non-image entries ({', '.join(skipped[:3])}{more})")
    return Raw(stack, "images", "folder", depth=depth, notes=notes, shape=(len(images),) + first.shape)


def _describe(pixels: np.ndarray, depth: int | None) -> str:
    c, h, w = pixels.shape
    return f"{w}x{h} with {c} channel(s) and {depth or 'real'} levels"


# -- IDX (MNIST) --------------------------------------------------------------------

def read_idx(path: Path, *, sample: bool = False) -> Raw:
    """An IDX file (raw or gzipped): rank 3 is images (N, H, W), rank 1 is 1-D labels."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with _wrapped(path, "unreadable IDX file"), opener(path, "rb") as f:
        magic = f.read(4)
        if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in IDX_TYPES:
            raise DataError(str(path), "not an IDX file (bad magic number)")
        dtype, rank = np.dtype(IDX_TYPES[magic[2]]), magic[3]
        if rank not in (1, 3):
            raise DataError(str(path), f"IDX rank {rank} is not supported: expected 1 (labels) or 3 (images)")
        header = f.read(4 * rank)
        if len(header) < 4 * rank:
            raise DataError(str(path), "truncated IDX header")
        dims = struct.unpack(f">{rank}I", header)
        _check_count(path, math.prod(dims))  # Python ints: dimensions cannot overflow
        rows = min(dims[0], _sample_rows(dims)) if sample else dims[0]
        wanted = (rows,) + dims[1:]
        nbytes = math.prod(wanted) * dtype.itemsize
        data = _read_at_most(f, nbytes)
    if len(data) < nbytes:
        raise DataError(str(path), f"truncated: expected {nbytes} data bytes, found {len(data)}")
    values = np.frombuffer(data, dtype).reshape(wanted)
    if rank == 1:
        return Raw(values, "1d", "idx", shape=dims)
    return Raw(values[:, None], "images", "idx", depth=256 if dtype == np.uint8 else None,
               shape=(dims[0], 1) + dims[1:])
