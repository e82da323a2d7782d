"""Independent references for issue 15's panels, in pandas over the store's parquet tables (no
SQL, no smartstart code): the person-years at risk (residents of the given municipalities aged
0-17 on 1 January, by the address spell covering that day, the reference-date rule written
again here) with a youth-care start that calendar year, and a partner file's treated persons
(each client and, with households, the members of the client's household on the start day,
each from their earliest start)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def store_table(root: Path, table: str, year: int | None = None) -> pd.DataFrame:
    """A store table read from its parquet file (the newest year when ``year`` is None)."""
    manifest = json.loads((root / "store" / "manifest.json").read_text("utf-8"))
    entries = sorted((int(e["year"]), e["store_path"]) for e in manifest["entries"]
                     if e["table"] == table and (year is None or int(e["year"]) == year))
    return pd.read_parquet(root / "store" / entries[-1][1])


def person_years(root: Path, years: list[int], pool: tuple[str, ...]) -> pd.DataFrame:
    """One row per person and year at risk: RINPERSOONS, RINPERSOON, year, bc (buurt), cohort
    (birth year) and hit (1: a youth-care start that year, else NaN)."""
    spells = store_table(root, "GBAADRESOBJECTBUS").dropna(
        subset=["GBADATUMAANVANGADRESHOUDING"])
    spells = spells.sort_values(["RINPERSOONS", "RINPERSOON", "GBADATUMAANVANGADRESHOUDING"])
    start = pd.to_datetime(spells["GBADATUMAANVANGADRESHOUDING"])
    following = start.groupby([spells["RINPERSOONS"], spells["RINPERSOON"]]).shift(-1)
    end = pd.to_datetime(spells["GBADATUMEINDEADRESHOUDING"]).fillna(
        following - pd.Timedelta(days=1)).fillna(pd.Timestamp("2050-12-31"))
    spells = spells.assign(_start=start, _end=end)
    persons = store_table(root, "GBAPERSOONTAB")
    born = pd.to_datetime(dict(year=pd.to_numeric(persons["GBAGEBOORTEJAAR"], errors="coerce"),
                               month=pd.to_numeric(persons["GBAGEBOORTEMAAND"],
                                                   errors="coerce").fillna(7),
                               day=pd.to_numeric(persons["GBAGEBOORTEDAG"],
                                                 errors="coerce").fillna(1)), errors="coerce")
    birth = persons.assign(_birth=born, cohort=pd.to_numeric(
        persons["GBAGEBOORTEJAAR"], errors="coerce"))[
        ["RINPERSOONS", "RINPERSOON", "_birth", "cohort"]]
    care = store_table(root, "JGDHULPBUS")
    care = care.assign(year=pd.to_datetime(care["JGDHGELDIGHEIDBEGINDATUM"]).dt.year)
    hits = care[["RINPERSOONS", "RINPERSOON", "year"]].drop_duplicates().assign(hit=1)
    out = []
    for year in years:
        day = pd.Timestamp(year, 1, 1)
        on = spells[(spells["_start"] <= day) & (spells["_end"] >= day)]
        on = on.sort_values(["_start", "_end", "RINOBJECTNUMMER"], ascending=False)
        on = on.drop_duplicates(["RINPERSOONS", "RINPERSOON"])
        areas = store_table(root, "VSLGWBTAB", year)
        areas = areas[areas["gem"].isin(pool)]
        here = on.merge(areas, on=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"]).merge(
            birth, on=["RINPERSOONS", "RINPERSOON"])
        b = here["_birth"]
        age = year - b.dt.year - ((b.dt.month > 1) | (b.dt.day > 1)).astype(int)
        young = here[(age >= 0) & (age <= 17)].assign(year=year)
        young = young.merge(hits, on=["RINPERSOONS", "RINPERSOON", "year"], how="left")
        out.append(young[["RINPERSOONS", "RINPERSOON", "year", "bc", "cohort", "hit"]])
    return pd.concat(out, ignore_index=True)


def area_panel(root: Path, years: list[int], pool: tuple[str, ...]) -> pd.DataFrame:
    """Per year and buurt: the person-years at risk (n) and those with a start (events)."""
    rows = person_years(root, years, pool)
    counted = rows.groupby(["year", "bc"]).agg(n=("year", "size"), events=("hit", "count"))
    return counted.reset_index().rename(columns={"bc": "area"})


def treated_starts(root: Path, partner: Path, household: bool = True) -> pd.DataFrame:
    """RINPERSOONS, RINPERSOON, start (the year of the earliest start) of the partner file's
    clients (``;``-separated, startdatum DD-MM-YYYY) and, with ``household``, of every member
    of a client's household (HUISHOUDNR) on the client's start day."""
    clients = pd.read_csv(partner, sep=";", dtype=str)
    clients = clients.assign(day=pd.to_datetime(clients["startdatum"], format="%d-%m-%Y"))
    clients = clients.dropna(subset=["RINPERSOON", "day"])
    spells = store_table(root, "GBAHUISHOUDENSBUS")
    spells = spells.assign(_start=pd.to_datetime(spells["DATUMAANVANGHH"]),
                           _end=pd.to_datetime(spells["DATUMEINDEHH"]).fillna(
                               pd.Timestamp("2050-12-31")))
    links = [clients[["RINPERSOONS", "RINPERSOON", "day"]]]
    if household:
        home = clients.merge(spells, on=["RINPERSOONS", "RINPERSOON"])
        home = home[(home["_start"] <= home["day"]) & (home["_end"] >= home["day"])]
        home = (home.sort_values(["_start", "HUISHOUDNR"])
                .drop_duplicates(["RINPERSOONS", "RINPERSOON", "day"], keep="last"))
        members = home[["HUISHOUDNR", "day"]].merge(spells, on="HUISHOUDNR")
        members = members[(members["_start"] <= members["day"])
                          & (members["_end"] >= members["day"])]
        links.append(members[["RINPERSOONS", "RINPERSOON", "day"]])
    every = pd.concat(links, ignore_index=True)
    first = every.groupby(["RINPERSOONS", "RINPERSOON"])["day"].min().dt.year
    return first.rename("start").reset_index()


def household_hits(root: Path, rows: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """For ``rows`` (person-years of ``person_years``), whether the person or anyone in their
    household on 1 January (HUISHOUDNR, the highest when two spells cover the day) had an
    event that calendar year; ``events``: RINPERSOONS, RINPERSOON, year of every event."""
    spells = store_table(root, "GBAHUISHOUDENSBUS")
    spells = spells.assign(_start=pd.to_datetime(spells["DATUMAANVANGHH"]),
                           _end=pd.to_datetime(spells["DATUMEINDEHH"]).fillna(
                               pd.Timestamp("2050-12-31")))
    keys = ["RINPERSOONS", "RINPERSOON"]
    found = events[keys + ["year"]].drop_duplicates()
    hit = pd.Series(False, index=rows.index)
    own = rows.reset_index().merge(found, on=[*keys, "year"])["index"]
    hit[own] = True
    for year in sorted(rows["year"].unique()):
        day = pd.Timestamp(int(year), 1, 1)
        on = spells[(spells["_start"] <= day) & (spells["_end"] >= day)]
        mine = rows[rows["year"] == year].reset_index().merge(on[[*keys, "HUISHOUDNR"]],
                                                              on=keys)
        mine = mine.sort_values("HUISHOUDNR").drop_duplicates("index", keep="last")
        members = on[[*keys, "HUISHOUDNR"]].merge(found[found["year"] == year], on=keys)
        hit[mine.loc[mine["HUISHOUDNR"].isin(set(members["HUISHOUDNR"])), "index"]] = True
    return hit
