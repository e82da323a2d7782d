"""Stops with the likely cause named: a linking step that found nothing, a duplicated person.

Zero residents, households, children, target group or outcome cases never give an empty
bundle: the run stops (``errors.Empty``, exit 1) and says where to look (the municipality
code, a date format, a code list, the window).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from smartstart.errors import DuplicateKeys, Empty
from smartstart.linking._db import Database, sql_text
from smartstart.pilot import Study, TargetGroup

#: tables joined one row per person: a duplicated key would count a person twice
ONE_PER_PERSON = (("GBAPERSOONTAB", "RINPERSOONS", "RINPERSOON"),
                  ("KINDOUDERTAB", "RINPERSOONS", "RINPERSOON"),
                  ("KOPPELPERSOONHUISHOUDEN", "RINPERSOONS", "RINPERSOON"),
                  ("HOOGSTEOPLTAB", "RINPERSOONS", "RINPERSOON"),
                  ("INHATAB", "RINPERSOONSHKW", "RINPERSOONHKW"))


def no_objects(db: Database, study: Study, missing: list[str], year: int) -> None:
    """Every named municipality without an address object in VSLGWBTAB, named at once."""
    full = db.table("VSLGWBTAB", year, full=True)  # the codes the delivery does hold
    codes = db.frame(sql_text("municipality_codes", vslgwb=full))
    listed = ", ".join(codes["gem"]) or "none"
    held = int(codes["codes"].iloc[0]) if len(codes) else 0
    if held > len(codes):  # helper-44: 8 of 48, unsaid
        listed = f"{held} codes, the largest {listed}"
    which = "municipality" if len(missing) == 1 else "municipalities"
    raise Empty("residents", f"no address of {which} {', '.join(missing)} in VSLGWBTAB {year} "
                f"(codes there: {listed})",
                hint=f"check {_field(study)} (4-digit CBS codes, e.g. 0784) and that the "
                     "delivery's area table covers these municipalities")


def no_residents(db: Database, study: Study) -> None:
    """No resident on the peildatum: stop, with the dates of every address spell at an address
    of the pilot's municipalities (the full file: a layout holds only later ones)."""
    full = db.table("GBAADRESOBJECTBUS", full=True)
    db.con.execute(f"CREATE OR REPLACE TEMP VIEW spells_here AS SELECT a.* FROM {full} AS a "
                   "SEMI JOIN objects USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)").fetchall()
    r = spell_range(db, "spells_here", "GBADATUMAANVANGADRESHOUDING",
                    "GBADATUMEINDEADRESHOUDING")
    raise Empty("residents", f"no resident of {_places(study)} on {study.peildatum}: the "
                f"{r['spells']:,} address spells at an address there run from "
                f"{r['first_start']} to {r['last_end']} ({r['undated']:,} without a start date)",
                hint="choose a peildatum within those dates; if most spells have no start date, "
                     "the date columns of GBAADRESOBJECTBUS were in an unexpected format "
                     "(see the store manifest's null counts)")


def no_households(db: Database, study: Study) -> None:
    r = spell_range(db, "household_history", "DATUMAANVANGHH", "DATUMEINDEHH")
    raise Empty("households", f"no resident of {_places(study)} has a household on "
                f"{study.peildatum}: the {r['spells']:,} household spells of the residents run "
                f"from {r['first_start']} to {r['last_end']} ({r['undated']:,} without a start "
                "date)",
                hint="check GBAHUISHOUDENSBUS: the year delivered and its date columns")


def guard_unique(db: Database, relation: str) -> None:
    """Stop when ``relation`` (one row per resident) has a person twice, naming the table."""
    got = db.con.execute(f"SELECT count(*), count(DISTINCT (RINPERSOONS, RINPERSOON)) "
                         f"FROM {relation}").fetchall()[0]
    if got[0] == got[1]:
        return
    for table, s, k in ONE_PER_PERSON:
        if table not in db.read:
            continue
        view = db.table(table, db.read[table])
        keys, example = db.con.execute(sql_text("duplicate_keys", source=view, s=s, k=k)
                                       ).fetchall()[0]
        if keys:
            raise DuplicateKeys(table, db.source_file(table), (s, k), keys, example)
    raise DuplicateKeys(relation, relation, ("RINPERSOONS", "RINPERSOON"), got[0] - got[1], "?")


