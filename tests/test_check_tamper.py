"""`smartstart check` trusts content, not the checksum file (issue 12): tampered copies of the
demo bundle, each with every hash made to fit again, fail with a problem of a stated kind."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import vl_convert
from bundle_checked import checked
from test_run_bundle import demo  # noqa: F401 - the demo bundle, built once for the module

from smartstart.bundle import check_bundle
from smartstart.bundle._write import CHECKSUMS, sha256


@pytest.fixture
def bundle(demo, tmp_path) -> Path:  # noqa: F811
    return Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))


def _json(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def _add_to_checksums(root: Path, path: str) -> None:
    with open(root / CHECKSUMS, "a", encoding="utf-8") as listing:
        listing.write(f"{sha256(root / path)}  {path}\n")


def _fit_hashes(root: Path) -> None:
    """What an attacker who edits the manifest does: every declared hash and the checksum
    file made to fit the files as they are now."""
    manifest = _json(root / "manifest.json")
    for entry in manifest["files"]:
        if (root / entry["path"]).is_file():
            entry["sha256"] = sha256(root / entry["path"])
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    lines = [f"{sha256(p)}  {p.relative_to(root).as_posix()}"
             for p in sorted(root.rglob("*")) if p.is_file() and p.name != CHECKSUMS]
    (root / CHECKSUMS).write_text("\n".join(lines) + "\n", "utf-8")


def _kinds(root: Path) -> set[tuple[str, str]]:
    return {(p.where, p.kind) for p in check_bundle(root)[0]}


def _checked(root: Path) -> tuple[set[tuple[str, str]], int]:
    """What check_bundle finds in ``root`` (where, kind) and the exit code of `smartstart
    check`, from one check."""
    found = checked(root)
    return found.kinds, found.code


#: shaped like the match table (a block per partner file), so it can borrow its rules
EXTRA = pd.DataFrame({"partner": ["voedselbank", "voedselbank"],
                      "status": ["doelgroep", "niet gekoppeld"], "count": [3, 41]})


def test_the_untouched_bundle_passes(bundle):
    assert _checked(bundle) == (set(), 0)


def test_a_table_added_to_the_checksums_only_fails(bundle):
    EXTRA.to_csv(bundle / "tables" / "extra.csv")
    _add_to_checksums(bundle, "tables/extra.csv")
    assert _checked(bundle) == ({("tables/extra.csv", "undeclared")}, 1)


def test_a_table_declared_with_borrowed_rules_fails_the_threshold(bundle):
    EXTRA.to_csv(bundle / "tables" / "extra.csv")
    manifest = _json(bundle / "manifest.json")
    log = _json(bundle / "disclosure_log.json")
    match = next(o for o in manifest["outputs"] if o["name"] == "match")
    manifest["outputs"].append({**match, "name": "extra", "files": ["tables/extra.csv"]})
    manifest["files"].append({"path": "tables/extra.csv", "kind": "table_csv",
                              "output": "extra", "sha256": ""})
    verdict = next(o for o in log["outputs"] if o["name"] == "match")
    log["outputs"].append({**verdict, "name": "extra", "suppressed": []})
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (bundle / "disclosure_log.json").write_text(json.dumps(log), "utf-8")
    # variables.csv must show the new output too, or it gives the tamper away by itself
    variables = pd.read_csv(bundle / "variables.csv", index_col="variable")
    variables.assign(extra=variables["match"]).to_csv(bundle / "variables.csv")
    _fit_hashes(bundle)
    # and the workbooks (Dutch, English) lack the added table (issue 17)
    assert _checked(bundle) == ({("extra", "rule_threshold"), ("exports/tabellen.xlsx", "export"),
                                 ("exports/en/tables.xlsx", "export")}, 1)


def test_weaker_settings_in_a_verdict_fail(bundle):
    log = _json(bundle / "disclosure_log.json")
    log["outputs"][0]["settings"]["min_cell"] = 3
    (bundle / "disclosure_log.json").write_text(json.dumps(log), "utf-8")
    _fit_hashes(bundle)
    assert _kinds(bundle) == {(log["outputs"][0]["name"], "settings")}


def _render_again(root: Path, chart: str) -> None:
    """The SVG drawn again from the (tampered) spec, as the report does."""
    manifest = _json(root / "manifest.json")
    output = next(o for o in manifest["outputs"] if o["name"] == f"chart_{chart}")
    spec = _json(root / "charts" / f"{chart}.vl.json")
    svg = vl_convert.vegalite_to_svg(spec, format_locale="nl-NL", allowed_base_urls=[])
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    label = output["title"].replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{label}" focusable="false"', 1)
    (root / "charts" / f"{chart}.svg").write_text(svg, "utf-8")


def _set_datum(root: Path, chart: str, field: str, value: float) -> None:
    path = root / "charts" / f"{chart}.vl.json"
    spec = _json(path)
    rows = next(rows for rows in spec["datasets"].values() if rows and field in rows[0])
    rows[0][field] = value
    path.write_text(json.dumps(spec, ensure_ascii=False), "utf-8")


def test_a_chart_datum_of_3_fails(bundle):
    _set_datum(bundle, "koppeling_nl", "count", 3)
    _render_again(bundle, "koppeling_nl")
    _fit_hashes(bundle)
    # (and the chart laid out for a phone no longer shows the data of the chart it lays out)
    assert _checked(bundle) == ({("charts/koppeling_nl.vl.json", "chart_datum"),
                                 ("charts/koppeling_smal_nl.vl.json", "chart_variant")}, 1)


def test_a_chart_datum_moved_to_another_row_or_a_guide_changed_fails(bundle):
    frame = pd.read_parquet(bundle / "tables" / "risk_calibration.parquet")
    other = frame["observed"].dropna().iloc[-1]  # a published cell, of another row
    _set_datum(bundle, "kalibratie_nl", "observed", float(other))
    _set_datum(bundle, "oddsratios_nl", "one", 3.3333333)  # no cell, no guide (0, 1)
    _fit_hashes(bundle)
    kinds = _kinds(bundle)
    assert {("charts/kalibratie_nl.vl.json", "chart_datum"),
            ("charts/oddsratios_nl.vl.json", "chart_datum")} <= kinds
    assert {k for _, k in kinds} == {"chart_datum", "chart_svg", "chart_variant"}


def test_an_svg_that_is_not_its_spec_fails(bundle):
    path = bundle / "charts" / "typen_nl.svg"
    path.write_text(path.read_text("utf-8").replace("</svg>", "<text>3</text></svg>"), "utf-8")
    _fit_hashes(bundle)
    assert _kinds(bundle) == {("charts/typen_nl.svg", "chart_svg")}


def test_a_deleted_file_fails(bundle):
    (bundle / "texts" / "model_card_en.md").unlink()
    lines = (bundle / CHECKSUMS).read_text("utf-8").splitlines()
    (bundle / CHECKSUMS).write_text("\n".join(x for x in lines if "model_card_en" not in x)
                                    + "\n", "utf-8")
    assert _checked(bundle) == ({("texts/model_card_en.md", "missing")}, 1)


def test_a_csv_that_differs_from_its_parquet_fails(bundle):
    path = bundle / "tables" / "match.csv"
    frame = pd.read_csv(path, index_col=0)
    frame.loc[frame.index[0], "count"] = 3
    frame.to_csv(path)
    _fit_hashes(bundle)
    assert _kinds(bundle) == {("tables/match.csv", "csv_parquet")}


def test_a_csv_written_another_way_with_the_same_cells_passes(bundle):
    """A CSV that is not byte for byte the writer's (Windows line ends, every field quoted) is
    read cell by cell and passes when it shows the same cells; one changed cell still fails."""
    path = bundle / "tables" / "match.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.to_csv(path, index=False, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    _fit_hashes(bundle)
    assert path.read_bytes().endswith(b'"\r\n')
    assert _kinds(bundle) == set()
    frame.loc[frame.index[-1], "count"] = str(int(frame["count"].iloc[-1]) + 1)
    frame.to_csv(path, index=False, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    _fit_hashes(bundle)
    assert _kinds(bundle) == {("tables/match.csv", "csv_parquet")}


def test_a_number_outside_the_data_fails(bundle):
    path = bundle / "charts" / "kalibratie_nl.vl.json"
    spec = _json(path)
    layer = next(x for x in spec["layer"] if "scale" in x.get("encoding", {}).get("x", {}))
    layer["encoding"]["x"]["scale"]["domain"] = [0, 3]
    path.write_text(json.dumps(spec, ensure_ascii=False), "utf-8")
    _render_again(bundle, "kalibratie_nl")
    _fit_hashes(bundle)
    assert _kinds(bundle) == {("charts/kalibratie_nl.vl.json", "chart_number")}


def test_a_table_declared_with_empty_rules_fails(bundle):
    EXTRA.to_parquet(bundle / "tables" / "extra.parquet")
    manifest = _json(bundle / "manifest.json")
    log = _json(bundle / "disclosure_log.json")
    manifest["outputs"].append({"name": "extra", "kind": "table", "variables": [], "rules": {},
                                "files": ["tables/extra.parquet"]})
    manifest["files"].append({"path": "tables/extra.parquet", "kind": "table_parquet",
                              "output": "extra", "sha256": ""})
    log["outputs"].append({"name": "extra", "status": "pass", "checks": [], "suppressed": []})
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (bundle / "disclosure_log.json").write_text(json.dumps(log), "utf-8")
    variables = pd.read_csv(bundle / "variables.csv", index_col="variable")
    variables.assign(extra=0).to_csv(bundle / "variables.csv")
    _fit_hashes(bundle)
    # and the workbooks (Dutch, English) lack the added table (issue 17)
    assert _kinds(bundle) == {("extra", "rules_missing"), ("exports/tabellen.xlsx", "export"),
                              ("exports/en/tables.xlsx", "export")}


def test_count_declarations_that_cannot_be_read_are_named_at_once(bundle):
    """Two tables' ``cells`` edited: each problem is named in one register problem, not the
    first only, and nothing is attacked."""
    manifest = _json(bundle / "manifest.json")
    counting = [o for o in manifest["outputs"]
                if isinstance(o.get("rules"), dict) and o["rules"].get("cells")
                and o["rules"]["cells"].get("columns")]
    first, second = counting[0], counting[1]
    first["rules"]["cells"]["row"] = ["level", "no_such_column", "level", "kind"]
    column = next(iter(second["rules"]["cells"]["columns"]))
    second["rules"]["cells"]["columns"][column] = [[1, [["factor", "equals", ["1"]]]]]
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    _fit_hashes(bundle)
    problems = [p for p in check_bundle(bundle)[0] if p.kind == "register"]
    assert len(problems) == 1
    text = problems[0].problem
    assert "cannot be read together" in text
    assert f"{first['name']}: cells" in text and "no_such_column" in text
    assert f"{second['name']}: cells.columns[{column!r}]" in text and "'equals'" in text


def test_a_bug_in_the_register_is_not_a_register_problem(bundle, monkeypatch):
    """Only a declaration that cannot be read, counts that contradict each other, or an LP
    HiGHS cannot solve make a register problem; anything else fails loudly, with its trace."""
    from smartstart.disclosure import _statements

    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(_statements, "statements_of", broken)
    with pytest.raises(TypeError, match="a bug"):
        check_bundle(bundle)


def _rules_and_tables(root: Path) -> list[tuple[dict, pd.DataFrame]]:
    """Each table output's stated rules with its table as published (the parquet)."""
    manifest = _json(root / "manifest.json")
    found = []
    for output in manifest["outputs"]:
        parquet = next((f for f in output.get("files", ()) if f.endswith(".parquet")), None)
        if isinstance(output.get("rules"), dict) and parquet:
            found.append((output["rules"], pd.read_parquet(root / parquet)))
    return found


