"""Partner files as CBS returns them: `.sav` (text dates, SPSS dates), CSV with YYYYMMDD,
parquet with typed dates, keys CBS could not link; each gives the planted target group."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from run_variants import truth

from smartstart.linking import link, read_partner
from smartstart.pilot import Study, TargetGroup, Window
from smartstart.synth import PARTNER_PATH

WINDOW = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))


@pytest.fixture(scope="module")
def world(run_world):
    root = run_world  # built once per session, read only here
    csv = pd.read_csv(root / "cbs" / PARTNER_PATH, sep=";", encoding="latin-1", dtype=str,
                      keep_default_na=False)
    return root, csv, truth(root)["demo"]["foodbank"]


def _study(**target) -> Study:
    spec = {"partner_file": "v", "start_column": "startdatum", "end_column": "einddatum",
            "window": WINDOW, **target}
    return Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1),
                 target_group=TargetGroup(**spec))


def _target_households(root, study: Study, partner) -> tuple[int, dict[str, int]]:
    linked = link(root / "store", study, partner)
    status = dict(zip(linked.match["link_status"], linked.match["n"], strict=True))
    return linked.db.count("target_households"), status


def _typed(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text.where(text != ""), format="%d-%m-%Y").dt.date


def test_the_csv_gives_the_planted_target_group(world):
    root, _, food = world
    n, status = _target_households(root, _study(), root / "cbs" / PARTNER_PATH)
    assert n == food["target_households"]
    assert status["niet gekoppeld"] == food["unmatched_rows"]


def test_a_sav_with_text_dates_gives_the_same_target_group(world, tmp_path):
    root, csv, food = world
    path = tmp_path / "PROJ001VOEDSELBANKCBKV1.sav"
    pyreadstat.write_sav(csv, path)
    n, status = _target_households(root, _study(), path)
    assert n == food["target_households"]
    assert status["niet gekoppeld"] == food["unmatched_rows"]


def test_a_sav_with_spss_dates_and_other_casing_gives_the_same_target_group(world, tmp_path):
    root, csv, food = world
    frame = pd.DataFrame({"rinpersoons": csv["RINPERSOONS"], "Rinpersoon": csv["RINPERSOON"],
                          "StartDatum": _typed(csv["startdatum"]),
                          "EindDatum": _typed(csv["einddatum"])})
    path = tmp_path / "PROJ001VOEDSELBANKCBKV2.sav"
    pyreadstat.write_sav(frame, path)
    back, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.original_variable_types["StartDatum"].startswith("DATE")  # a real SPSS date
    n, status = _target_households(root, _study(), path)
    assert n == food["target_households"]
    assert status["niet gekoppeld"] == food["unmatched_rows"]


def test_yyyymmdd_text_and_typed_parquet_dates(world, tmp_path):
    root, csv, food = world
    ymd = csv.assign(startdatum=_typed(csv["startdatum"]).map(lambda d: d.strftime("%Y%m%d")),
                     einddatum=_typed(csv["einddatum"]).map(
                         lambda d: "" if pd.isna(d) else d.strftime("%Y%m%d")))
    path = tmp_path / "ymd.csv"
    ymd.to_csv(path, sep=";", index=False, encoding="latin-1")
    assert _target_households(root, _study(date_format="YYYYMMDD"), path)[0] == \
        food["target_households"]
    typed = csv.assign(startdatum=pd.to_datetime(_typed(csv["startdatum"])),
                       einddatum=pd.to_datetime(_typed(csv["einddatum"])))
    path = tmp_path / "typed.parquet"
    typed.to_parquet(path, index=False)
    assert _target_households(root, _study(), path)[0] == food["target_households"]


def test_an_all_zero_or_empty_key_is_a_row_cbs_could_not_link(world, tmp_path):
    root, csv, food = world
    linked = csv["RINPERSOONS"] == "R"
    changed = csv.copy()
    first = changed.index[linked][:2]
    changed.loc[first[0], "RINPERSOON"] = "000000000"
    changed.loc[first[1], "RINPERSOON"] = ""
    path = tmp_path / "zero.sav"
    pyreadstat.write_sav(changed, path)
    frame = read_partner(path, _study().target_group)
    assert frame["rinpersoon"].isna().sum() == 2
    _, status = _target_households(root, _study(), path)
    assert status["niet gekoppeld"] == food["unmatched_rows"] + 2


def test_a_sav_with_spss_dates_from_the_streaming_writer(world, tmp_path):
    """The repo's own writer: keys as A-strings, client periods as SPSS DATE11 numbers."""
    from smartstart.synth._savwriter import SavColumn, SavWriter, spss_dates

    root, csv, food = world

    def days(text: pd.Series) -> np.ndarray:
        dates = pd.to_datetime(text.where(text != ""), format="%d-%m-%Y")
        return ((dates - pd.Timestamp("1970-01-01")).dt.days.fillna(-1)).to_numpy()

    path = tmp_path / "PROJ001VOEDSELBANKCBKV3.sav"
    columns = [SavColumn("RINPERSOONS", "str", 1), SavColumn("RINPERSOON", "str", 9),
               SavColumn("startdatum", "num", date=True), SavColumn("einddatum", "num", date=True)]
    with SavWriter(path, columns) as writer:
        writer.write({"RINPERSOONS": csv["RINPERSOONS"].to_numpy(),
                      "RINPERSOON": csv["RINPERSOON"].to_numpy(),
                      "startdatum": spss_dates(days(csv["startdatum"])),
                      "einddatum": spss_dates(days(csv["einddatum"]))})
    n, status = _target_households(root, _study(), path)
    assert n == food["target_households"]
    assert status["niet gekoppeld"] == food["unmatched_rows"]


