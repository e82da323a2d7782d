"""The effect monitor's panel (``study.effect``): per outcome, year and buurt of the comparison
pool, the units at risk (``n``: residents of the plan's ages on 1 January, by the buurt of their
address that day) and those with at least one of the outcome's events that calendar year
(``events``). The address spells are read once, then a year at a time the persons at risk and
their counts (``sql/effect_panel*.sql``); the outcome's events are read as the library defines
them (its tables, start columns and conditions).

The panel holds exact counts per area and year: it stays in the run's ``work/`` folder and
leaves only through the gate (``outputs/_effect.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from smartstart._effect_plan import EffectPlan, pool_municipalities
from smartstart.errors import LackOfData
from smartstart.features._library import library
from smartstart.features._tables import sql_file
from smartstart.linking import Database, sql_text
from smartstart.sources._catalog import load_catalog
from smartstart.sources._layout import served_from

#: the panel's columns (one row per outcome, year and buurt)
COLUMNS = ("outcome", "year", "gemeente", "wijk", "area", "n", "events")


@dataclass(frozen=True)
class PanelYears:
    """The years the panel covers: the plan's, or every year the delivery's area files and
    the outcome's event tables both cover. A plan that starts after the delivery's last year
    (power before the start) may name years after it: they are the planned years, not read."""

    years: tuple[int, ...]

    @classmethod
    def of(cls, db: Database, plan: EffectPlan) -> PanelYears:
        delivered = set(db.years("VSLGWBTAB"))
        if plan.years is not None:
            wanted = set(range(plan.years[0], plan.years[1] + 1))
            if delivered and plan.start > max(delivered):  # planned: the years to come
                wanted = {y for y in wanted if y <= max(delivered)}
            missing = sorted(wanted - delivered)
            if missing:
                raise LackOfData("other", "no area file (VSLGWBTAB) for the plan's years "
                                 + ", ".join(map(str, missing)))
            return cls(tuple(sorted(wanted)))
        return cls(tuple(sorted(delivered)))


def effect_panel(db: Database, plan: EffectPlan, municipalities: tuple[str, ...],
                 regio: str | None) -> pd.DataFrame:
    """The panel (``COLUMNS``) for every outcome of the plan over the plan's years; the years
    after the last event the outcome's tables hold are left out (no data is not no event)."""
    years = PanelYears.of(db, plan).years
    areas = _areas_view(db, years)
    pool = pool_municipalities(plan, municipalities, regio)
    # a by-municipality layout holds the persons who lived in the pilot's municipalities: a
    # pool beyond them (the region's or the delivery's buurten) reads the full files
    full = pool is None or not set(pool) <= set(db.dates.gemeenten) or _from_vanaf(db)
    events, last = _events_view(db, plan, full=full)
    parameters = _parameters(plan, years, pool)
    # the events of the years read once, not once a year
    db.con.execute("CREATE OR REPLACE TEMP TABLE panel_events AS SELECT * FROM "
                   f"{events} WHERE day IS NOT NULL AND list_contains($years, "
                   "CAST(year(day) AS INTEGER))", {"years": list(years)}).fetchall()
    sql = _year_sql(db, areas, parameters, full=full)
    # a year at a time, counted as found: a national pool's residents of every year held
    # together are 55 M rows (7.6 GiB at the peak, now 3.4 GiB)
    _placed(db, areas, parameters, full=full)
    frames = []
    try:
        for year in years:
            wide = db.con.execute(sql, {**_year(parameters, year), "household_outcomes":
                                        parameters["household_outcomes"]}).df()
            frames += [wide[["gem", "wc", "bc", "n"]].assign(
                outcome_index=k, year=year, events=wide[f"events_{k}"])
                for k in range(parameters["outcomes"])]
    finally:
        for table in ("panel_placed", "panel_clash", "panel_clash_spells", "panel_events"):
            db.con.execute(f"DROP TABLE IF EXISTS {table}").fetchall()
    frame = pd.concat(frames, ignore_index=True).sort_values(
        ["outcome_index", "year", "bc"], kind="stable", ignore_index=True)
    frame["outcome"] = [plan.outcomes[int(k)] for k in frame.pop("outcome_index")]
    frame = frame.rename(columns={"gem": "gemeente", "wc": "wijk", "bc": "area"})
    frame["year"] = frame["year"].astype(int)
    frame[["n", "events"]] = frame[["n", "events"]].astype(int)
    keep = frame["year"] <= frame["outcome"].map(last)
    return frame.loc[keep, list(COLUMNS)].reset_index(drop=True)