def test_rules_that_pass_validation_can_be_applied(demo):  # noqa: F811
    """Any edit of a table's stated rules, and of its columns, is either named by the
    validation (``Unreadable``) or the gate's checks apply the rules without an error: the
    check catches no other error, so a gap in the validation would fail the check with a
    trace (reference: ``check_published`` itself, on every draw)."""
    from dataclasses import fields

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from smartstart.disclosure import Rules, Settings, Unreadable, check_published, rules_from

    stated = _rules_and_tables(demo / "bundle")
    assert len(stated) > 20
    field_names = [f.name for f in fields(Rules) if f.name != "cells"]  # cells: the register's
    outcomes = {"validated": 0, "named": 0}

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def edited(data):
        rules, frame = data.draw(st.sampled_from(stated))
        names = st.sampled_from([*map(str, frame.columns), "no_such_column", "check", "value"])
        scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 30),
                           st.floats(allow_nan=False, allow_infinity=False), names)
        value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=5), max_leaves=12)
        rules = dict(rules)
        for name in data.draw(st.lists(st.sampled_from(field_names), min_size=1, max_size=3)):
            rules[name] = data.draw(value)
        frame = frame.copy()
        if len(frame.columns) and data.draw(st.booleans()):
            column = data.draw(st.sampled_from(list(frame.columns)))
            frame[column] = data.draw(st.sampled_from(
                [["x"] * len(frame), pd.Timestamp("2020-01-01"), None, 3]))
        try:
            parsed = rules_from(rules, frame)
        except Unreadable as error:
            assert error.reasons and all(isinstance(r, str) for r in error.reasons)
            outcomes["named"] += 1
            return
        check_published(frame, parsed, Settings())
        outcomes["validated"] += 1

    edited()
    # both ways taken: most random edits are named; 18-30 of 300 passed in the runs seen
    assert outcomes["named"] > 50 and outcomes["validated"] >= 5, outcomes


