"""The areas' names and map from the CBS wijk- en buurtkaart the user supplies
(``paths.boundaries``): public data joined to the published areas table only.

- names: one ``labels.csv`` row per published area (variable = its level, level = its code),
  and per wijk of a buurt table, so the report says "Centrum-Noord", not 07840101;
- the map: the boundaries of exactly the published table's areas (simplified, whole metres, code
  and name only) and what the map shows (the ranked measure's expected rate per area, its
  class), written by ``BundleWriter.add_map``; the areas of the table without a boundary are
  listed, never dropped silently.

Without a boundaries file nothing changes: the areas keep their codes and the report says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from smartstart.bundle._maps import geojson_of, map_spec

#: the map's output name in the bundle
MAP_NAME = "map_areas"
#: the table of each ranked measure (as ``outputs._areas.MEASURES`` / ``UNITS``) and the column
#: the map colours: the expected (shrunk) rate the areas are ranked by
TABLES = {"outcome": "areas_children", "target_group": "areas_households"}
COLUMN = "shrunk"


@dataclass(frozen=True)
class AreaMap:
    """What a boundaries file adds to a bundle."""

    table: str
    level: str
    geojson: dict
    spec: dict
    credit: str
    #: variable (level) -> code -> name, for ``labels.csv``
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def without_boundary(self) -> list[str]:
        return list(self.spec["without_boundary"])

    def labels(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (the library's ``labels.csv`` rows) with a row per named area (replacing
        a label the library had for that code, so the map and the tables use one name); type,
        role and period as the level's own row."""
        rows, drop = [], pd.Series(False, index=frame.index)
        for variable, names in self.names.items():
            own = frame[(frame["variable"] == variable) & (frame["level"] == "")]
            base = (own.iloc[0][["type", "role", "period"]].to_dict() if len(own)
                    else {"type": "category", "role": "place", "period": ""})
            drop |= (frame["variable"] == variable) & frame["level"].astype(str).isin(names)
            rows += [{"variable": variable, "level": code, "label_nl": name, "label_en": name,
                      **base} for code, name in sorted(names.items())]
        return pd.concat([frame[~drop], pd.DataFrame(rows)], ignore_index=True)


def area_map(study, boundaries_path: Path | None, tables: list) -> AreaMap | None:
    """The names and map of the published areas table of ``study``'s measure (``tables``: the
    run's published outputs, ``Published``), or None without a boundaries file or without
    that table. Raises ``SourceError`` when the file cannot be used."""
    if boundaries_path is None:
        return None
    name = TABLES[study.areas.measure]
    published = next((p for p in tables if p.record.name == name), None)
    if published is None or COLUMN not in published.frame.columns:
        return None
    from smartstart.sources._boundaries import read_boundaries

    boundaries = read_boundaries(boundaries_path, study.municipalities)
    level = study.areas.level
    frame = published.frame
    areas = boundaries.areas.get(level, {})
    codes = [str(c) for c in frame["area"]]
    features = [(c, areas[c].name, areas[c].shape) for c in codes if c in areas]
    spec = map_spec(frame, name, COLUMN, level, [c for c, _, _ in features],
                    credit=boundaries.credit, synthetic=boundaries.synthetic,
                    tolerance=boundaries.tolerance)
    names = {level: {c: n for c, n, _ in features}}
    if level == "buurt" and "wijk" in frame.columns:
        wijken = boundaries.names("wijk")
        names["wijk"] = {str(w): wijken[str(w)] for w in frame["wijk"] if str(w) in wijken}
    return AreaMap(name, level, geojson_of(features), spec, boundaries.credit, names)


__all__ = ["COLUMN", "MAP_NAME", "TABLES", "AreaMap", "area_map"]
