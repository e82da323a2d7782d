"""The run's microdata as the analyses see them: the ``work/`` folder, without CBS keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartstart._frames import compact
from smartstart.features._panel import read_panel


@dataclass(frozen=True, eq=False)
class Work:
    households: pd.DataFrame
    children: pd.DataFrame
    attrition: pd.DataFrame
    match: pd.DataFrame | None
    #: days in the target group per target household (no key: a plain column of numbers)
    durations: pd.Series | None
    #: school branches of the pilot's buurten with their pupils (``linking._schools``; a
    #: run-local number, no school key), when the pilot has a school-location file
    schools: pd.DataFrame | None = None
    #: the effect monitor's panel (area x year counts, ``features._panel``) and, when the
    #: delivery could not give it, the typed lack of data (reason, detail)
    effect_panel: pd.DataFrame | None = None
    effect_lack: tuple[str, str] | None = None
    #: residents per area by their own address (gemeente, wijk, buurt, residents): counts
    residents: pd.DataFrame | None = None

    @classmethod
    def read(cls, folder: Path) -> Work:
        folder = Path(folder)
        optional = {name: (pd.read_parquet(folder / f"{name}.parquet")
                           if (folder / f"{name}.parquet").exists() else None)
                    for name in ("match", "durations", "schools", "residents")}
        durations = optional["durations"]
        return cls(compact(pd.read_parquet(folder / "households.parquet")),
                   compact(pd.read_parquet(folder / "children.parquet")),
                   pd.read_parquet(folder / "attrition.parquet"), optional["match"],
                   None if durations is None else durations["days"], optional["schools"],
                   *read_panel(folder), residents=optional["residents"])