def test_rules_naming_what_the_table_lacks_are_named_and_the_rest_is_checked(bundle):
    manifest = _json(bundle / "manifest.json")
    counting = next(o for o in manifest["outputs"]
                    if isinstance(o.get("rules"), dict) and o["rules"].get("counts"))
    counting["rules"]["nested"] = ["no_such_column", counting["rules"]["counts"][0], "events"]
    counting["rules"]["rounded"] = "five"
    manifest["pilot"]["study"]["disclosure"] = ["min_cell", 3]
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    _fit_hashes(bundle)
    problems = check_bundle(bundle)[0]
    assert {(p.where, p.kind) for p in problems} == {
        (counting["name"], "rules_missing"), ("manifest.json", "settings")}
    text = next(p.problem for p in problems if p.kind == "rules_missing")
    assert "rounded" in text and "valid integer" in text  # every field that is not rules
    settings = next(p.problem for p in problems if p.kind == "settings")
    assert "CBS defaults" in settings


def test_a_bug_in_a_rule_check_is_not_a_bundle_problem(bundle, monkeypatch):
    """Rules that pass the validation are applied outside any except: an error there is a bug
    and fails with its trace (before, every TypeError, ValueError, KeyError and IndexError of
    the checks became "rules cannot be applied")."""
    from smartstart.bundle import _check

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(_check, "check_published", broken)
    with pytest.raises(KeyError, match="a bug"):
        check_bundle(bundle)


