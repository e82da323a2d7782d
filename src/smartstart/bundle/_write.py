"""Writing a bundle: checked tables and texts in, an atomic folder with checksums out."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pandas as pd

from smartstart import __version__
from smartstart.bundle._exports import (
    EXPORT_WORDS,
    EXPORTS,
    WORDS_VERSION,
    csv_index,
    script_csv,
    write_exports,
)

CHECKSUMS = "checksums.sha256"
MANIFEST = "manifest.json"
LOG = "disclosure_log.json"
VARIABLES = "variables.csv"
#: the words of every variable the outputs use (factor, level, Dutch and English label, type,
#: role, period), from the library, never from data: the report reads labels from here
LABELS = "labels.csv"
LABEL_COLUMNS = ("variable", "level", "label_nl", "label_en", "type", "role", "period")
#: the bundle format: 2 declares every file in the manifest (path, kind, output, sha256)
BUNDLE_VERSION = 3  # 3: every table's rules say what its counts count (cells)
#: every kind of file a bundle holds, and where a file of that kind for output NAME lies
#: (``manifest.json`` and ``checksums.sha256`` are the two files not declared: the manifest
#: cannot hold its own hash, and the checksums are a convenience written after it)
FILE_KINDS = {"table_csv": "tables/{name}.csv", "table_parquet": "tables/{name}.parquet",
              "text": "texts/{name}.md", "chart_spec": "charts/{chart}.vl.json",
              "chart_svg": "charts/{chart}.svg", "log": LOG, "variables": VARIABLES,
              "labels": LABELS, "map_spec": "maps/{name}.json",
              "map_geojson": "maps/{name}.geojson",
              # for Excel (``bundle._exports``): every table in one workbook and as CSV, in
              # Dutch (workbook, table_csv_nl) and in English (workbook_en, table_csv_en)
              **{kind: path for e in EXPORTS.values()
                 for kind, path in ((e.workbook_kind, e.workbook), (e.csv_kind, e.csv))}}


def declared_path(kind: str, output: str | None) -> str | None:
    """Where a file of ``kind`` for ``output`` must lie (None: not a kind a bundle holds)."""
    pattern = FILE_KINDS.get(kind)
    if pattern is None:
        return None
    name = output or ""
    return pattern.format(name=name, chart=name.removeprefix("chart_"))
_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


class ChartLike(Protocol):
    """A chart to add: ``report.ChartFile`` is one."""

    name: str
    spec: dict
    svg: str
    based_on: tuple[str, ...]
    title: str
    #: "wide", or "narrow": the chart named ``variant_of`` laid out for a phone (the same data)
    layout: str
    variant_of: str


class DisclosureRecord(Protocol):
    """What the bundle needs from ``disclosure``'s verdict on one output."""

    status: str

    def to_dict(self) -> dict: ...


