"""Who lives where on the peildatum, in which household, with which parents and income."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from smartstart.linking import _checks as checks
from smartstart.linking._db import Database, sql_text
from smartstart.linking._partner import read_partner
from smartstart.pilot import Study, TargetGroup
from smartstart.sources._layout import lasting_sql

#: the step whose loss the run's summary watches (residents that link to no household)
WITH_HOUSEHOLD = "inwoners met huishouden"
#: the flow's first step: the address spells of everyone with an address in the pilot's
#: municipalities on or after the peildatum (the same with or without a layout, in a region or
#: a national run)
EVER_HERE = "adresperioden van bewoners op of na de peildatum"

SPELLS = {  # table -> (start, end, tie-break column) of the reference-date rule
    "GBAADRESOBJECTBUS": ("GBADATUMAANVANGADRESHOUDING", "GBADATUMEINDEADRESHOUDING",
                          "RINOBJECTNUMMER"),
    "GBAHUISHOUDENSBUS": ("DATUMAANVANGHH", "DATUMEINDEHH", "HUISHOUDNR"),
    "SECMBUS": ("AANVSECM", "EINDSECM", "SECM"),
}


def on_date(db: Database, table: str, source: str, target: str) -> int:
    """Apply the reference-date rule to ``source`` (a relation of ``table`` rows); returns
    the persons with a spell on the peildatum."""
    start, end, tiebreak = SPELLS[table]
    sql = sql_text("spell_on_date", source=source, start_col=start, end_col=end,
                   tiebreak=tiebreak)
    return db.create(target, sql)


def spells_on_date(db: Database, target: str) -> int:
    """The spells on the peildatum behind ``target`` (``on_date``): more than its persons
    where a person's spells overlap on the date and rule 4 kept the latest start."""
    return int(db.con.execute(f"SELECT coalesce(sum(_covering), 0) FROM {target}"
                              ).fetchall()[0][0])


def link_residents(db: Database, study: Study) -> None:
    db.con.execute(sql_text("macros")).fetchall()
    vslgwb = db.table("VSLGWBTAB", db.dates.area_year)
    db.create("objects", sql_text("municipality_objects", vslgwb=vslgwb))
    missing = db.frame(sql_text("municipalities_without_objects"))["gem"].tolist()
    if missing:  # every named municipality without an address, at once
        checks.no_objects(db, study, missing, db.read["VSLGWBTAB"])
    addresses = db.table("GBAADRESOBJECTBUS")
    # the delivery's spells (as ingest wrote them), not those of the parts read: the same flow
    # either way
    total = db.manifest[("GBAADRESOBJECTBUS", db.read["GBAADRESOBJECTBUS"])].rows_written
    # the persons with an address there on or after the peildatum and of their spells those
    # that can matter from it on (``lasting_sql``): what every layout that serves the
    # peildatum holds, so the same flow from its parts and from the full files
    since = db.dates.peildatum
    ever = sql_text("persons_ever_here", addresses=addresses)
    n_hist = db.create("address_history",
                       lasting_sql(f"({ever})", "GBAADRESOBJECTBUS"), {"since": since})
    db.record(EVER_HERE, total, n_hist,
              f"adresperioden die duren tot de peildatum ({since:%d-%m-%Y}) of later, van "
              f"personen met een adres in {db.dates.places} op of na de peildatum",
              ("address spells of residents on or after the reference date", "address spells "
               f"lasting to the reference date ({since:%Y-%m-%d}) or later, of persons with an "
               f"address in {db.dates.places_en} on or after it"))
    undated = db.count("address_history WHERE GBADATUMAANVANGADRESHOUDING IS NULL")
    n_date = on_date(db, "GBAADRESOBJECTBUS", "address_history", "address_on_date")
    covering = spells_on_date(db, "address_on_date")
    db.record("adresperioden met begindatum", n_hist, n_hist - undated,
              "perioden zonder begindatum kunnen niet op de peildatum vallen en tellen niet mee",
              ("address spells with a start date", "spells without a start date cannot cover "
               "the reference date and do not count"))
    db.record("adresperioden op peildatum", n_hist - undated, covering,
              "alleen de perioden waarin de peildatum valt",
              ("address spells on the reference date",
               "only the spells that cover the reference date"))
    db.record("adres op peildatum", covering, n_date,
              "één adres per persoon: overlappen twee adresperioden op de peildatum, dan telt de "
              "laatst begonnen periode",
              ("address on the reference date", "one address per person: where two address "
               "spells overlap on the reference date, the one that started last counts"))
    n_date -= _unplaced(db, n_date)
    n_res = db.create("residents", sql_text("residents_on_date"))
    db.record("inwoners op peildatum", n_date, n_res,
              f"het adres op de peildatum ligt in {db.dates.places}",
              ("residents on the reference date",
               f"the address on the reference date lies in {db.dates.places_en}"))
    if n_res == 0:
        checks.no_residents(db, study)
    db.drop("address_history", "address_on_date", "objects")  # residents holds what follows needs


