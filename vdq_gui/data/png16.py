"""16-bit colour PNGs (RGB and RGBA at 16 bits per channel) read with all 16 bits.

Pillow has no 16-bit colour mode and reads these at 8 bits (the high byte of each value),
so they are decoded with pypng, a pure-Python PNG codec: it parses the chunks (checking
each one's CRC and the header's fields) and undoes the scanline filters; no code of the
file's is ever run.  pypng's own ``Reader.read`` inflates each IDAT chunk in one piece, so
a small file could inflate to gigabytes; here the image data is inflated a bounded piece
at a time and never beyond what the header's size needs, and the rows are taken one by
one, so a preview keeps only the rows and columns it shows.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import png

from vdq_gui.data.dataset import DataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {2: "RGB", 6: "RGBA"}  # PNG colour types with 3 colour channels
INFLATE_PIECE = 2**20  # image data is inflated at most this many bytes at a time (in and out)
ALPHA_NOTE = "RGBA image: the alpha channel was dropped"


class TruncatedImage(png.FormatError):
    """The image data ended before the last row."""


def is_16_bit_colour(header: bytes) -> bool:
    """Whether a file's first 26 bytes are a PNG header with bit depth 16 and RGB or RGBA colour."""
    return len(header) >= 26 and header.startswith(PNG_SIGNATURE) and header[24] == 16 and header[25] in COLOUR_TYPES


def read_png16(path: Path, check_size: Callable[[int, int], None],
               max_side: int | None = None) -> tuple[np.ndarray, list[str], tuple[int, int]]:
    """Pixels (3, H', W') as uint16, the notes and the full (H, W).  ``max_side``: keep every
    n-th row and column so that no side exceeds it (the preview), not decoding the rest into
    memory.  ``check_size(width, height)`` refuses a too-large image before any image data
    is read.  Raises DataError naming the file on a corrupt one (zlib.error or OSError where
    the compressed data or the file itself cannot be read).
    """
    try:
        return _read(path, check_size, max_side)
    except png.Error as exc:
        raise DataError(str(path), f"unreadable or corrupt 16-bit PNG: {pypng_reason(exc)}") from exc


def pypng_reason(exc: png.Error) -> str:
    """pypng's message without its class-name prefix, chunk types as IDAT rather than b'IDAT'."""
    return re.sub(r"b'([A-Za-z]{4})'", r"\1", " ".join(str(arg) for arg in exc.args)) or type(exc).__name__


def _read(path: Path, check_size: Callable[[int, int], None],
          max_side: int | None) -> tuple[np.ndarray, list[str], tuple[int, int]]:
    with open(path, "rb") as f:
        reader = png.Reader(file=_Capped(f))
        reader.preamble()  # the chunks before the image data: IHDR, PLTE, tRNS, ...
        if reader.bitdepth != 16 or reader.color_type not in COLOUR_TYPES:
            raise png.FormatError(f"expected a 16-bit RGB or RGBA PNG, found bit depth {reader.bitdepth} "
                                  f"and colour type {reader.color_type}")
        width, height, planes = reader.width, reader.height, reader.planes
        check_size(width, height)
        stride = preview_stride(height, width, max_side)
        rows, cols = -(-height // stride), -(-width // stride)
        pixels = np.zeros((3, rows, cols), dtype=np.uint16)
        data = _ScanlineStream(_inflated(reader, f))
        for lines in _passes(reader):
            previous = None  # each pass of an interlaced image starts its filters afresh
            for x, y, xstep in lines:
                count = -(-(width - x) // xstep)  # pixels in this (reduced) scanline
                filter_type, scanline = data.take(count * reader.psize, y, height)
                previous = reader.undo_filter(filter_type, scanline, previous)
                if y % stride == 0:
                    _place(pixels[:, y // stride], previous, x, xstep, stride, planes)
    notes = [ALPHA_NOTE] if planes == 4 else []
    return pixels, notes, (height, width)


def _passes(reader: png.Reader) -> Iterator[Iterator[tuple[int, int, int]]]:
    """The scanlines as (x, y, xstep): one pass of whole rows, or Adam7's seven passes."""
    if reader.interlace:
        return png.adam7_generate(reader.width, reader.height)
    return iter([((0, y, 1) for y in range(reader.height))])


def _place(row: np.ndarray, scanline: bytearray, x: int, xstep: int, stride: int, planes: int) -> None:
    """Put a scanline's pixels (x, x + xstep, ...) into the kept columns of an output row (3, W')."""
    values = np.frombuffer(scanline, dtype=">u2").reshape(-1, planes)[:, :3]
    columns = np.arange(x, x + xstep * len(values), xstep)
    kept = columns % stride == 0
    row[:, columns[kept] // stride] = values[kept].T


def _inflated(reader: png.Reader, f) -> Iterator[bytes]:
    """The image data inflated INFLATE_PIECE bytes at a time, IDAT chunk by IDAT chunk.

    Reading stops when the rows are complete, so a stream that inflates without end
    (a zlib bomb) is never inflated past the image's size.
    """
    inflate = zlib.decompressobj()
    while not inflate.eof:
        try:
            kind, chunk = reader.chunk()  # checks the CRC
        except png.FormatError as exc:
            if f.read(1) or str(exc).startswith("Checksum"):
                raise
            raise TruncatedImage(f"truncated: the file ends inside its image data ({pypng_reason(exc)})") from exc
        if kind == b"IEND":
            return
        if kind != b"IDAT":
            continue
        view = memoryview(chunk)
        for start in range(0, len(chunk), INFLATE_PIECE):
            # slices of the input too: unconsumed_tail is a copy, of all of a large chunk's rest
            pending: bytes | memoryview = view[start:start + INFLATE_PIECE]
            while pending and not inflate.eof:
                piece = inflate.decompress(pending, INFLATE_PIECE)
                pending = inflate.unconsumed_tail
                if piece:
                    yield piece


class _ScanlineStream:
    """Inflated image data cut into scanlines: a filter-type byte and the filtered bytes."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = bytearray()

    def take(self, size: int, y: int, height: int) -> tuple[int, bytearray]:
        while len(self._buffer) < size + 1:
            piece = next(self._pieces, None)
            if piece is None:
                raise TruncatedImage(f"truncated: the image data ends before row {y + 1} of {height}")
            self._buffer += piece
        filter_type, scanline = self._buffer[0], self._buffer[1:size + 1]  # a copy: pypng unfilters it in place
        del self._buffer[:size + 1]  # cheap: a bytearray drops its start without moving the rest
        return filter_type, scanline


class _Capped:
    """The file for pypng, whose read(n) never asks for more than the file has left:
    pypng reads a chunk's claimed length in one call, and read(n) reserves n bytes up
    front, so a 100-byte file claiming a 2 GB chunk would reserve 2 GB."""

    def __init__(self, f) -> None:
        self._f = f
        self._size = os.fstat(f.fileno()).st_size

    def read(self, n: int = -1) -> bytes:
        left = max(self._size - self._f.tell(), 0)
        return self._f.read(left if n is None or n < 0 else min(n, left))


def preview_stride(height: int, width: int, side: int | None) -> int:
    """Keep every n-th pixel so that no side exceeds ``side`` (1: all of them)."""
    return 1 if side is None else max(1, -(-max(height, width) // side))