def test_a_bundle_written_before_the_codes_were_words_still_passes(bundle):
    """A bundle written before its exports said the analyses' English codes in words
    ("higher" -> "hoger"; no ``export_words`` in its manifest) shows the codes, and check reads
    it as written (helper-42: every such bundle failed check, and the dashboard said so). The
    same files under a manifest that claims the words are found."""
    from smartstart.bundle._exports import rewrite_derived

    manifest = _json(bundle / "manifest.json")
    assert manifest.pop("export_words") == 2
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    rewrite_derived(bundle)  # the exports as the earlier version wrote them: codes
    _fit_hashes(bundle)
    with open(bundle / "exports" / "csv" / "profile_households.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    said = {r["Richting"] for r in rows} - {"x"}  # x: a cell the gate withheld
    assert "higher" in said and said <= {"higher", "lower", "similar"}, said
    assert _checked(bundle) == (set(), 0)
    manifest["export_words"] = 2
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    _fit_hashes(bundle)
    kinds, code = _checked(bundle)
    assert code == 1 and kinds, kinds
    # a bundle of a newer smartstart's words: said so, not a mismatch in every cell
    manifest["export_words"] = 99
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    _fit_hashes(bundle)
    assert _checked(bundle) == ({("manifest.json", "version")}, 1)
