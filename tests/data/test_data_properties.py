"""Property-based: whatever bytes or text a file holds, every loader and the import preview
either read it or raise DataError (nothing else), quickly and in bounded memory."""

from __future__ import annotations

import codecs
import gzip
import io
import resource
import struct
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vdq_gui.data import DataError, load_data, preview_file

# A hang or a huge decode shows up as a missed deadline; memory is checked by peak RSS.
SETTINGS = settings(max_examples=30, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])
MAX_GROWTH_MB = 400

NAMES = ["x.csv", "x.tsv", "x.txt", "x.npy", "x.npz", "x.png", "x.jpg", "x.bmp", "x.tif", "x.gif",
         "x-idx3-ubyte", "x-idx1-ubyte.gz"]
# Each format's magic, so that random bytes also get past the first check into the parsers.
MAGIC = {".npy": [b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00"], ".npz": [b"PK\x03\x04"],
         ".png": [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"], ".jpg": [b"\xff\xd8\xff\xe0"], ".bmp": [b"BM"],
         ".tif": [b"II*\x00", b"MM\x00*"], ".gif": [b"GIF89a"], "-idx3-ubyte": [b"\x00\x00\x08\x03"],
         ".gz": [b"\x1f\x8b\x08\x00"]}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def read_everything(path) -> None:
    """load_data (default and each image view) and preview_file: a result or a DataError."""
    for read in (load_data, preview_file):
        try:
            read(path)
        except DataError as error:
            assert path.name in str(error), str(error)
    try:
        load_data(path, as_="pixels")
    except DataError:
        pass


def magic_for(name: str) -> list[bytes]:
    return next((m for suffix, m in MAGIC.items() if name.endswith(suffix)), [b""])


@pytest.mark.parametrize("name", NAMES)
def test_random_bytes_under_every_extension(tmp_path, name):
    start = peak_rss_mb()
    path = tmp_path / name

    @SETTINGS
    @given(prefix=st.sampled_from(magic_for(name) + [b""]), body=st.binary(max_size=600))
    def check(prefix, body):
        payload = prefix + body
        path.write_bytes(gzip.compress(payload) if name.endswith(".gz") and not prefix else payload)
        read_everything(path)

    check()
    assert peak_rss_mb() - start < MAX_GROWTH_MB


def npy_bytes(shape, dtype="<u1", fill=b"\x01") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (63 - len(header) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + fill * 64


@SETTINGS
@given(shape=st.lists(st.integers(0, 2**40), min_size=0, max_size=5),
       dtype=st.sampled_from(["<u1", "<i8", "<f8", ">u8", "<c16", "|b1", "<U3", "|O"]),
       archive=st.booleans())
def test_lying_npy_headers(tmp_path, shape, dtype, archive):
    """Shapes far beyond the data (or huge): refused from the header, never allocated."""
    start = peak_rss_mb()
    data = npy_bytes(shape, dtype)
    path = tmp_path / ("a.npz" if archive else "a.npy")
    if archive:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr("a.npy", data)
        data = buffer.getvalue()
    path.write_bytes(data)
    read_everything(path)
    assert peak_rss_mb() - start < MAX_GROWTH_MB


@SETTINGS
@given(dims=st.lists(st.integers(0, 2**32 - 1), min_size=3, max_size=3), body=st.binary(max_size=200),
       gz=st.booleans())
def test_lying_idx_headers(tmp_path, dims, body, gz):
    data = b"\x00\x00\x08\x03" + struct.pack(">3I", *dims) + body
    path = tmp_path / ("x-idx3-ubyte.gz" if gz else "x-idx3-ubyte")
    path.write_bytes(gzip.compress(data) if gz else data)
    read_everything(path)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


SIDE = st.one_of(st.integers(0, 40), st.sampled_from([4096, 5000, 2**31 - 1, 2**32 - 1]))


@st.composite
def image_data(draw, width: int, height: int, planes: int, interlace: int) -> bytes:
    """Random bytes, or (for a small straight image) rows of the right length whose filter
    bytes are mostly valid, so that some files decode and the rest fail deep in the rows."""
    if interlace or not 0 < width * height <= 1600 or draw(st.booleans()):
        return draw(st.binary(max_size=600))
    filters = st.integers(0, 4) if draw(st.booleans()) else st.integers(0, 255)
    return b"".join(bytes([draw(filters)]) + draw(st.binary(min_size=width * planes * 2, max_size=width * planes * 2))
                    for _ in range(height))


@SETTINGS
@given(width=SIDE, height=SIDE, colour_type=st.sampled_from([2, 6]), interlace=st.sampled_from([0, 0, 1, 2]),
       data=st.data(), compressed=st.sampled_from([True, True, False]), cut=st.just(0) | st.integers(0, 700))
def test_random_image_data_in_16_bit_colour_pngs(tmp_path, width, height, colour_type, interlace, data,
                                                  compressed, cut):
    """A valid 16-bit RGB/RGBA header (or one with a lying size) and random image data, possibly
    cut short: the pypng path (readers -> png16) reads it or raises DataError, in bounded memory."""
    body = data.draw(image_data(width, height, 3 if colour_type == 2 else 4, interlace))
    start = peak_rss_mb()
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, interlace)
    idat = zlib.compress(body) if compressed else body
    file = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))
    path = tmp_path / "c16.png"
    path.write_bytes(file[:len(file) - cut] if cut < len(file) - 33 else file)
    read_everything(path)
    assert peak_rss_mb() - start < MAX_GROWTH_MB