def _year_sql(db: Database, areas: str, parameters: dict, *, full: bool) -> str:
    """``effect_panel_year.sql`` for the plan's outcomes: a year's area panel in one query."""
    household = parameters["household_outcomes"] != [-1]
    return sql_file("effect_panel_year").format(
        at_risk=sql_file("effect_panel_at_risk").format(areas=areas), events="panel_events",
        households=db.table("GBAHUISHOUDENSBUS", full=full),
        household_hits="UNION ALL SELECT d.RINPERSOONS, d.RINPERSOON, h.outcome_index "
                       "FROM home_day AS d JOIN event_homes AS h USING (HUISHOUDNR)"
                       if household else "",
        counts=", ".join(f"count(*) FILTER (WHERE list_contains(h.outs, {k})) AS events_{k}"
                         for k in range(parameters["outcomes"])))


def _parameters(plan: EffectPlan, years: tuple[int, ...],
                pool: tuple[str, ...] | None) -> dict:
    outcomes = library().outcomes
    household = [k for k, name in enumerate(plan.outcomes)
                 if outcomes[name].unit == "household"]
    return {"years": list(years), "pool_all": pool is None, "pool": list(pool or ("",)),
            "min_age": plan.ages[0], "max_age": plan.ages[1], "outcomes": len(plan.outcomes),
            "household_outcomes": household or [-1]}


#: the person panel's columns (one row per outcome, year and person at risk); ``start``: the
#: year the person's treatment starts (NA: never in the window's partner file)
PERSON_COLUMNS = ("outcome", "year", "gemeente", "area", "person", "cohort", "household",
                  "start", "event")


def group_panel(db: Database, plan: EffectPlan, municipalities: tuple[str, ...],
                clients: pd.DataFrame) -> pd.DataFrame:
    """The person panel (``PERSON_COLUMNS``) of a treated group: every resident of the pilot's
    municipalities of the plan's ages per year, with the start of their treatment from the
    partner file's ``clients`` (rinpersoons, rinpersoon, client_start); households numbered
    (the clusters)."""
    years = PanelYears.of(db, plan).years
    areas = _areas_view(db, years)
    full = _from_vanaf(db)
    events, last = _events_view(db, plan, full=full)
    db.con.register("effect_clients", clients[["rinpersoons", "rinpersoon", "client_start"]])
    try:
        parameters = _parameters(plan, years, municipalities)
        _at_risk(db, areas, parameters, full=full)
        sql = (sql_file("effect_panel") + sql_file("effect_panel_persons")).format(
            events=events, clients="effect_clients",
            households=db.table("GBAHUISHOUDENSBUS", full=full))
        frame = db.con.execute(sql, {**_rest(parameters),
                                     "household": plan.treated.household}).df()
    finally:
        db.con.unregister("effect_clients")
        db.con.execute("DROP TABLE IF EXISTS panel_at_risk").fetchall()
    frame["outcome"] = [plan.outcomes[int(k)] for k in frame.pop("outcome_index")]
    frame = frame.rename(columns={"gem": "gemeente", "bc": "area"})
    frame["household"] = pd.factorize(frame["household"])[0]
    frame["start"] = frame["start"].astype("Int64")
    frame[["year", "person", "cohort", "event"]] = frame[
        ["year", "person", "cohort", "event"]].astype(int)
    keep = frame["year"] <= frame["outcome"].map(last)
    return frame.loc[keep, list(PERSON_COLUMNS)].reset_index(drop=True)


def _from_vanaf(db: Database) -> bool:
    """Whether the store's layout serves this run from a later day than the first area year
    (``smartstart layout --vanaf``). Then the panel reads the full files: the parts hold only
    the persons who lived in the municipalities since that day (not those of the years before
    who left), and of their address, household and status spells only those that can matter
    from that day on (``LASTING``), while the panel reads the days of every year and a
    client's household on the day of their start. A layout of every year holds every spell of
    everyone who lived there from the first area year, the panel's earliest year."""
    served = served_from(db.store, db.dates.gemeenten, db.dates.peildatum, db.manifest)
    return served is not None and served > date(min(db.years("VSLGWBTAB")), 1, 1)