def _unplaced(db: Database, n_date: int) -> int:
    """The ever-residents whose address on the peildatum has no municipality in the area file
    (a missing code, nulled at ingest): counted in a step of their own, not among those who
    moved away. Read from the full area file, and only when ingest nulled such a code."""
    year = db.read["VSLGWBTAB"]
    gem = db.manifest[("VSLGWBTAB", year)].columns.get("gem", {})
    if not sum(gem.get(k, 0) for k in ("missing_code_nulls", "empty_nulls",
                                       "unknown_codes_nulled")):
        return 0
    full = db.table("VSLGWBTAB", year, full=True)
    unplaced = db.count(f"address_on_date SEMI JOIN (SELECT SOORTOBJECTNUMMER, RINOBJECTNUMMER "
                        f"FROM {full} WHERE gem IS NULL) USING (SOORTOBJECTNUMMER, "
                        "RINOBJECTNUMMER)")
    db.record("adres met een gemeente", n_date, n_date - unplaced,
              f"een adres zonder gemeente in VSLGWBTAB {year} (ontbrekende code) ligt in geen "
              "gemeente: wie daar woont, telt niet mee",
              ("address with a municipality", f"an address without a municipality in "
               f"VSLGWBTAB {year} (a missing code) lies in no municipality: who lives there "
               "does not count"))
    return unplaced


def link_households(db: Database, study: Study) -> None:
    n_res = db.count("residents")
    db.create("household_history", sql_text("history_of_residents",
                                            source=db.table("GBAHUISHOUDENSBUS")))
    on_date(db, "GBAHUISHOUDENSBUS", "household_history", "household_on_date")
    persons = db.table("GBAPERSOONTAB")
    kindouder = db.table("KINDOUDERTAB")
    n = db.create("persons_on_date", sql_text("persons_on_date", persons=persons,
                                              kindouder=kindouder))
    without = db.count("persons_on_date WHERE household_id IS NULL")
    db.record(WITH_HOUSEHOLD, n_res, n - without,
              "inwoners zonder huishouden op de peildatum vallen af",
              ("residents with a household", "residents without a household on the reference "
               "date drop out"))
    if n == without:
        checks.no_households(db, study)
    db.drop("household_history", "household_on_date")
    checks.guard_unique(db, "persons_on_date")
    db.create("mothers", sql_text("mothers_first_child", persons=persons, kindouder=kindouder))


def link_income_and_status(db: Database, study: Study) -> None:
    """Income household and education of the year before the peildatum; status on the date."""
    year = db.dates.data_year
    db.create("income", sql_text("income_households",
                                 koppel=db.table("KOPPELPERSOONHUISHOUDEN", year),
                                 inha=db.table("INHATAB", year)))
    db.create("education", sql_text("education_levels",
                                    education=db.table("HOOGSTEOPLTAB", year)))
    db.create("status_history", sql_text("history_of_residents", source=db.table("SECMBUS")))
    on_date(db, "SECMBUS", "status_history", "status_on_date")
    db.drop("status_history")


