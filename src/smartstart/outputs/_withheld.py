"""Why an output or analysis is not in the bundle, as a typed value.

The manifest's ``withheld`` entries carry the kind, the rules that failed and the lack of
data's typed reason; the report puts them into words from its dictionary (``text.yaml``,
``why_kind``), in Dutch or English. The Dutch sentence (``reason``) is kept beside them for
the console summary and for readers of older bundles; nothing parses it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, get_args

#: gate: the table failed the disclosure rules (``rules``); model: the risk model failed its
#: regression checks and is withheld as a whole (``rules``); not_run: the analysis could not
#: run for a lack of data (``detail``: ``errors.LackReason``); no_target_group: the pilot sets
#: none (typology); too_few_factors: fewer usable risk factors than a combination needs
WithheldKind = Literal["gate", "model", "not_run", "no_target_group", "too_few_factors"]
KINDS: tuple[str, ...] = get_args(WithheldKind)


@dataclass(frozen=True)
class Withheld:
    name: str
    kind: WithheldKind
    rules: tuple[str, ...] = ()
    #: not_run: the typed reason of the lack of data; its detail in words
    detail: str = ""
    words: str = ""

    def sentence(self) -> str:
        """The reason in Dutch, for the console."""
        rules = ", ".join(self.rules)
        return {"gate": rules,
                "model": f"model afgekeurd: {rules}",
                "not_run": f"analyse niet uitgevoerd: {self.words or self.detail}",
                "no_target_group": "geen doelgroep ingesteld",
                "too_few_factors": "te weinig bruikbare risicofactoren voor combinaties in "
                                   "deze gemeente"}[self.kind]

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "rules": list(self.rules),
                "detail": self.detail, "reason": self.sentence()}

    def __iter__(self) -> Iterator[str]:
        """Unpacks as (name, Dutch sentence), as the pairs of ``Outputs.withheld`` do."""
        return iter((self.name, self.sentence()))


def typed(entry: tuple[str, str] | Withheld, lacking: dict[str, tuple[str, str]],
          target_group: bool) -> Withheld:
    """A withheld pair of ``Outputs`` as a typed value. ``lacking``: analysis -> (typed reason,
    detail) of the analyses not run for a lack of data; ``target_group``: whether the pilot
    sets one. What the pair does not say by type is a table the gate withheld, its reason the
    names of the rules it failed."""
    if isinstance(entry, Withheld):
        return entry
    name, why = entry
    if name in lacking:
        reason, detail = lacking[name]
        return Withheld(name, "not_run", detail=reason, words=detail)
    if name == "typology" and not target_group:
        return Withheld(name, "no_target_group")
    return Withheld(name, "gate", tuple(r.strip() for r in why.split(",") if r.strip()))