def _rest(parameters: dict) -> dict:
    """The parameters of the query after ``_at_risk`` (DuckDB refuses unused ones)."""
    return {k: parameters[k] for k in ("years", "outcomes", "household_outcomes")}


def _at_risk(db: Database, areas: str, parameters: dict, *, full: bool = False) -> None:
    """``panel_at_risk``: the residents at risk of every year of the plan (year, person, gem,
    wc, bc, cohort), for a treated group's person panel: a year at a time over the address
    spells found once (one query over every year held all years' residents in one window and
    spilled over 17 GB nationally); ``full``: from the full files, not the pilot's parts."""
    _placed(db, areas, parameters, full=full)
    _new_at_risk(db)
    for year in parameters["years"]:
        _add_year(db, areas, parameters, year)
    for table in ("panel_placed", "panel_clash", "panel_clash_spells"):
        db.con.execute(f"DROP TABLE {table}").fetchall()


def _placed(db: Database, areas: str, parameters: dict, *, full: bool = False) -> None:
    """``panel_placed``: the address spells of everyone who may be at risk in one of the years
    (``effect_panel_placed.sql``), and ``panel_clash``: those of them whose spells overlap,
    with their spells in ``panel_clash_spells`` (``effect_panel_clash.sql``); ``full``: from
    the full files, not the pilot's parts."""
    addresses = db.table("GBAADRESOBJECTBUS", full=full)
    persons = db.table("GBAPERSOONTAB", full=full)
    db.con.execute(sql_text("macros")).fetchall()  # birth_date, age_on
    placed = sql_file("effect_panel_placed").format(
        addresses=addresses, persons=persons, areas=areas,
        ever="" if parameters["pool_all"] else "SEMI JOIN ever USING (RINPERSOONS, RINPERSOON)")
    db.con.execute(placed, {"years": parameters["years"], **_ages(parameters)}).fetchall()
    db.con.execute(sql_file("effect_panel_clash")).fetchall()


def _ages(parameters: dict) -> dict:
    return {k: parameters[k] for k in ("pool", "min_age", "max_age")}


def _new_at_risk(db: Database) -> None:
    """An empty ``panel_at_risk`` (``_add_year`` inserts a year of it)."""
    db.con.execute("CREATE OR REPLACE TEMP TABLE panel_at_risk (year INTEGER, RINPERSOONS "
                   "VARCHAR, RINPERSOON VARCHAR, gem VARCHAR, wc VARCHAR, bc VARCHAR, "
                   "cohort INTEGER)").fetchall()


def _add_year(db: Database, areas: str, parameters: dict, year: int) -> None:
    """The residents at risk on 1 January of ``year`` into ``panel_at_risk``."""
    db.con.execute("INSERT INTO panel_at_risk\n"
                   + sql_file("effect_panel_at_risk").format(areas=areas),
                   _year(parameters, year)).fetchall()


def _year(parameters: dict, year: int) -> dict:
    """The parameters of ``effect_panel_at_risk.sql`` for ``year``."""
    return {"year": year, "day": date(year, 1, 1), "pool_all": parameters["pool_all"],
            **_ages(parameters)}


def _areas_view(db: Database, years: tuple[int, ...]) -> str:
    """One view of every year's area file with its year (``year``, gem, wc, bc)."""
    parts = [f"SELECT {y} AS year, SOORTOBJECTNUMMER, RINOBJECTNUMMER, gem, wc, bc "
             f"FROM {db.table('VSLGWBTAB', y, full=True)}" for y in years]
    db.con.execute("CREATE OR REPLACE VIEW effect_areas AS " + " UNION ALL ".join(parts)
                   ).fetchall()
    return "effect_areas"


