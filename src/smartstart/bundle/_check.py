"""`smartstart check BUNDLE`: verify a bundle again, from its files alone, trusting their content.

The manifest may be edited as well as any other file, so nothing it claims is taken on faith
where the content can be checked instead:

1. Files: every file in the bundle is declared in the manifest (path, kind, output, sha256)
   at the place its kind and output prescribe, with a matching hash; a file that is not
   declared fails even when ``checksums.sha256`` lists it (that file is a convenience only and
   must agree with the manifest).
2. Bookkeeping: every table output has rules and a verdict in the disclosure log and the other
   way round; every verdict is "pass"; texts and charts rest on outputs in the bundle;
   ``variables.csv`` is the variables x outputs of the manifest.
3. Rules: every table is read as published (the parquet; the CSV must hold the same cells) and
   the rules stored with it are applied again (linking keys, no minima or maxima, threshold,
   shares with their complement, statistics without their base, regression facts, nested
   groups) with its verdict's settings, never weaker than the study's (``pilot.study
   .disclosure`` in the manifest; a verdict with weaker settings fails). A table output needs
   rules, and a column named like a count (``COUNT_NAME``) must be named by them.
4. Protection: every primary suppressed cell's attacker interval, as logged, reaches
   ``min_cell - 1`` and 1 (0 when zeros are disclosive). And over all tables together (the
   register, ``disclosure._register``): every table with exact counts states what they count
   (``cells``), and no small blank count is narrowed by the counts of all tables at once.
5. Charts: every number in a chart's data (its datasets and inline values) is a published cell
   of the table it is drawn from: each datum matches one row of that table, a field named like
   a column equal to that column's cell and every other number equal to a cell of the same row
   (relative tolerance ``TOLERANCE``). A datum matching no row passes only as a guide (a line
   at 0 or 1, or a scale's end 5 % beyond a published cell). The SVG must be the rendering of
   the spec by vl-convert, byte for byte.
6. Texts hold no linking keys.
7. Maps (``bundle._maps``): the boundaries file holds only codes, names and whole-metre RD
   coordinates; its areas are exactly the published table's areas with a boundary (the others
   listed); every value on the map is the table's cell and every class the one it implies;
   every name is the area's name in ``labels.csv``.
8. Exports (``bundle._exports``), Dutch and English: each workbook holds a front sheet, one
   sheet per table and the names sheet (``labels.csv``); every cell of a table's sheet and of
   its CSV (Dutch or English dialect) is the published cell, rounded as published, or the
   label the gate published for it.

Problem kinds (``BundleProblem.kind``), beside those of ``verify_files``: ``bookkeeping``,
``verdict``, ``rules_missing``, ``settings``, ``rule_<rule>`` (e.g. ``rule_threshold``),
``protection``, ``register``, ``version``, ``csv_parquet``, ``variables``, ``chart_datum``,
``chart_number`` (a number outside the data that is no styling: a scale's domain must pass as
a guide),
``chart_table``, ``chart_svg``, ``chart_variant`` (a phone layout that does not show exactly its
wide chart's data), ``linking_key``, ``map_spec``, ``map_boundaries``,
``map_areas``, ``map_value``, ``export``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from smartstart.bundle._check_charts import TOLERANCE, chart_problems
from smartstart.bundle._check_effect import effect_problems
from smartstart.bundle._check_exports import KEY_LIKE, export_problems
from smartstart.bundle._export_words import WORDS_VERSION
from smartstart.bundle._exports import csv_index, script_csv, words_version
from smartstart.bundle._maps import map_problems
from smartstart.bundle._read import BundleProblem, verify_files
from smartstart.bundle._write import (
    BUNDLE_VERSION,
    LABEL_COLUMNS,
    LABELS,
    LOG,
    MANIFEST,
    VARIABLES,
    variables_frame,
)
from smartstart.disclosure import (
    Inconsistent,
    Settings,
    Undeclared,
    Unreadable,
    Unsolved,
    attack_register,
    check_published,
    register_of,
    rules_from,
    settings_from,
    too_narrow,
)
from smartstart.disclosure._identical import declared, nested

#: column names of counts in the package's outputs (and their Dutch words): such a column must
#: be a count or share column of the table's rules
COUNT_NAME = re.compile(r"^(count|n|events|non_events|size|positives|flagged|tp|fn|fp|tn|"
                        r"rows_in|rows_out|dropped|aantal|frequency|freq)$|^(count|aantal)_|"
                        r"_(count|aantal)$")
NOT_TABLES = ("text", "chart", "map")


def check_bundle(root: Path) -> tuple[list[BundleProblem], int]:
    """All problems found (empty: the bundle is sound) and the number of tables re-checked."""
    root = Path(root)
    if not (root / MANIFEST).exists():
        return [BundleProblem(str(root), "not a bundle: manifest.json is missing",
                              "not_a_bundle")], 0
    problems = verify_files(root)
    try:
        manifest = json.loads((root / MANIFEST).read_text("utf-8"))
        log = json.loads((root / LOG).read_text("utf-8"))
        verdicts = {o["name"]: o for o in log.get("outputs", [])}
        outputs = [o for o in manifest.get("outputs", []) if isinstance(o, dict)]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        return [*problems, BundleProblem(MANIFEST, f"unreadable: {error}", "unreadable")], 0
    declared = _declared(manifest)
    bad_files = {p.where for p in problems}
    version = manifest.get("bundle_version")
    if not isinstance(version, int) or version < BUNDLE_VERSION:
        problems.append(BundleProblem(MANIFEST, f"bundle version {version}: made by an older "
                                      "smartstart whose tables do not say what their counts "
                                      "count, so they cannot be checked together; run the "
                                      "pilot again", "version"))
    said = words_version(manifest)
    if said > WORDS_VERSION:  # its words are not this version's: every cell would differ
        problems.append(BundleProblem(MANIFEST, f"export words version {said}: made by a "
                                      f"newer smartstart (this one knows {WORDS_VERSION}), so "
                                      "its workbooks and CSVs are not checked; check it with "
                                      "the smartstart that wrote it", "version"))
    problems += _bookkeeping(outputs, verdicts)
    problems += _variables(root, outputs, bad_files)
    problems += _labels(root, outputs, bad_files)
    try:
        floor = _study_settings(manifest)
    except Unreadable as error:
        problems.append(BundleProblem(MANIFEST, f"the study's disclosure settings cannot be "
                                      f"read ({error}): checked with the CBS defaults",
                                      "settings"))
        floor = Settings()
    tables: dict[str, pd.DataFrame] = {}
    checked = 0
    for output in outputs:
        name, kind = output.get("name"), output.get("kind")
        files = declared.get(name, {})
        if kind == "text":
            problems += _text(root, files)
        elif kind in ("chart", "map"):
            continue
        else:
            frame, found = _published(root, name, files, bad_files, output.get("rules"))
            problems += found
            if frame is not None:
                tables[name] = frame
                problems += _table(output, frame, verdicts.get(name), floor)
                checked += 1
    for output in outputs:
        if output.get("kind") == "chart":
            problems += chart_problems(root, output, declared.get(output.get("name"), {}),
                                       tables)
        elif output.get("kind") == "map":
            problems += map_problems(root, output, declared.get(output.get("name"), {}),
                                     tables, _labels_frame(root, bad_files))
    problems += _register(outputs, tables, verdicts, floor)
    problems += effect_problems(manifest, tables)
    if said <= WORDS_VERSION:
        problems += export_problems(root, outputs, tables, verdicts, declared,
                                    _labels_frame(root, bad_files), bad_files, said)
    return problems, checked


def _register(outputs: list[dict], tables: dict[str, pd.DataFrame], verdicts: dict[str, dict],
              settings: Settings) -> list[BundleProblem]:
    """Every table's counts together: no small blank count is narrowed down by all the
    published counts of the bundle (the attacker's LP over the register)."""
    try:
        statements = register_of(_entries(outputs, tables, verdicts), settings)
    except Undeclared as error:  # anything else is a bug: it fails the check with its trace
        return [BundleProblem("register", f"the counts of the tables cannot be read together: "
                              f"{error}", "register")]
    return _attacked(statements, settings, "all tables")


def _entries(outputs: list[dict], tables: dict[str, pd.DataFrame], verdicts: dict[str, dict],
             suffix: str = "") -> list[tuple]:
    """The register's input: (name, table, cells, labels of its blanks) per counting table."""
    entries = []
    for output in outputs:
        name = output.get("name")
        rules = output.get("rules")
        if name not in tables or not isinstance(rules, dict) or not rules.get("cells"):
            continue
        shown = (verdicts.get(name) or {}).get("shown") or []
        labels = {(int(r), str(c)): str(label) for r, c, label in shown}
        entries.append((f"{name}{suffix}", tables[name], rules["cells"], labels))
    return entries


def _attacked(statements: list, settings: Settings, together: str) -> list[BundleProblem]:
    try:
        findings = attack_register(statements, declared(), settings, nested())
    except (Inconsistent, Unsolved) as error:
        return [BundleProblem("register", f"the counts of {together} cannot be read together: "
                              f"{error}", "register")]
    return [BundleProblem(f.statement.output, f"small cell {f.statement.where} is narrowed "
                          f"down to [{f.lower:g}, {f.upper:g}] by the counts of {together} "
                          "together", "register") for f in findings if f.narrowed]


def check_together(roots: list[Path]) -> list[BundleProblem]:
    """The register over the bundles of one ``per_gemeente`` run (the region's and its
    municipalities' sections): whoever receives them holds them all, so no small blank count
    may be narrowed down by their counts together. A bundle of one municipality of another
    bundle's region is read as that municipality's section (``disclosure._sections``); bundles
    that are not of one run cannot be joined (their units are not the same) and are said so.
    Check each bundle alone first (``check_bundle``): this reads only their counting tables."""
    from smartstart.disclosure._sections import in_section, shared_variables

    read = [_counting(Path(root)) for root in roots]
    regions = [r for r in read if len(r[1]) > 1]
    if len(regions) != 1 or any(len(r[1]) != 1 or r[1][0] not in regions[0][1]
                                or r[2] != regions[0][2] for r in read if r is not regions[0]):
        return [BundleProblem(", ".join(map(str, roots)), "not the bundles of one per_gemeente "
                              "run (one region's bundle and bundles of its municipalities on "
                              "the same peildatum): they cannot be checked together",
                              "not_one_run")]
    settings, shared = regions[0][3], shared_variables()
    statements = []
    for _, codes, _, _, entries in read:
        found = register_of(entries, settings)
        statements += found if len(codes) > 1 else [in_section(s, codes[0], shared)
                                                    for s in found]
    return _attacked(statements, settings, "all bundles")


def _counting(root: Path) -> tuple[Path, tuple[str, ...], str, Settings, list[tuple]]:
    """A bundle's municipalities, peildatum, disclosure settings and counting tables."""
    manifest = json.loads((root / MANIFEST).read_text("utf-8"))
    log = json.loads((root / LOG).read_text("utf-8"))
    study = (manifest.get("pilot") or {}).get("study") or {}
    codes = tuple(study.get("gemeenten") or (study.get("gemeente"),))
    if study.get("regio") and not study.get("gemeenten"):
        from smartstart.sources._regions import load_regions

        codes = load_regions()[study["regio"]].codes
    declared_files = _declared(manifest)
    outputs = [o for o in manifest.get("outputs", []) if isinstance(o, dict)]
    tables = {}
    for output in outputs:
        name = output.get("name")
        parquet = declared_files.get(name, {}).get("table_parquet")
        if output.get("kind") not in NOT_TABLES and parquet and (root / parquet).is_file():
            tables[name] = pd.read_parquet(root / parquet)
    verdicts = {o["name"]: o for o in log.get("outputs", [])}
    suffix = "" if len(codes) > 1 else f"@{codes[0]}"
    return (root, codes, str(study.get("peildatum")), _study_settings(manifest),
            _entries(outputs, tables, verdicts, suffix))


def _declared(manifest: dict) -> dict[str | None, dict[str, str]]:
    """Output -> kind -> path, from the manifest's file declarations."""
    out: dict[str | None, dict[str, str]] = {}
    for entry in manifest.get("files") or ():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            out.setdefault(entry.get("output"), {})[str(entry.get("kind"))] = entry["path"]
    return out


def _bookkeeping(outputs: list[dict], verdicts: dict[str, dict]) -> list[BundleProblem]:
    problems = []
    tables = {o.get("name") for o in outputs if o.get("kind") not in NOT_TABLES}
    names = {o.get("name") for o in outputs}
    for name in sorted(tables - set(verdicts), key=str):
        problems.append(BundleProblem(str(name), "no verdict in disclosure_log.json",
                                      "bookkeeping"))
    for name in sorted(set(verdicts) - tables):
        problems.append(BundleProblem(name, "verdict without an output in the manifest",
                                      "bookkeeping"))
    for name, verdict in sorted(verdicts.items()):
        if verdict.get("status") != "pass":
            problems.append(BundleProblem(name, f"disclosure status {verdict.get('status')!r}",
                                          "verdict"))
    for output in outputs:
        for base in set(output.get("based_on", ())) - names:
            problems.append(BundleProblem(str(output.get("name")),
                                          f"based on {base!r}, not in the bundle", "bookkeeping"))
    return problems


def _variables(root: Path, outputs: list[dict], bad_files: set[str]) -> list[BundleProblem]:
    """``variables.csv`` holds nothing but the manifest's variables x outputs."""
    if VARIABLES in bad_files or not (root / VARIABLES).exists():
        return []
    expected = variables_frame(outputs)
    shown = _csv_text(root / VARIABLES)
    same = (shown is not None and list(shown.columns) == ["variable", *expected.columns]
            and list(shown["variable"]) == list(expected.index)
            and np.array_equal(shown.iloc[:, 1:].apply(pd.to_numeric, errors="coerce")
                               .to_numpy(dtype=float), expected.to_numpy(dtype=float)))
    return [] if same else [BundleProblem(VARIABLES, "is not the variables x outputs of the "
                                          "manifest", "variables")]


_TYPES = {"binary", "count", "numeric", "category"}
_ROLES = {"predictor", "descriptor", "audit", "place", "target", "outcome"}
_BARE_NUMBER = re.compile(r"-?[\d.,\s]+%?")


def _labels(root: Path, outputs: list[dict], bad_files: set[str]) -> list[BundleProblem]:
    """``labels.csv`` holds words of the outputs' variables only: its columns, text (no number
    beside a code), and variables the outputs use."""
    if LABELS in bad_files or not (root / LABELS).exists():
        return []
    used = set(variables_frame(outputs).index)
    shown = _csv_text(root / LABELS)
    same = (shown is not None and tuple(shown.columns) == LABEL_COLUMNS
            and set(shown["variable"]) <= used
            and set(shown["type"]) <= _TYPES and set(shown["role"]) <= _ROLES
            and not shown[["label_nl", "label_en", "period"]].map(
                lambda v: bool(_BARE_NUMBER.fullmatch(v.strip()))).to_numpy().any())
    return [] if same else [BundleProblem(LABELS, "holds more than the words of the outputs' "
                                          "variables", "labels")]


def _labels_frame(root: Path, bad_files: set[str]) -> pd.DataFrame | None:
    if LABELS in bad_files or not (root / LABELS).exists():
        return None
    return _csv_text(root / LABELS)


def _csv_text(path: Path) -> pd.DataFrame | None:
    """A CSV of the bundle as text, every cell a string (None: it is no CSV)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None


def _study_settings(manifest: dict) -> Settings:
    """The study's disclosure settings from the manifest (CBS defaults where it says none);
    ``Unreadable`` when they are not settings."""
    pilot = manifest.get("pilot") or {}
    study = pilot.get("study", pilot) if isinstance(pilot, dict) else {}
    return settings_from(study.get("disclosure") if isinstance(study, dict) else None)


def _weaker(settings: Settings, floor: Settings) -> list[str]:
    """The settings in which ``settings`` protect less than ``floor``."""
    return [name for name, weaker in (
        ("min_cell", settings.min_cell < floor.min_cell),
        ("min_dof", settings.min_dof < floor.min_dof),
        ("dominance_n", settings.dominance_n < floor.dominance_n),
        ("dominance_k", settings.dominance_k > floor.dominance_k),
        ("p_ratio", settings.p_ratio < floor.p_ratio),
        ("zeros_disclosive", floor.zeros_disclosive and not settings.zeros_disclosive))
        if weaker]


def _strictest(a: Settings, b: Settings) -> Settings:
    return Settings(min_cell=max(a.min_cell, b.min_cell), min_dof=max(a.min_dof, b.min_dof),
                    dominance_n=max(a.dominance_n, b.dominance_n),
                    dominance_k=min(a.dominance_k, b.dominance_k),
                    p_ratio=max(a.p_ratio, b.p_ratio),
                    zeros_disclosive=a.zeros_disclosive or b.zeros_disclosive)


def _published(root: Path, name: str, files: dict[str, str], bad_files: set[str],
               rules: object = None) -> tuple[pd.DataFrame | None, list[BundleProblem]]:
    """The table as published: the parquet (the CSV must show the same cells, rounded as
    published: ``bundle._exports``), or the CSV."""
    parquet, csv = files.get("table_parquet"), files.get("table_csv")
    frame = None
    if parquet and (root / parquet).is_file():
        try:
            frame = pd.read_parquet(root / parquet)
        except (OSError, ValueError) as error:
            return None, [BundleProblem(parquet, f"unreadable: {error}", "unreadable")]
    if csv and (root / csv).is_file():
        expected = None if frame is None else \
            script_csv(frame, rules if isinstance(rules, dict) else {})
        if expected is not None and _written(expected, frame, root / csv):
            return frame, []
        try:
            plain = frame is not None and not csv_index(frame)
            shown = pd.read_csv(root / csv, index_col=None if plain else 0, dtype=str,
                                keep_default_na=False)
            if frame is None:
                return pd.read_csv(root / csv, index_col=0), []
        except (OSError, ValueError) as error:
            return frame, [BundleProblem(csv, f"unreadable: {error}", "unreadable")]
        if not {csv, parquet} & bad_files and not _same_cells(expected, shown):
            return frame, [BundleProblem(csv, "does not show the cells of "
                                         f"{parquet}", "csv_parquet")]
    if frame is None:
        return None, [BundleProblem(name, "a table output without a table file", "missing")]
    return frame, []


def _written(expected: pd.DataFrame, frame: pd.DataFrame, path: Path) -> bool:
    """Whether the CSV is, byte for byte, what the bundle writer writes for the table (the
    common case, and then it shows the cells); any other CSV is read cell by cell
    (``_same_cells``), which allows numbers written another way."""
    return expected.to_csv(index=csv_index(frame)).encode("utf-8") == path.read_bytes()


def _same_cells(frame: pd.DataFrame, shown: pd.DataFrame) -> bool:
    """Whether the CSV (read as text) shows the parquet's index, columns and cells."""
    if list(map(str, frame.columns)) != list(shown.columns) or len(frame) != len(shown):
        return False
    columns = [(frame.index.to_series(), shown.index.to_series())]
    columns += [(frame.iloc[:, i], shown.iloc[:, i]) for i in range(frame.shape[1])]
    for cells, text in columns:
        text = text.reset_index(drop=True)
        cells = cells.reset_index(drop=True)
        empty = cells.isna().to_numpy()
        if not (text[empty] == "").all():
            return False
        if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
            numbers = pd.to_numeric(text[~empty], errors="coerce").to_numpy(dtype=float)
            if not np.allclose(numbers, cells[~empty].to_numpy(dtype=float), rtol=TOLERANCE,
                               atol=0):
                return False
        elif pd.api.types.is_datetime64_any_dtype(cells):
            if not (pd.to_datetime(text[~empty]) == cells[~empty]).all():
                return False
        elif not (cells[~empty].astype(str) == text[~empty]).all():
            return False
    return True


def _table(output: dict, frame: pd.DataFrame, verdict: dict | None, floor: Settings
           ) -> list[BundleProblem]:
    name = str(output.get("name"))
    problems = []
    if not isinstance(output.get("rules"), dict):
        problems.append(BundleProblem(name, "no rules stored with the table: it cannot be "
                                      "checked", "rules_missing"))
    else:
        problems += _uncovered(name, frame, output["rules"])
    verdict = verdict or {}
    try:
        stated = settings_from(verdict.get("settings"))
    except Unreadable as error:
        problems.append(BundleProblem(name, f"settings unreadable: {error}", "settings"))
        stated = floor
    weaker = _weaker(stated, floor)
    if weaker:
        problems.append(BundleProblem(name, f"checked with settings weaker than the study's "
                                      f"({', '.join(weaker)})", "settings"))
    settings = _strictest(stated, floor)
    try:
        rules = rules_from(output.get("rules") or {}, frame)
    except Unreadable as error:
        return [*problems, BundleProblem(name, f"rules cannot be applied: {error}",
                                         "rules_missing")]
    checks = check_published(frame, rules, settings)
    problems += [BundleProblem(name, f"rule {c.rule}: {c.summary}", f"rule_{c.rule}")
                 for c in checks if c.status != "pass"]
    for cell in verdict.get("suppressed", []):
        if cell.get("reason") != "primary" or cell.get("lower") is None:
            continue
        upper = float("inf") if cell.get("unbounded") else cell.get("upper")
        if too_narrow(cell["lower"], upper, settings):
            problems.append(BundleProblem(name, f"suppressed cell {cell['cell']} can be "
                                          f"narrowed down to [{cell['lower']}, {upper}]",
                                          "protection"))
    return problems


def _uncovered(name: str, frame: pd.DataFrame, rules: dict) -> list[BundleProblem]:
    """Columns named like counts that the rules do not name (as a count, in a share or as a
    statistic resting on counts): rules borrowed or made up for a table they do not describe.
    A floor by name only: a count can hide under any name the rules do not mention."""
    covered = set(rules.get("counts") or ())
    covered |= {c for pair in rules.get("shares") or () for c in pair}
    covered |= {d[0] for d in rules.get("derived") or () if d}
    counts = [c for c in map(str, frame.columns) if c not in covered and COUNT_NAME.search(c)]
    problems = [BundleProblem(name, f"column {c!r} is named like a count but its rules do not "
                              "check it as one", "rules_missing") for c in counts]
    exact = [c for c in rules.get("counts") or () if c in frame.columns]
    if exact and rules.get("rounded") is None and not rules.get("cells"):
        problems.append(BundleProblem(name, "exact counts without a statement of what they "
                                      "count (rules: cells): the register cannot join them "
                                      "with the other tables", "rules_missing"))
    return problems


def _text(root: Path, files: dict[str, str]) -> list[BundleProblem]:
    path = files.get("text")
    if path and (root / path).is_file() and KEY_LIKE.search((root / path).read_text("utf-8")):
        return [BundleProblem(path, "holds a number that looks like a linking key",
                              "linking_key")]
    return []
