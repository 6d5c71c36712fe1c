"""Large text files are parsed a chunk at a time: the same values as the in-memory path,
the value limit checked while reading, and memory that grows with the values only.

The chunk and sniffing sizes are shrunk so that the streaming path runs on small files."""

from __future__ import annotations

import numpy as np
import pytest

from vdq_gui.data import DataError, load_data
from vdq_gui.data import readers


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(readers, "PREVIEW_BYTES", 64)
    monkeypatch.setattr(readers, "TEXT_CHUNK", 37)  # odd, so chunks end mid-line and mid-character


def both_ways(path, monkeypatch, **options):
    """load_data streamed (small chunks) and in memory (one chunk)."""
    streamed = load_data(path, **options)
    monkeypatch.setattr(readers, "PREVIEW_BYTES", 2**20)
    monkeypatch.setattr(readers, "TEXT_CHUNK", 2**20)
    whole = load_data(path, **options)
    return streamed, whole


@pytest.mark.parametrize(("text", "encoding"), [
    ("# notes\n\nx;y\n" + "".join(f"{i % 7};\u2212{i % 5}.5\n" for i in range(300)) + "\n# end\n", "utf-8"),
    ("v\r\n" + "".join(f"{i % 11}\r\n" for i in range(300)), "utf-8-sig"),
    ("a\tb\n" + "".join(f"{i % 3}\t{i % 9}\n" for i in range(300)), "utf-16"),
    ('"a","b"\n' + "".join(f'"{i % 4}","{i % 6}"\n' for i in range(300)), "utf-8"),
])
def test_streamed_tables_match_the_in_memory_read(tmp_path, monkeypatch, small_chunks, text, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    streamed, whole = both_ways(path, monkeypatch, column=1 if "b" in text[:12] or "y" in text[:20] else None)
    assert streamed.count == 300
    np.testing.assert_array_equal(streamed.values, whole.values)
    assert (streamed.levels, streamed.origin, streamed.step) == (whole.levels, whole.origin, whole.step)


@pytest.mark.parametrize("sep", [",", " ", ";"])
def test_a_streamed_single_row(tmp_path, monkeypatch, small_chunks, sep):
    path = tmp_path / "row.csv"
    path.write_text(sep.join(str(i % 10) for i in range(500)) + "\n\n# done\n")
    streamed, whole = both_ways(path, monkeypatch)
    assert streamed.count == 500 and streamed.values[:12].tolist() == list(range(10)) + [0, 1]
    np.testing.assert_array_equal(streamed.values, whole.values)
    assert any("one row of 500 numbers" in note for note in streamed.notes)


def test_streamed_errors_name_the_row_and_the_limit(tmp_path, monkeypatch, small_chunks):
    lines = ["v"] + [str(i % 5) for i in range(400)]
    lines[301] = "abc"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines))
    with pytest.raises(DataError, match="data row 301"):
        load_data(bad)
    row_then_rows = tmp_path / "rows.csv"
    row_then_rows.write_text(",".join("1" for _ in range(100)) + "\n1,2\n")
    with pytest.raises(DataError, match="more rows follow"):
        load_data(row_then_rows)
    monkeypatch.setattr(readers, "MAX_VALUES", 100)
    many = tmp_path / "many.csv"
    many.write_text("".join(f"{i % 3}\n" for i in range(1000)))
    with pytest.raises(DataError, match="too large to load"):
        load_data(many)  # refused while reading, not after building a list of every line


def test_a_small_file_does_not_reserve_the_byte_limit(tmp_path, monkeypatch):
    """read(n) allocates n bytes up front: a 10-byte file must not reserve MAX_BYTES (1 GiB)."""
    import tracemalloc

    path = tmp_path / "s.csv"
    path.write_text("1\n2\n3\n")
    tracemalloc.start()
    try:
        load_data(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, peak


def test_messages_list_a_bounded_number_of_names(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("x" for _ in range(5000)) + "\n")
    with pytest.raises(DataError) as excinfo:
        load_data(path)
    message = str(excinfo.value)
    assert "no numeric column" in message and "5,000 in all" in message and len(message) < 600


@pytest.mark.parametrize("gz", [False, True])
def test_a_lying_header_reserves_no_memory(tmp_path, gz):
    """A 100-byte IDX file whose header claims 500 MB is refused as truncated without reserving them."""
    import gzip
    import struct
    import tracemalloc

    data = bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 1000, 256, 256) + bytes(100)
    path = tmp_path / ("claim-idx3-ubyte" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) if gz else data)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="truncated"):
            load_data(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, peak