def _events_view(db: Database, plan: EffectPlan, *,
                 full: bool = False) -> tuple[str, dict[str, int]]:
    """One view of every event of the plan's outcomes (RINPERSOONS, RINPERSOON,
    outcome_index, day), and per outcome the last year its tables hold an event; ``full``:
    from the full files, not the pilot's parts of a layout."""
    catalog = load_catalog()
    outcomes = library().outcomes
    parts, sources = [], {}
    for k, name in enumerate(plan.outcomes):
        for event in outcomes[name].events:
            kind = catalog.table(event.table).kind
            views = ([db.table(event.table, y, full=full) for y in db.years(event.table)]
                     if kind == "TAB" and db.years(event.table)
                     else [db.table(event.table, full=full)])
            where = f"WHERE ({event.where})" if event.where else ""
            for view in views:
                parts.append(f"SELECT RINPERSOONS, RINPERSOON, {int(k)} AS outcome_index, "
                             f"CAST({event.start} AS DATE) AS day FROM {view} {where}")
                sources.setdefault(name, []).append(view)
    db.con.execute("CREATE OR REPLACE VIEW effect_events AS " + " UNION ALL ".join(parts)
                   ).fetchall()
    last = db.con.execute("SELECT outcome_index, max(year(day)) FROM effect_events "
                          "GROUP BY 1").fetchall()
    found = {plan.outcomes[int(k)]: int(y) for k, y in last if y is not None}
    empty = [o for o in plan.outcomes if o not in found]
    if empty:
        raise LackOfData("other", "no event of " + ", ".join(empty) + " in the delivery ("
                         + ", ".join(sorted({v for o in empty for v in sources.get(o, [])}))
                         + ")")
    return "effect_events", found


PANEL_FILE = "effect_panel.parquet"
LACK_FILE = "effect_panel_lack.json"
CLIENTS_FILE = "effect_clients.json"


def read_clients(path: Path | None, plan: EffectPlan) -> pd.DataFrame:
    """The plan's partner file as ``linking._partner`` reads a target group's (same columns and
    date formats; the client period's end is not used: treatment counts from its start)."""
    from smartstart.linking._partner import read_partner
    from smartstart.pilot import TargetGroup, Window

    if path is None:
        raise ValueError("a treated group needs its partner file (paths.partner_files)")
    t = plan.treated
    spec = TargetGroup(partner_file=str(t.partner_file), rinpersoons_column=t.rinpersoons_column,
                       rinpersoon_column=t.rinpersoon_column, start_column=t.start_column,
                       date_format=t.date_format,
                       window=Window(start=date(1900, 1, 1), end=date(2100, 12, 31)))
    return read_partner(Path(path), spec)


def write_panel(db: Database, study, work: Path, partner: Path | None = None) -> None:
    """The run's panel into ``work/`` (microdata: exact counts per area-year, or a treated
    group's person-years with ``partner``, the plan's partner file), or, when the delivery
    cannot give it, the typed lack of data (``effect_panel_lack.json``). A group's partner file
    is summed up in ``effect_clients.json`` (its rows, those without a key)."""
    for name in (PANEL_FILE, LACK_FILE, CLIENTS_FILE):
        (work / name).unlink(missing_ok=True)
    plan = study.effect
    try:
        if plan.treated.group:
            clients = read_clients(partner, plan)
            (work / CLIENTS_FILE).write_text(json.dumps(
                {"rows": len(clients), "unlinked": int(clients["rinpersoon"].isna().sum())}),
                "utf-8")
            panel = group_panel(db, plan, study.municipalities, clients)
        else:
            panel = effect_panel(db, plan, study.municipalities, study.regio)
    except LackOfData as lack:
        (work / LACK_FILE).write_text(json.dumps({"reason": lack.reason,
                                                  "detail": lack.detail}), "utf-8")
        return
    staged = work / (PANEL_FILE + ".partial")
    panel.to_parquet(staged, index=False)
    staged.replace(work / PANEL_FILE)


def read_panel(work: Path) -> tuple[pd.DataFrame | None, tuple[str, str] | None]:
    """The panel and the lack of data, as ``write_panel`` left them (None, None: not asked)."""
    lack = work / LACK_FILE
    found = json.loads(lack.read_text("utf-8")) if lack.exists() else None
    panel = pd.read_parquet(work / PANEL_FILE) if (work / PANEL_FILE).exists() else None
    if panel is not None and (work / CLIENTS_FILE).exists():
        panel.attrs["clients"] = json.loads((work / CLIENTS_FILE).read_text("utf-8"))
    return panel, (found["reason"], found["detail"]) if found else None