@dataclass(frozen=True)
class CheckedTable:
    """A table as published (suppressed cells already NaN) with the gate's verdict."""

    name: str
    table: pd.DataFrame
    record: DisclosureRecord
    variables: tuple[str, ...] = ()
    title_nl: str = ""
    title_en: str = ""
    kind: str = "table"
    #: what the columns are (``disclosure.Rules.to_dict()``), so ``smartstart check`` can
    #: apply the rules again to the table as published
    rules: Mapping[str, object] = field(default_factory=dict)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class BundleWriter:
    """Collects checked outputs; ``close()`` publishes the bundle atomically.

    Use as a context manager: an exception inside the block removes the partial folder.
    """

    target: Path
    pilot: Mapping[str, object]
    inputs: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None
    #: outputs that did not pass the gate: (name, why) or a mapping with at least ``name``
    #: and ``reason`` (and titles), for the report and the checker
    withheld: Sequence[tuple[str, str] | Mapping[str, str]] = field(default_factory=list)
    #: draws the charts of the staged bundle (e.g. ``report.bundle_charts``): each chart's
    #: name, Vega-Lite spec, SVG, the tables it is drawn from and its title
    charts: Callable[[Path], Sequence[ChartLike]] | None = None
    #: further manifest fields of the run (e.g. ``not_delivered``, ``years_used``)
    extra: Mapping[str, object] = field(default_factory=dict)
    #: LABEL_COLUMNS rows of the variables the outputs use (None: no labels.csv)
    labels: pd.DataFrame | None = None
    outputs: list[dict] = field(default_factory=list, init=False)
    log: list[dict] = field(default_factory=list, init=False)
    #: every file written, declared in the manifest: (path, kind, output)
    files: list[tuple[str, str, str | None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.target = Path(self.target)
        self.staging = self.target.with_name(self.target.name + ".partial")
        shutil.rmtree(self.staging, ignore_errors=True)
        (self.staging / "tables").mkdir(parents=True)
        self.started = _now()

    def add_table(self, checked: CheckedTable) -> None:
        """Add a table that passed the gate; anything else is refused."""
        _check_name(checked.name, self.outputs)
        if checked.record.status != "pass":
            raise ValueError(f"output {checked.name!r} has disclosure status "
                             f"{checked.record.status!r}: only passed outputs enter a bundle")
        base = self.staging / "tables" / checked.name
        script_csv(checked.table, checked.rules).to_csv(
            base.with_suffix(".csv"), index=csv_index(checked.table))
        # a row number is not written: its gaps would show where rows were withheld
        (checked.table if csv_index(checked.table) else checked.table.reset_index(drop=True)
         ).to_parquet(base.with_suffix(".parquet"))
        self._declare("table_csv", checked.name)
        self._declare("table_parquet", checked.name)
        self.outputs.append({"name": checked.name, "kind": checked.kind,
                             "title_nl": checked.title_nl, "title_en": checked.title_en,
                             "files": [f"tables/{checked.name}.csv",
                                       f"tables/{checked.name}.parquet"],
                             "variables": list(checked.variables),
                             "rules": dict(checked.rules)})
        self.log.append({"name": checked.name, **checked.record.to_dict()})

    def add_text(self, name: str, text: str, *, lang: str = "nl", based_on: tuple[str, ...] = ()
                 ) -> None:
        """A text (model card, persona card) built only from tables already in the bundle."""
        _check_name(name, self.outputs)
        missing = set(based_on) - {o["name"] for o in self.outputs}
        if missing:
            raise ValueError(f"text {name!r} is based on outputs not in the bundle: {missing}")
        path = self.staging / "texts" / f"{name}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
        self._declare("text", name)
        self.outputs.append({"name": name, "kind": "text", "lang": lang,
                             "files": [f"texts/{name}.md"], "based_on": list(based_on)})

    def add_map(self, name: str, geojson: dict, spec: dict, based_on: tuple[str, ...]) -> None:
        """A map drawn from a table already in the bundle: the public boundaries of its areas
        and what the map shows (``bundle._maps``)."""
        _check_name(name, self.outputs)
        missing = set(based_on) - {o["name"] for o in self.outputs}
        if missing:
            raise ValueError(f"map {name!r} is drawn from outputs not in the bundle: {missing}")
        (self.staging / "maps").mkdir(exist_ok=True)
        self._write_json(f"maps/{name}.geojson", geojson)
        self._write_json(f"maps/{name}.json", spec)
        self._declare("map_geojson", name)
        self._declare("map_spec", name)
        self.outputs.append({"name": name, "kind": "map", "based_on": list(based_on),
                             "files": [f"maps/{name}.json", f"maps/{name}.geojson"]})

    def close(self) -> Path:
        if self.charts is not None:
            self._write_manifest()
            for chart in self.charts(self.staging):
                self._add_chart(chart)
        labels = self._labels() if self.labels is not None else None
        for _path, kind, output in write_exports(self.staging, self.outputs, self.log, labels,
                                                self.pilot):
            self._declare(kind, output)
        self._variables().to_csv(self.staging / VARIABLES)
        self._declare("variables", None)
        if self.labels is not None:
            self._labels().to_csv(self.staging / LABELS, index=False)
            self._declare("labels", None)
        self._write_manifest()
        lines = [f"{sha256(p)}  {p.relative_to(self.staging).as_posix()}"
                 for p in sorted(self.staging.rglob("*")) if p.is_file()]
        (self.staging / CHECKSUMS).write_text("\n".join(lines) + "\n", "utf-8")
        shutil.rmtree(self.target, ignore_errors=True)
        self.staging.rename(self.target)
        return self.target

    def _add_chart(self, chart: ChartLike) -> None:
        """A chart drawn only from tables already in the bundle: spec (data inline) and SVG; a
        narrow layout comes after the chart it lays out again."""
        name = f"chart_{chart.name}"
        _check_name(name, self.outputs)
        missing = set(chart.based_on) - {o["name"] for o in self.outputs}
        if missing:
            raise ValueError(f"chart {name!r} is drawn from outputs not in the bundle: {missing}")
        variant = getattr(chart, "variant_of", "")
        if variant and not any(o["name"] == f"chart_{variant}" for o in self.outputs):
            raise ValueError(f"chart {name!r} lays out {variant!r}, a chart not in the bundle")
        folder = self.staging / "charts"
        folder.mkdir(exist_ok=True)
        (folder / f"{chart.name}.vl.json").write_text(
            json.dumps(chart.spec, ensure_ascii=False, default=str), "utf-8")
        (folder / f"{chart.name}.svg").write_text(chart.svg, "utf-8")
        self._declare("chart_spec", name)
        self._declare("chart_svg", name)
        lang = chart.name.rsplit("_", 1)[-1]
        self.outputs.append({"name": name, "kind": "chart", "title": chart.title,
                             "files": [f"charts/{chart.name}.vl.json",
                                       f"charts/{chart.name}.svg"],
                             "based_on": list(chart.based_on),
                             **({"lang": lang} if lang in ("nl", "en") else {}),
                             **({"layout": getattr(chart, "layout", "narrow"),
                                 "variant_of": f"chart_{variant}"} if variant else {})})

    def _declare(self, kind: str, output: str | None) -> None:
        path = declared_path(kind, output)
        assert path is not None and (self.staging / path).is_file(), (kind, output)
        if (path, kind, output) not in self.files:
            self.files.append((path, kind, output))

    def _write_manifest(self) -> None:
        """The disclosure log, then the manifest declaring every file with its hash."""
        self._write_json(LOG, {"outputs": self.log})
        self._declare("log", None)
        files = [{"path": path, "kind": kind, "output": output,
                  "sha256": sha256(self.staging / path)}
                 for path, kind, output in sorted(self.files, key=lambda f: f[0])]
        self._write_json(MANIFEST, {
            "bundle_version": BUNDLE_VERSION, "smartstart_version": __version__,
            EXPORT_WORDS: WORDS_VERSION, "pilot": self.pilot,
            "inputs": dict(self.inputs), "seed": self.seed, "started_at": self.started,
            "finished_at": _now(), "outputs": self.outputs,
            "withheld": [dict(w) if isinstance(w, Mapping) else {"name": w[0], "reason": w[1]}
                         for w in self.withheld], **dict(self.extra), "files": files})

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def _variables(self) -> pd.DataFrame:
        return variables_frame(self.outputs)

    def _labels(self) -> pd.DataFrame:
        """The labels of the variables the bundle's tables use, and nothing else."""
        assert self.labels is not None
        used = set(variables_frame(self.outputs).index)
        frame = self.labels.loc[self.labels["variable"].isin(used), list(LABEL_COLUMNS)]
        return frame.astype(str).reset_index(drop=True)

    def _write_json(self, name: str, data: object) -> None:
        (self.staging / name).write_text(json.dumps(data, indent=1, ensure_ascii=False,
                                                    default=str), "utf-8")


def variables_frame(outputs: Sequence[Mapping]) -> pd.DataFrame:
    """``variables.csv``: variables x table outputs, 1 where the output uses the variable."""
    tables = [o for o in outputs if o.get("kind") not in ("text", "chart", "map")]
    names = sorted({v for o in tables for v in o.get("variables", ())})
    return pd.DataFrame({o["name"]: [int(v in o.get("variables", ())) for v in names]
                         for o in tables}, index=pd.Index(names, name="variable"))


def _check_name(name: str, outputs: list[dict]) -> None:
    if not _NAME.match(name):
        raise ValueError(f"output name {name!r}: use lower-case letters, digits, _ and -")
    if any(o["name"] == name for o in outputs):
        raise ValueError(f"output {name!r} is already in the bundle")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
