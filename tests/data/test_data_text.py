"""Tables: csv/tsv/txt with sniffed delimiters, headers and column choice."""

from __future__ import annotations

import numpy as np
import pytest

from vdq_gui.data import load_data


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def originals(data):
    """The values in the file's units (level k is origin + k * step)."""
    return data.to_original(data.values).tolist()


def test_csv_with_header(tmp_path):
    data = load_data(write(tmp_path, "x.csv", "value\n3\n1\n4\n1\n5\n"))
    assert data.kind == "1d" and originals(data) == [3, 1, 4, 1, 5]
    # integers start at their minimum (issue 11): 1..5 is K = 5, not 6 with an empty level 0
    assert data.values.tolist() == [2, 0, 3, 0, 4] and data.levels == 5 and data.origin == 1 and data.name == "x"
    assert any("smallest value" in n for n in data.notes)


def test_origin_zero_keeps_zero_and_levels_count_from_zero(tmp_path):
    path = write(tmp_path, "hi.csv", "\n".join(str(v) for v in range(70, 163)))
    assert load_data(path).levels == 93
    kept = load_data(path, origin=0)
    assert kept.levels == 163 and kept.values.min() == 70
    assert load_data(path, levels=200).origin == 0  # a stated K counts from 0, as the built-ins do


def test_tsv_and_txt(tmp_path):
    assert originals(load_data(write(tmp_path, "x.tsv", "a\tb\n1\t7\n2\t8\n"), column="b")) == [7, 8]
    txt = write(tmp_path, "x.txt", "# counts\n0\n\n2\n1\n")
    assert originals(load_data(txt)) == [0, 2, 1]


@pytest.mark.parametrize("sep", [",", ";", "\t", "  "])
def test_delimiters_and_column_by_name_or_index(tmp_path, sep):
    path = write(tmp_path, "t.csv", f"name{sep}x{sep}y\nab{sep}1{sep}5\ncd{sep}2{sep}6\n")
    assert originals(load_data(path, column="y")) == [5, 6]
    assert originals(load_data(path, column=2)) == [5, 6]
    default = load_data(path)
    assert originals(default) == [1, 2]
    assert any("'x'" in note and "column=" in note for note in default.notes)


def test_headerless_columns_by_index(tmp_path):
    path = write(tmp_path, "t.csv", "1,9\n2,8\n")
    assert originals(load_data(path, column="1")) == [9, 8]


def test_header_with_spaces_stays_one_column(tmp_path):
    assert originals(load_data(write(tmp_path, "t.csv", "my value\n1\n2\n"))) == [1, 2]


def test_real_values_one_decimal(tmp_path):
    values = [-2.3, 0.1, 0.30000000000000004, 1.6]
    data = load_data(write(tmp_path, "r.csv", "\n".join(map(repr, values))))
    assert data.step == pytest.approx(0.1) and data.origin == pytest.approx(-2.3)
    assert data.levels == 40
    np.testing.assert_allclose(data.to_original(data.values), values)
    assert any("step 0.1" in n and "origin -2.3" in n for n in data.notes)


def test_negative_integers_are_shifted(tmp_path):
    data = load_data(write(tmp_path, "n.csv", "-5\n0\n3\n"))
    assert data.values.tolist() == [0, 5, 8] and data.origin == -5 and data.levels == 9
    assert any("+5" in n for n in data.notes)


def test_levels_given(tmp_path, fails):
    path = write(tmp_path, "k.csv", "0\n7\n")
    assert load_data(path, levels=10).levels == 10
    fails(path, "cover", levels=5)
    fails(path, "at least 2", levels=-1)


@pytest.mark.parametrize(("text", "word", "options"), [
    ("name\nalice\nbob\n", "no numeric column", {}),
    ("x\n1\nabc\n", "numeric", {}),
    ("x\n1\nnan\n", "NaN", {}),
    ("x\n1\ninf\n", "infinite", {}),
    ("x\n4\n4\n", "one level", {}),
    ("", "empty", {}),
    ("# only a comment\n", "empty", {}),
    ("x\n", "no data rows", {}),
    ("a,b\n1,2\n", "no column 'c'", {"column": "c"}),
    ("a,b\n1,2\n", "no column", {"column": 5}),
    ("x\n0.1234567\n0.5\n0.71\n0.9371\n", "continuous", {}),
    ("x\n1\n2\n", "only applies", {"key": "a"}),
])
def test_bad_tables(tmp_path, fails, text, word, options):
    fails(write(tmp_path, "bad.csv", text), word, **options)


def test_text_after_the_sniffed_lines(tmp_path, fails):
    fails(write(tmp_path, "late.csv", "x\n" + "1\n" * 60 + "abc\n"), "data row 61")


def test_binary_file_named_csv(tmp_path, fails):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    fails(path, "text")
