"""Exports for the people who work in Excel: every published table of a bundle in one workbook
(``exports/tabellen.xlsx``) and as a CSV in the Dutch Excel dialect (``exports/csv/NAME.csv``).

Both are written into the bundle when it is written, from the staged tables as published (the
parquet) and their verdicts, so they are declared in the manifest and ``smartstart check``
reads them back and compares every cell (``export_problems``). What a cell shows:

- a number, rounded as published: to the decimals the table's rules state for it
  (``precision``, per column or per row), otherwise to ``DECIMALS``; counts as whole numbers;
- a cell the gate blanked: the label it published (``<10``, ``x``), from the disclosure log;
- any other empty cell: ``NOT_APPLICABLE`` (not applicable, never 0).

The exact numbers stay in ``tables/NAME.parquet``; ``tables/NAME.csv`` holds the same rounded
numbers for scripts (comma, decimal point, no index column where the index is only a row
number).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

WORKBOOK = "exports/tabellen.xlsx"
CSV_NL = "exports/csv/{name}.csv"
FRONT = "Toelichting"
NAMES = "Namen"
#: the finest precision the report shows (a share as 12.3 %, a p-value as 0.012)
DECIMALS = 3
NOT_APPLICABLE = "–"
_SHEET_LEN = 31
NOT_TABLES = ("text", "chart", "map")

#: column names of the package's tables in words (nl, en); a column made of a variable and
#: suffixes (``young_mother_rate_low``) is named from labels.csv and ``_SUFFIXES``
HEADERS: dict[str, tuple[str, str]] = {
    "step": ("Stap", "Step"), "rows_in": ("Aantal in", "Rows in"),
    "rows_out": ("Aantal uit", "Rows out"), "dropped": ("Afgevallen", "Dropped"),
    "reason": ("Reden", "Reason"), "partner": ("Partner", "Partner"),
    "status": ("Status", "Status"), "count": ("Aantal", "Number"),
    "factor": ("Kenmerk", "Characteristic"), "factors": ("Kenmerken", "Characteristics"),
    "type": ("Type", "Type"), "level": ("Categorie", "Level"), "label": ("Naam", "Name"),
    "statistic": ("Maat", "Statistic"), "n": ("Totaal (n)", "Total (n)"),
    "value": ("Waarde", "Value"), "ci_low": ("95%-BI ondergrens", "95% CI lower"),
    "ci_high": ("95%-BI bovengrens", "95% CI upper"), "diff": ("Verschil", "Difference"),
    "smd": ("Gestandaardiseerd verschil", "Standardised difference"),
    "p": ("p-waarde", "p-value"), "p_value": ("p-waarde", "p-value"),
    "q_value": ("q-waarde (gecorrigeerd)", "q-value (adjusted)"),
    "direction": ("Richting", "Direction"), "phrase": ("Zin", "Phrase"),
    "band": ("Duur", "Duration"), "share": ("Aandeel", "Share"), "term": ("Term", "Term"),
    "coef": ("Coëfficiënt", "Coefficient"), "se": ("Standaardfout", "Standard error"),
    "z": ("z", "z"),
    "interaction": ("Interactie (odds ratio)", "Interaction (odds ratio)"),
    "odds_ratio": ("Odds ratio", "Odds ratio"),
    "or_low": ("Odds ratio ondergrens", "Odds ratio lower"),
    "or_high": ("Odds ratio bovengrens", "Odds ratio upper"), "check": ("Controle", "Check"),
    "note": ("Toelichting", "Note"), "metric": ("Maat", "Metric"), "group": ("Groep", "Group"),
    "events": ("Met uitkomst", "With outcome"), "non_events": ("Zonder uitkomst",
                                                               "Without outcome"),
    "observed": ("Waargenomen", "Observed"), "predicted": ("Voorspeld", "Predicted"),
    "expected_events": ("Verwacht aantal", "Expected number"),
    "attribute": ("Groepskenmerk", "Attribute"), "tp": ("Terecht gesignaleerd",
                                                         "True positives"),
    "fp": ("Onterecht gesignaleerd", "False positives"),
    "fn": ("Gemist", "False negatives"), "tn": ("Terecht niet gesignaleerd", "True negatives"),
    "tpr": ("Aandeel gevonden", "True positive rate"),
    "fpr": ("Aandeel onterecht gesignaleerd", "False positive rate"),
    "selection_rate": ("Aandeel gesignaleerd", "Selection rate"),
    "ppv": ("Aandeel terecht van gesignaleerd", "Positive predictive value"),
    "flagged": ("Gesignaleerd", "Flagged"), "auc": ("AUC", "AUC"),
    "calibration": ("Kalibratie", "Calibration"), "reference": ("Referentie", "Reference"),
    "reference_value": ("Waarde referentie", "Reference value"),
    "ratio": ("Verhouding", "Ratio"), "difference": ("Verschil", "Difference"),
    "outside": ("Buiten grens", "Outside bound"), "reliable": ("Betrouwbaar", "Reliable"),
    "positives": ("Aantal positief", "Positives"), "features": ("Kenmerken", "Features"),
    "rank": ("Rang", "Rank"), "combination": ("Combinatie", "Combination"),
    "order": ("Aantal kenmerken", "Number of factors"), "risk": ("Kans", "Risk"),
    "lift": ("Keer zoveel kans", "Times the risk"),
    "significant": ("Significant", "Significant"),
    "interaction_or": ("Interactie (odds ratio)", "Interaction (odds ratio)"),
    "confirm_share": ("Aandeel bevestigd", "Share confirmed"),
    "confirmed": ("Bevestigd", "Confirmed"), "audit_only": ("Alleen voor controle",
                                                           "Audit only"),
    "name": ("Naam", "Name"), "size": ("Aantal", "Size"),
    "stability_ari": ("Stabiliteit (ARI)", "Stability (ARI)"), "stable": ("Stabiel", "Stable"),
    "kind": ("Soort", "Kind"), "mean": ("Gemiddelde", "Mean"), "delta": ("Verschil", "Delta"),
    "standout": ("Opvallend", "Standout"), "index": ("Kenmerk", "Characteristic"),
    "k": ("Aantal typen", "Number of types"), "log_likelihood": ("Log-likelihood",
                                                                 "Log-likelihood"),
    "n_parameters": ("Aantal parameters", "Parameters"), "bic": ("BIC", "BIC"),
    "aic": ("AIC", "AIC"), "stability": ("Stabiliteit", "Stability"),
    "stability_sd": ("Stabiliteit (sd)", "Stability (sd)"), "in_bracket": ("In bereik",
                                                                            "In bracket"),
    "chosen": ("Gekozen", "Chosen"), "bic_best": ("Beste BIC", "Best BIC"),
    "aic_best": ("Beste AIC", "Best AIC"), "action": ("Actie", "Action"),
    "into_type": ("Naar type", "Into type"), "method": ("Methode", "Method"),
    "ari_with_latent_class": ("Overeenkomst met latente klassen (ARI)",
                              "Agreement with latent classes (ARI)"),
    "traits": ("Kenmerken", "Traits"), "questions": ("Vragen", "Questions"),
    "area": ("Gebied (code)", "Area (code)"), "residents": ("Inwoners", "Residents"),
    "households": ("Huishoudens", "Households"),
    "target_households": ("Huishoudens in de doelgroep", "Target group households"),
    "target": ("Doelgroep", "Target group"), "children": ("Kinderen", "Children"),
    "outcome": ("Uitkomst", "Outcome"), "outcome_events": ("Met uitkomst", "With outcome"),
    "pupils": ("Leerlingen", "Pupils"), "schools": ("Scholen", "Schools"),
    "shrunk": ("Geschatte kans (gestabiliseerd)", "Estimate (stabilised)"),
    "high_risk": ("Hoog risico", "High risk"), "year": ("Jaar", "Year"),
    "estimate": ("Schatting", "Estimate"), "outcome_name": ("Uitkomst", "Outcome"),
}
_SUFFIXES: dict[str, tuple[str, str]] = {
    "nl": ("Nederlands", "Dutch"), "en": ("Engels", "English"),
    "rate": ("aandeel", "share"), "low": ("ondergrens", "lower"), "high": ("bovengrens", "upper"),
    "shrunk": ("gestabiliseerd", "stabilised"), "target": ("doelgroep", "target group"),
    "rest": ("rest", "rest"), "all": ("iedereen", "everyone"),
    "municipality": ("gemeente", "municipality"), "count": ("aantal", "number"),
    "n": ("totaal", "total"), "share": ("aandeel", "share"), "mean": ("gemiddelde", "mean"),
}
_WORDS = {
    "nl": {"title": "Tabellen van de bundel „{bundle}”", "pilot": "Pilot",
           "made": "Bundel gemaakt", "sheet": "Blad", "table": "Tabel", "file": "Bron in de bundel",
           "rows": "Rijen", "hidden": "Geheimgehouden cellen",
           "labels": "Zo leest u de cellen",
           "small": "{small}: minder dan {min_cell}. Het getal gaat over te weinig mensen en is "
                    "geheimgehouden.",
           "x": "x: geheimgehouden, zodat een geheim getal niet uit de andere getallen terug "
                "te rekenen is. Een aantal met x is {min_cell} of meer.",
           "dash": f"{NOT_APPLICABLE}: niet van toepassing, niet berekend, of geheimgehouden "
                   "zonder dat er iets over gezegd kan worden.",
           "round": "Getallen zijn afgerond zoals gepubliceerd: aantallen hele getallen, "
                    "andere getallen op de decimalen die de regels van de tabel noemen, anders "
                    f"op {DECIMALS} decimalen. Aandelen zijn fracties (0,25 = 25%). De exacte "
                    "waarden staan in het parquet-bestand van elke tabel.",
           "rules": "Regels", "rule_text": "Elke tabel heeft de controle op onthulling "
                    "doorstaan (minimaal {min_cell} eenheden per cel, ook na aftrekken; "
                    "geheimhouding zo dat geen geheim getal terug te rekenen is). "
                    "Het commando smartstart check leest deze werkmap opnieuw en vergelijkt "
                    "elke cel met de gepubliceerde tabel.",
           "names": "Het blad „Namen” geeft de naam bij elke code (kenmerken, wijken).",
           "variable": "Kenmerk (code)", "code": "Waarde (code)", "name_nl": "Naam",
           "name_en": "Naam (Engels)"},
}


def sheet_names(names: Sequence[str]) -> dict[str, str]:
    """Output -> its sheet: the name cut to Excel's 31 characters, made unique."""
    taken = {FRONT.lower(), NAMES.lower()}
    out = {}
    for name in names:
        sheet, n = name[:_SHEET_LEN], 1
        while sheet.lower() in taken:
            n += 1
            sheet = f"{name[:_SHEET_LEN - len(str(n)) - 1]}~{n}"
        taken.add(sheet.lower())
        out[name] = sheet
    return out


