"""The gate every output passes: disclosure checks, suppression and the record for the checker.

Checks return a :class:`CheckResult` (rule, status pass/fail/review, summary, a mask shaped like
the table). Count and magnitude tables are protected by primary and secondary suppression
(HiGHS), proven with :func:`attack`; :func:`record` gives the JSON-ready verdict per output.
Settings: any object with ``min_cell``, ``min_dof``, ``dominance_n``, ``dominance_k``,
``p_ratio`` and ``zeros_disclosive`` (e.g. ``pilot.DisclosureSettings``); CBS defaults if None.
Suppression lives here and only here.

    table = Table.from_frame(pd.crosstab(data.buurt, data.outcome, margins=True))
    protected = protect_counts(table, pilot.study.disclosure)   # <10 and x, true margins
    verdict = record("outcome_by_buurt", [check_linking_keys(protected.to_frame())],
                     protected=protected)
    protected.to_frame()      # as published: NaN where suppressed (labels=True: the text)
    verdict.to_dict()         # for disclosure_log.json: status, rules, suppressed cells + why
"""

from smartstart.disclosure._attack import Intervals, attack
from smartstart.disclosure._check import CheckResult
from smartstart.disclosure._frequency import check_areas, check_clusters, check_counts, check_shares
from smartstart.disclosure._gate import (
    Embedded,
    Published,
    Rules,
    check_nested,
    check_published,
    label_of,
    protect_frame,
    protect_rounded,
)
from smartstart.disclosure._groups import check_groups, cube_counts, withhold_groups
from smartstart.disclosure._keys import check_linking_keys
from smartstart.disclosure._magnitude import check_magnitude, check_means, check_min_max
from smartstart.disclosure._options import Settings, too_narrow
from smartstart.disclosure._protect import (
    ProtectedTable,
    protect_counts,
    protect_magnitude,
    round_to_base,
)
from smartstart.disclosure._recode import merge_small_groups
from smartstart.disclosure._record import OutputRecord, SuppressedCell, record
from smartstart.disclosure._register import (
    Finding,
    Inconsistent,
    Unsolved,
    attack_register,
    register_of,
)
from smartstart.disclosure._regression import RegressionFacts, check_regression
from smartstart.disclosure._statements import Undeclared
from smartstart.disclosure._suppress import Pattern, find_pattern
from smartstart.disclosure._table import Table
from smartstart.disclosure._untrusted import Unreadable, rules_from, settings_from

__all__ = [
    "CheckResult",
    "Finding",
    "Inconsistent",
    "Undeclared",
    "Unreadable",
    "rules_from",
    "settings_from",
    "Unsolved",
    "attack_register",
    "register_of",
    "Embedded",
    "Published",
    "Rules",
    "check_groups",
    "check_nested",
    "cube_counts",
    "check_published",
    "label_of",
    "merge_small_groups",
    "protect_frame",
    "protect_rounded",
    "Intervals",
    "OutputRecord",
    "Pattern",
    "ProtectedTable",
    "RegressionFacts",
    "Settings",
    "SuppressedCell",
    "Table",
    "attack",
    "check_areas",
    "check_clusters",
    "check_counts",
    "check_linking_keys",
    "check_magnitude",
    "check_means",
    "check_min_max",
    "check_regression",
    "check_shares",
    "find_pattern",
    "protect_counts",
    "protect_magnitude",
    "record",
    "round_to_base",
    "too_narrow",
    "withhold_groups",
]