def test_a_numeric_key_in_a_sav_is_read_as_nine_digits(world, tmp_path):
    """SPSS may hold RINPERSOON as a number (F9): 12345 is person 000012345."""
    root, csv, food = world
    numeric = csv.assign(RINPERSOON=pd.to_numeric(csv["RINPERSOON"], errors="coerce"))
    path = tmp_path / "numeric.sav"
    pyreadstat.write_sav(numeric, path)
    frame = read_partner(path, _study().target_group)
    linked = csv["RINPERSOONS"] == "R"
    assert (frame.loc[linked, "rinpersoon"] == csv.loc[linked, "RINPERSOON"]).all()
    assert _target_households(root, _study(), path)[0] == food["target_households"]


def test_a_csv_key_that_lost_its_leading_zeros_links_as_nine_digits(world, tmp_path):
    """A partner file saved from a spreadsheet: every key a number (012345678 became 12345678,
    half of them 12345678.0); before, such keys were 'niet gevonden' (outsider helper-39).
    Read back as the delivered keys, with the planted target group."""
    root, csv, food = world
    digits = csv["RINPERSOON"].str.fullmatch(r"\d{9}") & (csv["RINPERSOON"] != "000000000")
    spreadsheet = csv["RINPERSOON"].where(~digits, csv["RINPERSOON"].str.lstrip("0"))
    spreadsheet[1::2] = spreadsheet[1::2].where(~digits[1::2], spreadsheet[1::2] + ".0")
    assert digits.sum() > 20 and spreadsheet.str.split(".").str[0].str.len().lt(9).any()
    path = tmp_path / "spreadsheet.csv"
    csv.assign(RINPERSOON=spreadsheet).to_csv(path, sep=";", index=False, encoding="latin-1")
    frame = read_partner(path, _study().target_group)
    assert (frame.loc[digits, "rinpersoon"] == csv.loc[digits, "RINPERSOON"]).all()
    n, status = _target_households(root, _study(), path)
    assert n == food["target_households"]
    assert status["niet gekoppeld"] == food["unmatched_rows"]


@pytest.mark.parametrize(("sep", "encoding"), [(",", "latin-1"), ("\t", "latin-1"),
                                               (";", "utf-8-sig"), (",", "utf-8-sig"),
                                               (";", "utf-8")])
def test_a_csv_as_excel_or_pandas_writes_it_gives_the_same_rows(world, tmp_path, sep, encoding):
    """Excel's 'CSV UTF-8' (a byte-order mark) and a comma- or tab-separated file are read by
    their header; before, the first was 'column ï»¿RINPERSOONS not found' and the second all
    columns not found (outsider helper-41). The reference: the `;`-separated Latin-1 file."""
    root, csv, _ = world
    plain = tmp_path / "plain.csv"
    csv.assign(naam="Zoë").to_csv(plain, sep=";", index=False, encoding="latin-1")
    other = tmp_path / "other.csv"
    csv.assign(naam="Zoë").to_csv(other, sep=sep, index=False, encoding=encoding)
    expected = read_partner(plain, _study().target_group)
    pd.testing.assert_frame_equal(read_partner(other, _study().target_group), expected)
    assert len(expected) == len(csv) > 20


def test_a_csv_whose_rows_use_another_separator_than_its_header_is_refused(world, tmp_path):
    from smartstart.sources.errors import SourceError

    _, csv, _ = world
    path = tmp_path / "mixed.csv"
    rows = csv.to_csv(sep=",", index=False).splitlines()[1:]
    path.write_text(";".join(csv.columns) + "\n" + "\n".join(rows) + "\n", encoding="latin-1")
    with pytest.raises(SourceError, match=rf"header is separated by ';', but {len(rows)} "
                                          r"row\(s\) by ',' \(first: row 2\)"):
        read_partner(path, _study().target_group)