def header(column: object, labels: Mapping[str, tuple[str, str]], lang: str = "nl") -> str:
    """A column's name in words: the table's own word, a variable's label, or made of both
    and a suffix (``young_mother_rate`` -> "Jonge moeder ..., aandeel")."""
    i = 0 if lang == "nl" else 1
    name = str(column)
    if name in HEADERS:
        return HEADERS[name][i]
    if name in labels:
        return labels[name][i]
    base, _, tail = name.rpartition("_")
    if base and tail in _SUFFIXES:
        return f"{header(base, labels, lang)}, {_SUFFIXES[tail][i]}"
    return name.replace("_", " ")


def plain_index(frame: pd.DataFrame) -> bool:
    """Whether the index is only a row number (then no export shows it)."""
    return frame.index.name is None and pd.api.types.is_integer_dtype(frame.index) and \
        frame.index.nlevels == 1


def csv_index(frame: pd.DataFrame) -> bool:
    """Whether ``tables/NAME.csv`` holds the index: a meaningful one, or the row number of a
    table without columns (else the file would be empty)."""
    return not plain_index(frame) or frame.columns.empty


def with_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with a meaningful index as its first column(s), a row number dropped."""
    return frame.reset_index(drop=True) if plain_index(frame) else frame.reset_index()


def decimals(frame: pd.DataFrame, rules: Mapping[str, object]) -> pd.DataFrame:
    """The decimals of every numeric cell (NaN: not a rounded number) as published."""
    table = with_columns(frame)
    stated = {str(c): int(d) for c, d in rules.get("precision") or ()}  # type: ignore[union-attr]
    counts = set(rules.get("counts") or ())  # type: ignore[arg-type]
    out = pd.DataFrame(np.nan, index=table.index, columns=table.columns)
    by_row = rules.get("precision_rows")
    for column in table.columns:
        cells = table[column]
        if pd.api.types.is_bool_dtype(cells) or not pd.api.types.is_numeric_dtype(cells):
            continue
        whole = pd.api.types.is_integer_dtype(cells) or column in counts
        out[column] = 0 if whole else stated.get(str(column), DECIMALS)
    if by_row:
        metric, value = by_row  # type: ignore[misc]
        if metric in table.columns and value in table.columns:
            out[value] = [stated.get(str(m), DECIMALS) for m in table[metric]]
    return out


def rounded(value: float, digits: int) -> float | int:
    """``value`` as published: whole (0 digits) or to ``digits`` decimals; a value smaller
    than the last decimal but not 0 keeps three significant digits (a p-value is never 0)."""
    if digits == 0:
        return int(round(value))
    if value != 0 and abs(value) < 10 ** -digits:
        return float(f"{value:.2e}")
    return round(value, digits)


def display(frame: pd.DataFrame, verdict: Mapping | None, rules: Mapping[str, object]
            ) -> tuple[list[str], list[list[object]]]:
    """The columns and rows of a table as every export shows them: numbers (int, float, bool)
    rounded as published, the published label in a blanked cell, ``NOT_APPLICABLE`` in any
    other empty cell, text as text."""
    table = with_columns(frame)
    digits = decimals(frame, rules)
    shift = 0 if plain_index(frame) else frame.index.nlevels
    hidden = {(int(r), str(c)): str(label)
              for r, c, label in (verdict or {}).get("shown") or ()}
    rows = []
    for r in range(len(table)):
        row = []
        for j, column in enumerate(table.columns):
            value = table.iat[r, j]
            if _missing(value):
                label = hidden.get((r, str(column))) if j >= shift else None
                row.append(label or NOT_APPLICABLE)
            elif isinstance(value, bool | np.bool_):
                row.append(bool(value))
            elif not math.isnan(digits.iat[r, j]):
                number = float(value)
                row.append(rounded(number, int(digits.iat[r, j])) if math.isfinite(number)
                           else ("∞" if number > 0 else "−∞"))  # Excel holds no infinity
            else:
                row.append(str(value))
        rows.append(row)
    return [str(c) for c in table.columns], rows


def script_csv(frame: pd.DataFrame, rules: Mapping[str, object]) -> pd.DataFrame:
    """``tables/NAME.csv``'s frame: the numbers rounded as published, blanks empty; a
    meaningful index kept as the index, a row number dropped (write with ``index=not plain``)."""
    digits = decimals(frame, rules)
    table = with_columns(frame).astype(object)
    for j in range(table.shape[1]):
        for r in range(len(table)):
            value = table.iat[r, j]
            if not _missing(value) and not math.isnan(digits.iat[r, j]) and \
                    not isinstance(value, bool | np.bool_) and math.isfinite(float(value)):
                table.iat[r, j] = rounded(float(value), int(digits.iat[r, j]))
    if not plain_index(frame):
        table = table.set_index(list(table.columns[:frame.index.nlevels]))
    elif frame.columns.empty:
        table.index = frame.index
    return table


def dutch(value: object) -> str:
    """A cell in the Dutch Excel dialect: decimal comma, no thousands separator, ja/nee."""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != 0 and abs(value) < 1e-4:  # Excel reads 1,58E-37
            return f"{value:.2E}".replace(".", ",")
        return np.format_float_positional(value, trim="-").replace(".", ",")
    return str(value)


def dutch_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The text of a Dutch Excel CSV (``;``, decimal comma, CRLF); written with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[dutch(v) for v in row] for row in rows])
    return buffer.getvalue()


def label_words(labels: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """Variable -> (Dutch, English) label, from labels.csv's rows without a level."""
    if labels is None or labels.empty:
        return {}
    rows = labels[labels["level"].astype(str).isin(["", "nan"])]
    return {str(r.variable): (str(r.label_nl), str(r.label_en)) for r in rows.itertuples()}


