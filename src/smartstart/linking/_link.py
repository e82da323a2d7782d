"""Who lives where on the peildatum, in which household, with which parents and income."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from smartstart.linking import _checks as checks
from smartstart.linking._db import Database, sql_text
from smartstart.linking._partner import read_partner
from smartstart.pilot import Study

SPELLS = {  # table -> (start, end, tie-break column) of the reference-date rule
    "GBAADRESOBJECTBUS": ("GBADATUMAANVANGADRESHOUDING", "GBADATUMEINDEADRESHOUDING",
                          "RINOBJECTNUMMER"),
    "GBAHUISHOUDENSBUS": ("DATUMAANVANGHH", "DATUMEINDEHH", "HUISHOUDNR"),
    "SECMBUS": ("AANVSECM", "EINDSECM", "SECM"),
}


def on_date(db: Database, table: str, source: str, target: str) -> int:
    """Apply the reference-date rule to ``source`` (a relation of ``table`` rows)."""
    start, end, tiebreak = SPELLS[table]
    sql = sql_text("spell_on_date", source=source, start_col=start, end_col=end,
                   tiebreak=tiebreak)
    return db.create(target, sql)


def link_residents(db: Database, study: Study) -> None:
    db.con.execute(sql_text("macros")).fetchall()
    vslgwb = db.table("VSLGWBTAB", db.dates.area_year)
    db.create("objects", sql_text("municipality_objects", vslgwb=vslgwb))
    missing = db.frame(sql_text("municipalities_without_objects"))["gem"].tolist()
    if missing:  # every named municipality without an address, at once
        checks.no_objects(db, study, missing, db.read["VSLGWBTAB"])
    addresses = db.table("GBAADRESOBJECTBUS")
    total = db.count(addresses)
    n_hist = db.create("address_history", sql_text("persons_ever_here", addresses=addresses))
    db.record("adresperioden van ooit-bewoners", total, n_hist,
              f"adresperioden van personen die ooit op een adres in {db.dates.places} "
              "woonden")
    undated = db.count("address_history WHERE GBADATUMAANVANGADRESHOUDING IS NULL")
    n_date = on_date(db, "GBAADRESOBJECTBUS", "address_history", "address_on_date")
    db.record("adresperioden met begindatum", n_hist, n_hist - undated,
              "perioden zonder begindatum kunnen niet op de peildatum vallen en tellen niet mee")
    db.record("adres op peildatum", n_hist - undated, n_date,
              "één adres per persoon op de peildatum")
    n_res = db.create("residents", sql_text("residents_on_date"))
    db.record("inwoners op peildatum", n_date, n_res,
              f"het adres op de peildatum ligt in {db.dates.places}")
    if n_res == 0:
        checks.no_residents(db, study)


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
    db.record("inwoners met huishouden", n_res, n - without,
              "inwoners zonder huishouden op de peildatum vallen af")
    if n == without:
        checks.no_households(db, study)
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


def link_target_group(db: Database, study: Study, partner: Path) -> pd.DataFrame:
    tg = study.partner_group
    assert tg is not None
    frame = read_partner(partner, tg)
    db.con.register("partner", frame)
    db.create("partner_clients", sql_text("partner_clients", persons=db.table("GBAPERSOONTAB")))
    unexplained = db.count("partner_clients WHERE link_status = 'niet gevonden'")
    if unexplained and db.sources.get(db.table("GBAPERSOONTAB")) == "layout":
        full = db.table("GBAPERSOONTAB", full=True)
        db.con.execute(sql_text("partner_recheck", persons=full)).fetchall()
    status = db.frame("SELECT link_status, count(*) AS n FROM partner_clients "
                      "GROUP BY 1 ORDER BY 1")
    n_target = db.create("target_households", "SELECT DISTINCT household_id FROM partner_clients "
                                              "WHERE link_status = 'doelgroep'")
    db.record("doelgroep: huishoudens", len(frame), n_target,
              "huishoudens op de peildatum met een lid in het partnerbestand van wie de "
              f"klantperiode overlapt met {tg.window.start} t/m {tg.window.end}")
    if n_target == 0:
        checks.no_target(study, status, frame)
    return status
