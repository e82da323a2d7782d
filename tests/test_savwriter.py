"""Tests for the streaming SPSS .sav writer (round trips through pyreadstat)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartstart.synth._savwriter import SavColumn, SavWriter

LONG = "OPLNIVSOI2021AGG4HBmetNIRWO"

COLUMNS = [
    SavColumn("RINPERSOONSpa", "str", 1, label="Soort RIN", value_labels={"R": "RIN-persoon"}),
    SavColumn("RINPERSOON", "str", 9, label="Persoonsnummer"),
    SavColumn(
        LONG, "num", label="Hoogst behaalde opleiding",
        value_labels={1: "Basisonderwijs", 2: "Tussentijds beëindigd", 9.5: "Syrië"},
    ),
    SavColumn("OPLNIVSOI2016AGG4HB", "num", decimals=2),
    SavColumn("GBAGEBOORTELAND", "str", 4, value_labels={"5049": "Syrië", "6030": "Nederland"}),
    SavColumn("STATUS_LANG", "str", 12, value_labels={"beëindigd": "Tussentijds beëindigd"}),
]

DATA = {
    "RINPERSOONSpa": ["R", "R", None, "R"],
    "RINPERSOON": ["000012345", "", "123456789", "000000001"],
    LONG: [1.0, np.nan, 2.0, -3.25],
    "OPLNIVSOI2016AGG4HB": [1e300, 0.5, None, 151.0],
    "GBAGEBOORTELAND": ["5049", "6030", float("nan"), "7050"],
    "STATUS_LANG": ["beëindigd", "lopend", "", "Syrië"],
}


def _write(path: Path, columns, chunks, **kwargs) -> Path:
    with SavWriter(path, columns, **kwargs) as writer:
        for chunk in chunks:
            writer.write(chunk)
    return path


def _chunk(data: dict, start: int, stop: int) -> dict:
    return {name: list(values)[start:stop] for name, values in data.items()}


@pytest.fixture(params=[False, True], ids=["raw", "compressed"])
def compress(request: pytest.FixtureRequest) -> bool:
    return request.param


def test_round_trip_values_and_dictionary(tmp_path: Path, compress: bool) -> None:
    path = _write(tmp_path / "x.sav", COLUMNS, [DATA], compress=compress)
    df, meta = pyreadstat.read_sav(path)
    assert list(df.columns) == [c.name for c in COLUMNS]
    assert df["RINPERSOONSpa"].tolist() == ["R", "R", "", "R"]
    assert df["RINPERSOON"].tolist() == ["000012345", "", "123456789", "000000001"]
    assert df[LONG].tolist()[0] == 1.0 and math.isnan(df[LONG].tolist()[1])
    assert df[LONG].tolist()[2:] == [2.0, -3.25]
    assert df["OPLNIVSOI2016AGG4HB"].isna().tolist() == [False, False, True, False]
    assert df["OPLNIVSOI2016AGG4HB"].tolist()[::3] == [1e300, 151.0]
    assert df["GBAGEBOORTELAND"].tolist() == ["5049", "6030", "", "7050"]
    assert df["STATUS_LANG"].tolist() == ["beëindigd", "lopend", "", "Syrië"]
    assert meta.number_rows == 4
    assert meta.file_encoding == "UTF-8"
    assert meta.original_variable_types == {
        "RINPERSOONSpa": "A1", "RINPERSOON": "A9", LONG: "F8.0",
        "OPLNIVSOI2016AGG4HB": "F8.2", "GBAGEBOORTELAND": "A4", "STATUS_LANG": "A12",
    }
    assert meta.column_names_to_labels == {
        "RINPERSOONSpa": "Soort RIN", "RINPERSOON": "Persoonsnummer",
        LONG: "Hoogst behaalde opleiding", "OPLNIVSOI2016AGG4HB": None,
        "GBAGEBOORTELAND": None, "STATUS_LANG": None,
    }
    assert meta.variable_value_labels == {
        "RINPERSOONSpa": {"R": "RIN-persoon"},
        LONG: {1.0: "Basisonderwijs", 2.0: "Tussentijds beëindigd", 9.5: "Syrië"},
        "GBAGEBOORTELAND": {"5049": "Syrië", "6030": "Nederland"},
        "STATUS_LANG": {"beëindigd": "Tussentijds beëindigd"},
    }


def test_apply_value_formats(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.sav", COLUMNS, [DATA])
    df, _ = pyreadstat.read_sav(path, apply_value_formats=True)
    assert df["RINPERSOONSpa"].tolist() == ["RIN-persoon", "RIN-persoon", "", "RIN-persoon"]
    assert df[LONG].tolist()[0] == "Basisonderwijs"
    assert df[LONG].tolist()[2] == "Tussentijds beëindigd"
    assert df["GBAGEBOORTELAND"].tolist()[:2] == ["Syrië", "Nederland"]
    assert df["STATUS_LANG"].tolist()[0] == "Tussentijds beëindigd"


def test_many_writes_equal_one_write(tmp_path: Path, compress: bool,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    rng = np.random.default_rng(1)
    n = 1003
    data = {
        "RINPERSOONSpa": rng.choice(["R", "", "F"], n),
        "RINPERSOON": np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9),
        LONG: np.where(rng.random(n) < 0.2, np.nan, rng.integers(-120, 200, n)),
        "OPLNIVSOI2016AGG4HB": rng.normal(size=n),
        "GBAGEBOORTELAND": rng.choice(["5049", "6030", "    "], n),
        "STATUS_LANG": rng.choice(["beëindigd", "", "x" * 12], n),
    }
    one = _write(tmp_path / "one.sav", COLUMNS, [data], compress=compress)
    cuts = [0, 1, 8, 9, 500, 500, n]
    chunks = [{k: v[a:b] for k, v in data.items()} for a, b in zip(cuts, cuts[1:], strict=False)]
    many = _write(tmp_path / "many.sav", COLUMNS, chunks, compress=compress)
    assert one.read_bytes() == many.read_bytes()
    df, meta = pyreadstat.read_sav(one)
    assert meta.number_rows == n
    assert df["RINPERSOON"].tolist() == data["RINPERSOON"].tolist()
    np.testing.assert_array_equal(df[LONG].to_numpy(), data[LONG])
    np.testing.assert_array_equal(df["OPLNIVSOI2016AGG4HB"].to_numpy(),
                                  data["OPLNIVSOI2016AGG4HB"])
    assert df["GBAGEBOORTELAND"].tolist() == [s.strip() for s in data["GBAGEBOORTELAND"]]


def test_read_in_chunks(tmp_path: Path, compress: bool) -> None:
    n = 2500
    data = {
        "RINPERSOONSpa": ["R"] * n,
        "RINPERSOON": [f"{i:09d}" for i in range(n)],
        LONG: [float(i % 7) for i in range(n)],
        "OPLNIVSOI2016AGG4HB": [i / 4 for i in range(n)],
        "GBAGEBOORTELAND": ["5049"] * n,
        "STATUS_LANG": ["Syrië"] * n,
    }
    chunks = [_chunk(data, 0, 1000), _chunk(data, 1000, n)]
    path = _write(tmp_path / "x.sav", COLUMNS, chunks, compress=compress)
    parts = [df for df, _ in pyreadstat.read_file_in_chunks(pyreadstat.read_sav, path,
                                                            chunksize=700)]
    assert [len(p) for p in parts] == [700, 700, 700, 400]
    df = pd.concat(parts, ignore_index=True)
    assert df["RINPERSOON"].tolist() == data["RINPERSOON"]
    assert df[LONG].tolist() == data[LONG]
    assert df["OPLNIVSOI2016AGG4HB"].tolist() == data["OPLNIVSOI2016AGG4HB"]
    assert df["STATUS_LANG"].tolist() == data["STATUS_LANG"]


def test_pandas_read_spss(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.sav", COLUMNS, [pd.DataFrame(DATA)])
    df = pd.read_spss(path, convert_categoricals=False)
    assert list(df.columns) == [c.name for c in COLUMNS]
    assert df["RINPERSOON"].tolist() == DATA["RINPERSOON"]
    labelled = pd.read_spss(path)
    assert labelled[LONG].astype(str).tolist()[0] == "Basisonderwijs"


def test_input_kinds(tmp_path: Path) -> None:
    columns = [SavColumn("a", "str", 9), SavColumn("b", "str", 3), SavColumn("c", "num")]
    frame = pd.DataFrame({
        "a": pd.Series(["000012345", None, "Syrië"], dtype="string"),
        "b": pd.Series(["x", None, "ë"]).astype("category"),
        "c": pd.Series([1, None, 3], dtype="Int64"),
    })
    path = _write(tmp_path / "x.sav", columns, [frame])
    df, _ = pyreadstat.read_sav(path)
    assert df["a"].tolist() == ["000012345", "", "Syrië"]
    assert df["b"].tolist() == ["x", "", "ë"]
    assert df["c"].isna().tolist() == [False, True, False]


def test_missing_and_empty(tmp_path: Path) -> None:
    columns = [SavColumn("s", "str", 9), SavColumn("n", "num")]
    data = {"s": np.array(["", None, "000000012", "  x"], dtype=object),
            "n": [None, np.nan, 0.0, -1.7976931348623157e308]}
    df, meta = pyreadstat.read_sav(_write(tmp_path / "x.sav", columns, [data]))
    assert df["s"].tolist() == ["", "", "000000012", "  x"]
    assert df["n"].isna().tolist() == [True, True, False, True]
    assert meta.original_variable_types["s"] == "A9"
    assert df["s"].map(type).tolist() == [str] * 4


def test_cp1252_encoding(tmp_path: Path, compress: bool) -> None:
    columns = [SavColumn("Land", "str", 5, label="Geboorteland", value_labels={"Syrië": "S"})]
    path = _write(tmp_path / "x.sav", columns, [{"Land": ["Syrië", "NL"]}],
                  encoding="windows-1252", compress=compress)
    df, meta = pyreadstat.read_sav(path)
    assert df["Land"].tolist() == ["Syrië", "NL"]
    assert meta.variable_value_labels == {"Land": {"Syrië": "S"}}
    assert path.read_bytes().count("Syrië".encode("cp1252")) == 2


def test_short_name_collisions(tmp_path: Path) -> None:
    names = ["OPLNIVSOI2021AGG4HB", "OPLNIVSOI2016AGG4HB", "OPLNIVSOI", "2jaar", "with", "a.b"]
    columns = [SavColumn(name, "num") for name in names]
    path = _write(tmp_path / "x.sav", columns, [{name: [1.0] for name in names}])
    df, _ = pyreadstat.read_sav(path)
    assert list(df.columns) == names


def test_exception_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.sav"
    with pytest.raises(RuntimeError), SavWriter(path, COLUMNS) as writer:
        writer.write(DATA)
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_too_long_string(tmp_path: Path) -> None:
    path = tmp_path / "x.sav"
    columns = [SavColumn("RINPERSOON", "str", 9)]
    with pytest.raises(ValueError, match="RINPERSOON"), SavWriter(path, columns) as writer:
        writer.write({"RINPERSOON": ["0123456789"]})
    for values in (["Syriëëëëë"], np.array(["1234567890"]), np.array(["Syriëëëëë"])):
        with SavWriter(path, columns) as writer, pytest.raises(ValueError, match="RINPERSOON"):
            writer.write({"RINPERSOON": values})
    assert not path.with_name("x.sav.tmp").exists()


def test_rejects_bad_columns_and_data(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SavColumn("s", "str", 256)
    with pytest.raises(ValueError):
        SavWriter(tmp_path / "x.sav", [SavColumn("a", "num"), SavColumn("A", "num")])
    with SavWriter(tmp_path / "x.sav", [SavColumn("a", "num"), SavColumn("b", "num")]) as w:
        with pytest.raises(ValueError):
            w.write({"a": [1.0]})
        with pytest.raises(ValueError):
            w.write({"a": [1.0], "b": [1.0, 2.0]})
        w.write({"a": [1.0], "b": [2.0]})
        assert w.rows_written == 1
    assert pyreadstat.read_sav(tmp_path / "x.sav")[1].number_rows == 1


def test_zero_rows(tmp_path: Path, compress: bool) -> None:
    path = _write(tmp_path / "x.sav", COLUMNS, [], compress=compress)
    df, meta = pyreadstat.read_sav(path)
    assert len(df) == 0 and list(df.columns) == [c.name for c in COLUMNS]


_TEXT = st.text(alphabet=st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=40)
# +-DBL_MAX and its neighbour are SPSS's HIGHEST/LOWEST/SYSMIS markers: readers treat them as
# missing, so real data stays strictly inside them
_FLOATS = st.floats(-1e308, 1e308) | st.sampled_from([math.nan, math.inf, -math.inf])
_FORMS = st.sampled_from(["list", "numpy", "series"])


def _fit(text: str | None, width: int) -> str | None:
    """Cut ``text`` to at most ``width`` UTF-8 bytes."""
    while text is not None and len(text.encode("utf-8")) > width:
        text = text[:-1]
    return text


def _as_input(values: list, kind: str, form: str) -> object:
    """The same values as a list, a numpy array (str dtype if possible) or a pandas Series."""
    if form == "list":
        return values
    if form == "series":
        return pd.Series(values, dtype=object if kind == "str" else float)
    has_none = kind == "str" and None in values
    return np.array(values, dtype=object if has_none else None)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[SavColumn], dict[str, list], dict[str, str]]:
    """Columns, their values as lists, and the input form of each column."""
    n_cols, n_rows = draw(st.integers(1, 5)), draw(st.integers(0, 12))
    columns, data, forms = [], {}, {}
    for i in range(n_cols):
        if draw(st.booleans()):
            width = draw(st.integers(1, 40))
            texts = draw(st.lists(_TEXT | st.none(), min_size=n_rows, max_size=n_rows))
            columns.append(SavColumn(f"Str{i}Kolom", "str", width))
            data[columns[-1].name] = [_fit(t, width) for t in texts]
        else:
            columns.append(SavColumn(f"num{i}", "num", decimals=draw(st.integers(0, 4))))
            data[columns[-1].name] = draw(st.lists(_FLOATS, min_size=n_rows, max_size=n_rows))
        forms[columns[-1].name] = draw(_FORMS)
    return columns, data, forms


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_tables(), compress=st.booleans(), split=st.integers(0, 12))
def test_property_round_trip(tmp_path: Path, table, compress: bool, split: int) -> None:
    columns, data, forms = table
    path = tmp_path / "p.sav"
    n = len(next(iter(data.values())))
    kinds = {c.name: c.kind for c in columns}
    chunks = [
        {k: _as_input(v[a:b], kinds[k], forms[k]) for k, v in data.items()}
        for a, b in ((0, split), (split, n))
    ]
    _write(path, columns, chunks, compress=compress)
    df, meta = pyreadstat.read_sav(path)
    assert meta.number_rows == n
    assert list(df.columns) == [c.name for c in columns]
    for col in columns:
        got, expected = df[col.name].tolist(), data[col.name]
        if col.kind == "str":
            assert got == [(v or "").rstrip(" ") for v in expected]
        else:
            assert [math.isnan(v) for v in got] == [math.isnan(v) for v in expected]
            assert [v for v in got if not math.isnan(v)] == [
                v for v in expected if not math.isnan(v)
            ]
