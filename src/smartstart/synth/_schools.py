"""Synthetic school-location file: the list of school branches a user supplies
(``paths.schools``), as CBS would return the public DUO list with the encrypted key added.

One row per planted school of every municipality (``Areas.school_brin``, located in
``Areas.school_buurt``): ``WPOBRIN_crypt`` (the key of the pupils' table), a made-up branch
name and number, ``buurtcode`` (CBS's BU code; optional, see ``buurt_codes``) and RD New
``x``/``y`` inside the buurt's polygon of the synthetic wijk- en buurtkaart. Two branches of
schools in a neighbouring municipality (keys no pupil of the delivery has) stand for a list
that holds more than the pilot's municipality. Points come from a generator of their own
(seeded by the municipality), so the rest of the delivery does not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely

from smartstart.synth._area import Areas
from smartstart.synth._boundaries import buurt_polygons

#: where synth writes it in the delivery folder (the example pilots' ``paths.schools``)
SCHOOLS_PATH = "Scholen/schoolvestigingen_gekoppeld.csv"
SEED = 31415
#: branches outside the pilot's municipalities: (buurt code, x, y) in Tilburg (0855)
OUTSIDE = (("08550101", 133_000.0, 397_500.0), ("08550102", 133_400.0, 397_900.0))


def school_rows(areas: Areas) -> list[dict]:
    """The planted schools of one municipality, each at a point inside its buurt."""
    rng = np.random.default_rng([SEED, int(areas.gem)])
    shapes = buurt_polygons(areas)
    rows = []
    for i, (key, b) in enumerate(zip(areas.school_brin, areas.school_buurt, strict=True)):
        code = str(areas.bc[b])
        x, y = _inside(rng, shapes[code])
        rows.append({"WPOBRIN_crypt": str(key), "VESTIGINGSNUMMER": f"{i:02d}",
                     "VESTIGINGSNAAM": f"Basisschool {code[-4:]}-{i + 1}",
                     "buurtcode": f"BU{code}", "x": round(x, 1), "y": round(y, 1)})
    return rows


def _inside(rng: np.random.Generator, shape) -> tuple[float, float]:
    """A uniform point of the polygon (rejection from its bounding box)."""
    left, bottom, right, top = shape.bounds
    while True:
        x, y = rng.uniform(left, right), rng.uniform(bottom, top)
        if shape.contains(shapely.Point(x, y)):
            return float(x), float(y)


def write_school_locations(path: Path, municipalities: Sequence[Areas], *,
                           buurt_codes: bool = True) -> Path:
    """The file as ``;``-separated UTF-8 CSV; ``buurt_codes`` False leaves the buurt code
    column out (then the reader places the points in the boundaries file's buurten)."""
    import pandas as pd

    rows = [r for areas in municipalities for r in school_rows(areas)]
    rng = np.random.default_rng([SEED, 0])
    for k, (code, x, y) in enumerate(OUTSIDE):
        key = "".join(rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"), 8))
        rows.append({"WPOBRIN_crypt": key, "VESTIGINGSNUMMER": f"{k:02d}",
                     "VESTIGINGSNAAM": f"Basisschool buiten {k + 1}", "buurtcode": f"BU{code}",
                     "x": x, "y": y})
    frame = pd.DataFrame(rows)
    if not buurt_codes:
        frame = frame.drop(columns="buurtcode")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


__all__ = ["OUTSIDE", "SCHOOLS_PATH", "school_rows", "write_school_locations"]