NUMBER = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e306", "-1e308", "1e308", "0.1", "−3", "1,5", "2,25", "1e", ".", "-", "+1", "0x1F",
                     "1_000", "١٢", "nan", "-inf", "  7  ", ""]),
)
FIELD = st.one_of(NUMBER, NUMBER, st.text(max_size=6), NUMBER.map(lambda s: f'"{s}"'),
                  st.sampled_from(['"', '""', '"a,b"', "#", "# comment"]))
DELIMITER = st.sampled_from([",", ";", "\t", " ", "  ", "|"])
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1"])


GOOD_NUMBER = st.one_of(st.integers(-50, 50).map(str), st.integers(-500, 500).map(lambda i: f"{i / 10:.1f}"),
                        st.integers(0, 30).map(lambda i: f"\u2212{i}"), st.sampled_from(["1e306", "-1e308", "1e308"]))


@st.composite
def csv_text(draw) -> tuple[str, str]:
    """Half the tables are well formed (numbers, one width) so that reading succeeds often."""
    delimiter = draw(DELIMITER)
    width = draw(st.integers(1, 4))
    if draw(st.booleans()):
        rows = draw(st.lists(st.lists(GOOD_NUMBER, min_size=width, max_size=width), min_size=1, max_size=12))
    else:
        rows = draw(st.lists(st.lists(FIELD, min_size=1, max_size=width + 1), max_size=12))
    header = [draw(st.lists(st.text(min_size=1, max_size=5), min_size=width, max_size=width))] \
        if draw(st.booleans()) else []
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(delimiter.join(row) for row in header + rows)
    return text, draw(ENCODING)


@SETTINGS
@given(table=csv_text(), name=st.sampled_from(["t.csv", "t.tsv", "t.txt"]),
       column=st.one_of(st.none(), st.integers(-3, 5), st.sampled_from(["a", "0", "value"])))
def test_random_tables(tmp_path, table, name, column):
    text, encoding = table
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(data)
    for read in (load_data, preview_file):
        try:
            result = read(path, column=column)
        except DataError as error:
            assert path.name in str(error)
            continue
        if read is load_data:
            assert result.values.min() >= 0 and result.values.max() < result.levels


@SETTINGS
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 2)), min_size=2, max_size=40),
       bom=st.sampled_from([b"", codecs.BOM_UTF8]), minus=st.booleans())
def test_numbers_are_read_back_on_their_grid(tmp_path, values, bom, minus):
    """Values written with two decimals come back (in the file's units) to within their step."""
    lines = [repr(v).replace("-", "\u2212") if minus else repr(v) for v in values]
    path = tmp_path / "v.csv"
    path.write_bytes(bom + "\n".join(["value"] + lines).encode("utf-8"))
    try:
        data = load_data(path)
    except DataError as error:
        assert any(word in str(error) for word in ("one level", "continuous", "levels")), str(error)
        return
    np.testing.assert_allclose(data.to_original(data.values), values, atol=data.step / 2 + 1e-9)