def no_target(study: Study, status: pd.DataFrame, samples: Mapping[str, pd.DataFrame]) -> None:
    """No household in the target group: the link statuses of each partner file say where its
    rows went (``status``: partner, link_status, n; ``samples``: each partner's rows)."""
    groups = study.partner_groups
    counts = {tg.partner_file: _counts(status, tg.partner_file) for tg in groups}
    if len(groups) == 1:
        tg = groups[0]
        own = counts[tg.partner_file]
        shown = ", ".join(f"{k}: {v:,}" for k, v in own.items()) or "no rows"
        raise Empty("target_group", f"no household in the target group ({shown})",
                    hint=_target_hint(_biggest(own), study, tg, samples[tg.partner_file]))
    shown = "; ".join(f"{name}: " + (", ".join(f"{k}: {v:,}" for k, v in own.items())
                                     or "no rows") for name, own in counts.items())
    hints = "; ".join(f"{tg.partner_file}: " + _target_hint(
        _biggest(counts[tg.partner_file]), study, tg, samples[tg.partner_file]) for tg in groups)
    raise Empty("target_group", f"no household in the target group of any partner file "
                f"({shown})", hint=hints)


def _counts(status: pd.DataFrame, partner: str) -> dict[str, int]:
    own = status[status["partner"] == partner] if "partner" in status else status
    return dict(zip(own["link_status"], own["n"], strict=True))


def _biggest(counts: Mapping[str, int]) -> str:
    return max(counts, key=counts.__getitem__) if counts else ""


def _target_hint(biggest: str, study: Study, tg: TargetGroup, sample: pd.DataFrame) -> str:
    first = sample.iloc[0].to_dict() if len(sample) else {}
    where = ("study.target_group.window" if len(study.partner_groups) == 1
             else f"the window of {tg.partner_file} under study.target_group.partners")
    if biggest == "niet gekoppeld":
        return (f"the key columns {tg.rinpersoons_column}/{tg.rinpersoon_column} hold no "
                f"linked key (e.g. {first.get('rinpersoons')!r} {first.get('rinpersoon')!r}): "
                "RINPERSOONS must be R and RINPERSOON 9 digits")
    if biggest == "niet gevonden":
        return (f"no key of the partner file is in GBAPERSOONTAB (e.g. "
                f"{first.get('rinpersoon')!r}): check {tg.rinpersoon_column} (9 digits, "
                "zero-padded) and that the file was linked for this delivery")
    if biggest == "buiten het venster":
        return (f"no client period overlaps {tg.window.start} to {tg.window.end} (e.g. start "
                f"{first.get('client_start')}): check {where} and the date "
                f"format {tg.date_format!r} of {tg.start_column}")
    if biggest == "buiten de gemeente":
        return ("the partner's clients do not live in the pilot's municipalities on the "
                f"peildatum: check {_field(study)} and the peildatum")
    return "check study.target_group and the partner file"


def no_children(study: Study) -> None:
    raise Empty("children", f"no child under 18 in a household of {_places(study)} on "
                f"{study.peildatum}",
                hint="check GBAPERSOONTAB's birth dates and the household positions (PLHH) of "
                     "GBAHUISHOUDENSBUS against the catalog's code list")


def no_outcome(study: Study, tables: tuple[str, ...], end: date, ranges: dict[str, str]) -> None:
    covered = "; ".join(f"{t}: {r}" for t, r in ranges.items())
    raise Empty("outcome", f"no child has the outcome {study.outcome.name} starting between "
                f"{study.peildatum} and {end} (tables {', '.join(tables)}; {covered})",
                hint="check that the outcome tables cover the window after the peildatum, "
                     "and their code lists (youth care forms 11-14, OTS measure) in the catalog")


def spell_range(db: Database, source: str, start: str, end: str) -> dict:
    """spells, undated, first_start, last_end (dates as YYYY-MM-DD) of a spell relation."""
    row = db.frame(sql_text("spell_range", source=source, start_col=start, end_col=end)).iloc[0]
    return {"spells": int(row["spells"]), "undated": int(row["undated"]),
            "first_start": _day(row["first_start"]), "last_end": _day(row["last_end"])}


def _day(value: object) -> str:
    return "-" if pd.isna(value) else str(pd.Timestamp(value).date())


def _places(study: Study) -> str:
    """The pilot's municipality codes as messages name them: ``0784`` or ``0784, 0855``."""
    return ", ".join(study.municipalities)


def _field(study: Study) -> str:
    """The pilot field that named the municipalities."""
    if study.regio is not None:
        return f"study.regio ({study.regio}: {_places(study)})"
    return "study.gemeenten" if study.gemeenten is not None else "study.gemeente"