def table_outputs(outputs: Sequence[Mapping]) -> list[Mapping]:
    return [o for o in outputs if o.get("kind") not in NOT_TABLES]


def write_exports(root: Path, outputs: Sequence[Mapping], log: Sequence[Mapping],
                  labels: pd.DataFrame | None, pilot: Mapping[str, object]
                  ) -> list[tuple[str, str, str | None]]:
    """Write the workbook and the Dutch CSVs of every table output of the staged bundle at
    ``root`` (read from its parquet files); returns (path, kind, output) of every file."""
    from openpyxl import Workbook

    verdicts = {v.get("name"): v for v in log}
    tables = table_outputs(outputs)
    words = label_words(labels)
    sheets = sheet_names([str(o["name"]) for o in tables])
    book = Workbook()
    front = book.active
    front.title = FRONT
    written: list[tuple[str, str, str | None]] = []
    listing = []
    (root / "exports" / "csv").mkdir(parents=True, exist_ok=True)
    for output in tables:
        name = str(output["name"])
        frame = pd.read_parquet(root / "tables" / f"{name}.parquet")
        verdict = verdicts.get(name) or {}
        columns, rows = display(frame, verdict, output.get("rules") or {})
        heads = [header(c, words) for c in columns]
        _table_sheet(book.create_sheet(sheets[name]), heads, rows)
        path = CSV_NL.format(name=name)
        (root / path).write_text(dutch_csv(heads, rows), encoding="utf-8-sig", newline="")
        written.append((path, "table_csv_nl", name))
        listing.append((sheets[name], str(output.get("title_nl") or name),
                        f"tables/{name}.parquet", len(rows), len(verdict.get("shown") or ())))
    _front_sheet(front, listing, log, pilot, root.name.removesuffix(".partial"))
    _names_sheet(book.create_sheet(NAMES), labels)
    book.save(root / WORKBOOK)
    return [(WORKBOOK, "workbook", None), *written]


