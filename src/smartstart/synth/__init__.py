"""Synthetic CBS-format microdata with planted truth, for the demo, tests and benchmarks."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import Progress

from smartstart._usage import UsageError
from smartstart.sources._catalog import load_catalog
from smartstart.synth import _dirt as dirt
from smartstart.synth import _variants as variants
from smartstart.synth._build import Built, build, partner_file
from smartstart.synth._format import ymd
from smartstart.synth._population import YEAR, day
from smartstart.synth._spec import VARIANTS, RiskModel, SynthSpec
from smartstart.synth._tables import Keys
from smartstart.synth._truth import Tally, demo_truth, truth_tables

__all__ = ["VARIANTS", "RiskModel", "SynthResult", "SynthSpec", "generate"]

PARTNER_PATH = "Partner/Voedselbank/voedselbank_klanten.csv"
LEGACY_NAME = "{prefix} HOOGSTEOPLTAB {year}V{version}"


@dataclass(frozen=True)
class SynthResult:
    out: Path
    files: int
    persons: int
    households: int
    truth: Path


def _municipality_codes(n: int, demo: str, given: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """The code of each chunk: the given municipalities in order (``SynthSpec.municipalities``),
    else the demo municipality followed by invented codes 0001, 0004, ..."""
    codes = [code for code, _ in given] or [demo]
    candidate = 1
    while len(codes) < n:
        code = f"{candidate:04d}"
        if code not in codes:
            codes.append(code)
        candidate += 3
    return codes[:n]


def generate(out: Path, spec: SynthSpec, console: Console | None = None) -> SynthResult:
    """Write every table, the partner file and truth.json; the folder appears only when done."""
    spec.validate()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty: choose a new folder")
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    console = console or Console(quiet=True)
    try:
        result = _generate(staging, spec, console)
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # the households asked for live in the area on the peildatum; over the years more come
    # and go (a new user read 4,260 households for --households 3000 as a mistake; helper-41)
    places = (f"{len(spec.municipalities)} synthetic municipalities" if spec.municipalities
              and len(spec.municipalities) > 1 else "synthetic municipality")
    console.print(f"[green]{places} written[/] to {out} "
                  f"({result.files} files, {result.persons:,} persons and "
                  f"{result.households:,} households over the years, {spec.households:,} of "
                  f"them living there on {spec.peildatum}); planted truth in "
                  f"{out / 'truth.json'}")
    return SynthResult(out, result.files, result.persons, result.households, out / "truth.json")


def _generate(root: Path, spec: SynthSpec, console: Console) -> SynthResult:
    from smartstart.synth._write import Sink

    catalog = load_catalog()
    sink, tally, record = Sink(root, spec.fmt), Tally(), variants.Record(spec)
    sizes = spec.chunk_sizes()
    codes = _municipality_codes(len(sizes), spec.municipality[0], spec.municipalities)
    offsets = [0, 0, 0]
    truth: dict = {"spec": _spec_json(spec)}
    persons = households = 0
    places = []  # (areas, name) per municipality: the synthetic wijk- en buurtkaart
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("synthesising municipalities", total=len(sizes))
            for index, size in enumerate(sizes):
                keys = Keys(*offsets)
                built = build(spec, index, codes[index], size, keys)
                removed = _plant_and_write(spec, index, built, sink, tally, catalog, record)
                if index == 0:
                    truth.update(_demo(root, spec, built, removed, record))
                offsets = [offsets[0] + built.pop.n_persons,
                           offsets[1] + built.pop.n_households + built.pop.n_persons,
                           offsets[2] + built.address["n_objects"]]
                persons += built.pop.n_persons
                households += built.pop.n_households
                places.append((built.areas, _place_name(spec, codes[index])))
                progress.advance(task)
        sink.close()
        truth["boundaries"] = _write_boundaries(root, places)
        truth["schools"] = _write_schools(root, places)
    except BaseException:
        sink.abort()
        raise
    truth["files"] = tally.to_json()
    truth["versions"] = _versions(tally)
    if spec.variants:
        years: dict[str, list[int]] = {}
        for entry in tally.files.values():
            years.setdefault(entry["table"], []).append(entry["year"])
        variants.record_gaps(record, spec, catalog, years)
        truth["variants"] = record.to_json()
    (root / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), "utf-8")
    return SynthResult(root, len(tally.files) + 1, persons, households, root / "truth.json")


def _place_name(spec: SynthSpec, code: str) -> str:
    given = dict(spec.municipalities) or {spec.municipality[0]: spec.municipality[1]}
    return given.get(code, f"gemeente {code}")


def _write_boundaries(root: Path, places: list) -> str:
    """The synthetic wijk- en buurtkaart of every municipality (``_boundaries``)."""
    from smartstart.synth._boundaries import BOUNDARIES_PATH, write_boundaries

    write_boundaries(root / BOUNDARIES_PATH, places)
    return BOUNDARIES_PATH


def _write_schools(root: Path, places: list) -> str:
    """The school-location file of every municipality's schools (``_schools``)."""
    from smartstart.synth._schools import SCHOOLS_PATH, write_school_locations

    write_school_locations(root / SCHOOLS_PATH, [areas for areas, _ in places])
    return SCHOOLS_PATH


def _spec_json(spec: SynthSpec) -> dict:
    data = asdict(spec)
    data["peildatum"] = spec.peildatum.isoformat()
    data["intervention_year"] = spec.intervention_year
    if not spec.variants:
        del data["variants"]  # the demo's truth.json as before variants existed
    if not spec.municipalities:
        del data["municipalities"]  # likewise before regions
    return data