def link_target_group(db: Database, study: Study, partners: Mapping[str, Path]) -> pd.DataFrame:
    """Link every partner file of the target group (``partners``: partner_file -> path), each
    read with its own columns and judged against its own window, into one ``partner_clients``
    table (``partner`` names the file); ``target_households`` is the union over the files.
    Returns the rows per partner and link status (partner, link_status, n)."""
    groups = study.partner_groups
    frames = {tg.partner_file: read_partner(partners[tg.partner_file], tg) for tg in groups}
    rows = pd.concat([f.assign(partner=name) for name, f in frames.items()], ignore_index=True)
    windows = pd.DataFrame([vars(w) for w in db.dates.windows]).rename(
        columns={"start": "window_start", "end": "window_end"})
    db.con.register("partner", rows)
    db.con.register("partner_windows", windows)
    db.create("partner_clients", sql_text("partner_clients", persons=db.table("GBAPERSOONTAB")))
    unexplained = db.count("partner_clients WHERE link_status = 'niet gevonden'")
    if unexplained and db.sources.get(db.table("GBAPERSOONTAB")) == "layout":
        full = db.table("GBAPERSOONTAB", full=True)
        db.con.execute(sql_text("partner_recheck", persons=full)).fetchall()
    status = _by_status(db, [tg.partner_file for tg in groups])
    n_target = db.create("target_households", "SELECT DISTINCT household_id FROM partner_clients "
                                              "WHERE link_status = 'doelgroep'")
    _record_target(db, groups, frames, n_target)
    if n_target == 0:
        checks.no_target(study, status, frames)
    return status


def _by_status(db: Database, order: list[str]) -> pd.DataFrame:
    """Partner rows per partner (in the pilot's order) and link status."""
    status = db.frame("SELECT partner, link_status, count(*) AS n FROM partner_clients "
                      "GROUP BY 1, 2 ORDER BY 1, 2")
    rank = status["partner"].map({name: k for k, name in enumerate(order)})
    return status.iloc[rank.argsort(kind="stable")].reset_index(drop=True)


def _record_target(db: Database, groups: tuple[TargetGroup, ...], frames: dict[str, pd.DataFrame],
                   n_target: int) -> None:
    """One attrition step for one partner file (as it always was); with several, one step per
    partner (its rows -> its target households) and one for the union."""
    if len(groups) == 1:
        tg = groups[0]
        db.record("doelgroep: huishoudens", len(frames[tg.partner_file]), n_target,
                  "huishoudens op de peildatum met een lid in het partnerbestand van wie de "
                  f"klantperiode overlapt met {tg.window.start} t/m {tg.window.end}",
                  ("target group: households", "households on the reference date with a "
                   "member in the partner file whose client period overlaps "
                   f"{tg.window.start} to {tg.window.end}"), changes_unit=True)
        return
    per_partner = db.frame("SELECT partner, count(DISTINCT household_id) AS n FROM "
                           "partner_clients WHERE link_status = 'doelgroep' GROUP BY 1")
    found = dict(zip(per_partner["partner"], per_partner["n"], strict=True))
    for tg in groups:
        db.record(f"doelgroep: huishoudens uit {tg.partner_file}", len(frames[tg.partner_file]),
                  int(found.get(tg.partner_file, 0)),
                  f"huishoudens op de peildatum met een lid in het partnerbestand "
                  f"{tg.partner_file} van wie de klantperiode overlapt met {tg.window.start} "
                  f"t/m {tg.window.end}",
                  (f"target group: households from {tg.partner_file}",
                   "households on the reference date with a member in the partner file "
                   f"{tg.partner_file} whose client period overlaps {tg.window.start} to "
                   f"{tg.window.end}"), changes_unit=True)
    db.record("doelgroep: huishoudens", sum(int(v) for v in found.values()), n_target,
              "huishoudens met een lid in een of meer van de partnerbestanden "
              f"({', '.join(tg.partner_file for tg in groups)}); een huishouden in meer "
              "bestanden telt één keer",
              ("target group: households", "households with a member in one or more of the "
               f"partner files ({', '.join(tg.partner_file for tg in groups)}); a household "
               "in several files counts once"))