def _table_sheet(sheet, heads: list[str], rows: list[list[object]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(heads)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    for j, head in enumerate(heads, start=1):
        width = max([len(head), *(len(dutch(r[j - 1])) for r in rows[:200])])
        sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)


def _front_sheet(sheet, listing: list[tuple], log: Sequence[Mapping], pilot: Mapping,
                 bundle: str) -> None:
    from openpyxl.styles import Font

    w = _WORDS["nl"]
    settings = (log[0].get("settings") if log else None) or {}
    min_cell = int(settings.get("min_cell", 10))
    study = pilot.get("study", pilot) if isinstance(pilot, Mapping) else {}
    name = study.get("name") if isinstance(study, Mapping) else None
    sheet.append([w["title"].format(bundle=bundle)])
    sheet["A1"].font = Font(bold=True, size=14)
    if name:
        sheet.append([w["pilot"], str(name)])
    sheet.append([])
    sheet.append([w["labels"]])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    from types import SimpleNamespace

    from smartstart.disclosure import label_of

    small = label_of("primary", SimpleNamespace(min_cell=min_cell))  # the gate's own label
    for line in (w["small"].format(small=small, min_cell=min_cell),
                 w["x"].format(min_cell=min_cell),
                 w["dash"], w["round"], w["names"]):
        sheet.append([line])
    sheet.append([])
    sheet.append([w["rules"]])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([w["rule_text"].format(min_cell=min_cell)])
    sheet.append([])
    sheet.append([w["sheet"], w["table"], w["file"], w["rows"], w["hidden"]])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for sheet_name, title, source, rows, hidden in listing:
        sheet.append([sheet_name, title, source, rows, hidden])
        link = sheet.cell(sheet.max_row, 1)
        link.hyperlink = f"#'{sheet_name}'!A1"
        link.style = "Hyperlink"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 36


def _names_sheet(sheet, labels: pd.DataFrame | None) -> None:
    w = _WORDS["nl"]
    sheet.append([w["variable"], w["code"], w["name_nl"], w["name_en"]])
    for row in names_rows(labels):
        sheet.append(row)
    sheet.freeze_panes = "A2"


def names_rows(labels: pd.DataFrame | None) -> list[list[str]]:
    if labels is None or labels.empty:
        return []
    return [[str(r.variable), str(r.level), str(r.label_nl), str(r.label_en)]
            for r in labels.fillna("").itertuples()]


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:
        return False


def rewrite_derived(root: Path) -> None:
    """Write every table's CSV and the exports of the bundle at ``root`` again from its
    parquet tables (the manifest's hashes are not touched): what a tamper test does to make
    the derived files fit a changed table, so that check must find the change by its rules."""
    import json

    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    log = json.loads((root / "disclosure_log.json").read_text("utf-8")).get("outputs", [])
    for output in table_outputs(manifest.get("outputs", [])):
        name = str(output["name"])
        frame = pd.read_parquet(root / "tables" / f"{name}.parquet")
        script_csv(frame, output.get("rules") or {}).to_csv(
            root / "tables" / f"{name}.csv", index=csv_index(frame))
    labels = (pd.read_csv(root / "labels.csv", dtype=str, keep_default_na=False)
              if (root / "labels.csv").exists() else None)
    write_exports(root, manifest.get("outputs", []), log, labels, manifest.get("pilot") or {})