def _versions(tally: Tally) -> dict:
    seen: dict[str, list[int]] = {}
    for entry in tally.files.values():
        seen.setdefault(f"{entry['table']} {entry['year']}", []).append(entry["version"])
    return {k: {"delivered": sorted(v), "newest": max(v)} for k, v in sorted(seen.items())}


def _plant_and_write(spec, index, built: Built, sink, tally, catalog, record) -> np.ndarray:
    rng = np.random.default_rng([spec.seed, index, 99])
    first = day(spec.first_year)
    planted: dict[tuple[str, int, int], list[tuple[str, dict]]] = {}
    removed = np.array([], dtype=int)
    frames = []
    for table, year, version, frame in built.frames:
        note = planted.setdefault((table, year, version), [])
        if table == "GBAADRESOBJECTBUS":
            ad = built.address
            bad = dirt.impossible_dates(rng, frame, ad["person"], ad["start"], ad["end"],
                                        "GBADATUMEINDEADRESHOUDING", first, 0.01)
            note.append(("impossible_dates", bad))
            built.facts["overlaps"] = dirt.overlaps(
                rng, frame, ad["person"], ad["start"], ad["end"], "GBADATUMEINDEADRESHOUDING",
                0.003, np.asarray(frame["GBADATUMEINDEADRESHOUDING"]) != ymd(ad["end"]))
        elif table == "GBAHUISHOUDENSBUS":
            hs = built.household
            note.append(("impossible_dates", dirt.impossible_dates(
                rng, frame, hs["person"], hs["start"], hs["end"], "DATUMEINDEHH", first, 0.01)))
            dirt.pad_codes(rng, frame, "TYPHH", 0.03)
            removed = _persons_without_household(rng, built)
            keep = ~np.isin(hs["person"], removed)
            frame = {k: v[keep] for k, v in frame.items()}
        elif table == "GBAPERSOONTAB":
            old = _older(built, year)
            dirt.replace_some(rng, frame, "GBAHERKOMSTGROEPERING", old, "----", 0.02)
            dirt.replace_some(rng, frame, "GBAHERKOMSTGROEPERING", old, "0000", 0.01)
            early = built.pop.p_birth < day(year, 11, 1)
            frames.append((table, year, 1, {k: v[early] for k, v in frame.items()}))
        elif table == "INHATAB":
            frame["INHBESTINKH"] = frame["INHBESTINKH"].astype(float)
            dirt.replace_some(rng, frame, "INHBESTINKH", _older(built, year, frame["_person"]),
                              999999999.0, 0.01)
        elif table == "HOOGSTEOPLTAB":
            childless = built.pop.extra["hh_kids"][built.pop.p_hh[frame["_person"]]] == 0
            dirt.replace_some(rng, frame, "OPLNIVSOI2021AGG4HBmetNIRWO",
                              _older(built, year, frame["_person"]) & childless, "----", 0.01)
        elif table == "WMOBUS":
            note.append(("open_end_aliases", dirt.open_end_alias(rng, frame, "WMODATUMEINDE",
                                                                 0.3)))
        frames.append((table, year, version, frame))
    items = [variants.Item(catalog.table(table), year, version, frame,
                           _legacy(spec, table, year, version))
             for table, year, version, frame in frames]
    for item in variants.apply(items, spec, index):
        rel = sink.write(item.table, item.year, item.version, item.frame, relpath=item.relpath)
        tally.add(rel, item.table, item.year, item.version, item.frame)
        for kind, counts in planted.get((item.table.name, item.year, item.version), []):
            tally.add_dirt(rel, kind, counts)
        record.add(rel, item)
    built.facts["removed"] = removed
    return removed


def _older(built: Built, year: int, person: np.ndarray | None = None) -> np.ndarray:
    birth = built.pop.p_birth if person is None else built.pop.p_birth[person]
    return birth <= day(year, 12, 31) - int(65 * YEAR)


def _persons_without_household(rng, built: Built) -> np.ndarray:
    pop = built.pop
    alone = (pop.p_role == 0) & (pop.hh_type[pop.p_hh] == 1) & (pop.hh_foodbank[pop.p_hh] == 0)
    return np.flatnonzero(alone & (rng.random(pop.n_persons) < 0.005))


def _legacy(spec: SynthSpec, table: str, year: int, version: int) -> str | None:
    """The first HOOGSTEOPLTAB year carries the older, date-prefixed file name."""
    if table == "HOOGSTEOPLTAB" and year == spec.first_year:
        name = LEGACY_NAME.format(prefix=f"{(year + 1) % 100:02d}0619", year=year, version=version)
        return f"Onderwijs/HOOGSTEOPLTAB/{year}/{name}.sav"
    return None


def _demo(root: Path, spec: SynthSpec, built: Built, removed: np.ndarray, record) -> dict:
    rng = np.random.default_rng([spec.seed, 0, 55])
    frame, facts = partner_file(rng, spec, built)
    partner = variants.partner_variant(spec)
    if partner is None:
        path = root / PARTNER_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        import pandas as pd

        pd.DataFrame(frame).to_csv(path, sep=";", index=False, encoding="latin-1")
        rel = PARTNER_PATH
    else:
        rel, note = variants.write_partner(root, spec, frame, facts)
        record.note(partner, "partner", note)
    truth = demo_truth(spec, built, facts, removed)
    truth["partner_file"] = rel
    truth["dirt"] = {"overlapping_address_spells": built.facts["overlaps"],
                     "persons_without_household_spell": int(len(removed))}
    folder = root / "truth"
    folder.mkdir(exist_ok=True)
    for name, table in truth_tables(built, facts).items():
        pq.write_table(pa.table({k: np.asarray(v) for k, v in table.items()}),
                       folder / f"{name}.parquet")
    return {"demo": truth}
