"""Schools per buurt: the pupils' school registrations of the school year of the peildatum
(INSCHRWPOTAB of the data year: 1 October before a January peildatum) joined on the encrypted
school key to the school-location file the user supplies (``sources._schools``).

The result has one row per school branch located in a buurt of the pilot's municipalities:
a run-local ``school`` number (the key stays here: it is a linking key), ``buurt``, ``wijk``,
``gemeente``, ``pupils`` (the delivery's pupils registered at the branch's key) and ``placed``
(False when the key has branches in several buurten: its pupils cannot be split between them).
What did not join is recorded in the attrition, never silent: branches without a place,
branches outside the pilot's buurten, and pupils whose school is not in the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from smartstart.linking._db import Database
from smartstart.sources._schools import Placer, read_school_locations

TABLE = "INSCHRWPOTAB"
KEY = "WPOBRIN_crypt"
COLUMNS = ("school", "buurt", "wijk", "gemeente", "pupils", "placed")


def school_branches(db: Database, path: Path, boundaries: Path | None = None
                    ) -> pd.DataFrame:
    """The branches of the pilot's buurten with their pupils (see the module doc). Without
    pupils' registrations for the year (the delivery lacks INSCHRWPOTAB; the attrition shows
    0 pupils) every branch of the file counts, and ``pupils`` is unknown (NaN)."""
    place = _placer(boundaries, db.dates.gemeenten) if boundaries is not None else None
    locations = read_school_locations(path, place)
    year = db.dates.data_year
    # every pupil registered at a school, wherever they live: the full file (a layout's parts
    # hold only the pupils who live in the pilot's municipalities)
    view = db.table(TABLE, year, full=True)
    pupils = db.frame(f"SELECT trim({KEY}) AS key, count(DISTINCT (RINPERSOONS, RINPERSOON)) "
                      f"AS pupils FROM {view} WHERE {KEY} IS NOT NULL GROUP BY ALL")
    found = locations.located
    ours = found[found["buurt"].str[:4].isin(db.dates.gemeenten)]
    db.record("scholenbestand: vestigingen met een plaats", locations.rows, len(found),
              "vestigingen met een sleutel en een buurtcode of een punt in een buurt; zonder "
              "sleutel, buurt of punt in een buurt vallen ze af",
              ("schools file: branches with a place", "branches with a key and a neighbourhood "
               "code or a point in a neighbourhood; without them they drop out"))
    db.record("scholenbestand: vestigingen in de gemeente", len(found), len(ours),
              "vestigingen in een buurt van de pilot",
              ("schools file: branches in the municipality",
               "branches in a neighbourhood of the pilot"))
    total = int(pupils["pupils"].sum())
    known = int(pupils.loc[pupils["key"].isin(locations.branches["key"]), "pupils"].sum())
    db.record(f"leerlingen ({TABLE} {year}): school in het scholenbestand", total, known,
              "leerlingen van wie de school (versleutelde sleutel) in het scholenbestand staat",
              (f"pupils ({TABLE} {year}): school in the schools file",
               "pupils whose school (encrypted key) is in the schools file"))
    branches = _branches(ours, found, pupils)
    return branches.assign(pupils=np.nan) if total == 0 else branches


def _branches(ours: pd.DataFrame, found: pd.DataFrame, pupils: pd.DataFrame) -> pd.DataFrame:
    areas = found.drop_duplicates(["key", "buurt"]).groupby("key")["buurt"].size()
    frame = ours.assign(pupils=ours["key"].map(pupils.set_index("key")["pupils"]).fillna(0),
                        placed=ours["key"].map(areas).to_numpy() == 1)
    frame = frame.sort_values(["buurt", "key"], kind="stable").reset_index(drop=True)
    return pd.DataFrame({"school": np.arange(1, len(frame) + 1), "buurt": frame["buurt"],
                         "wijk": frame["buurt"].str[:6], "gemeente": frame["buurt"].str[:4],
                         "pupils": frame["pupils"].astype(float), "placed": frame["placed"]},
                        columns=list(COLUMNS))


def _placer(boundaries: Path, municipalities: tuple[str, ...]) -> Placer:
    """Points -> buurt codes; the boundaries are read only when a branch needs placing (a
    file of buurt codes runs without them)."""
    from smartstart.sources._boundaries import assign_buurten, read_boundaries

    def place(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return assign_buurten(read_boundaries(boundaries, municipalities), x, y)

    return place
