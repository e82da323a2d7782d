"""Section 5, how the results were checked for disclosure (from disclosure_log.json), and what
is not in the bundle and why (the manifest's ``withheld``), also said in the section concerned.

A withheld entry carries its reason as typed values: ``kind`` (gate, model, not_run,
no_target_group, too_few_factors), the ``rules`` that failed and, for an analysis not run, the
lack of data's typed reason (also in the manifest's ``lack_of_data``). The words come from the
dictionary, keyed by those values (``why_kind``, ``rule_why``, ``lack_reason``); nothing is read
back from a sentence. An entry without a known kind (a bundle written before the kinds) is
shown with its reason as it stands.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartstart.report._cells import small_label
from smartstart.report._source import Source
from smartstart.report._text import number, percent, t, term, texts
from smartstart.report._types import DataTable, Lang, Note, Part

SETTINGS = ("min_cell", "min_dof", "dominance_n", "dominance_k", "p_ratio", "zeros_disclosive")


def settings(src: Source, lang: Lang) -> Part:
    outputs = src.bundle.log.get("outputs", [])
    if not outputs:
        raise KeyError("disclosure_log.json: outputs")
    part = Part(t("settings_title", lang), "instellingen")
    first = outputs[0]
    small = small_label(first)
    values = first.get("settings") or {}
    part.paragraphs.append(t("labels_text", lang, small=small,
                             min_cell=values.get("min_cell", 10)))
    rows = tuple((term("setting", k, lang), _setting(values[k], lang))
                 for k in SETTINGS if k in values)
    part.blocks.append(DataTable(t("settings_caption", lang),
                                 (t("setting_name", lang), t("value", lang)), rows,
                                 (False, True)))
    part.blocks.append(_outputs_table(src, outputs, small, lang))
    return part


def not_in_bundle(src: Source, lang: Lang) -> Part:
    """The table "Niet in de bundel": the withheld outputs, those with the same reason in one
    row, and the reason in plain words."""
    part = Part(t("withheld_title", lang), "niet-in-bundel")
    entries = withheld(src)
    lacking = not_delivered(src, lang)
    years = [t("year_used", lang, **{k: y.get(k, "?") for k in ("table", "wanted", "used")})
             for y in src.bundle.manifest.get("years_used") or [] if isinstance(y, dict)]
    if not entries and not lacking:
        part.paragraphs.extend([t("withheld_none", lang), *years])
        return part
    part.paragraphs.extend([t("withheld_text", lang), *years])
    by_reason: dict[str, list[str]] = {}
    for entry in entries:
        by_reason.setdefault(explain(src, entry, lang), []).append(
            title(entry["name"], lang, src))
    for name, why in lacking:
        by_reason.setdefault(why, []).append(name)
    rows = tuple(("; ".join(dict.fromkeys(names)), why) for why, names in by_reason.items())
    part.blocks.append(DataTable(t("withheld_caption", lang),
                                 (t("output", lang), t("withheld_reason", lang)), rows))
    return part


def not_delivered(src: Source, lang: Lang) -> list[tuple[str, str]]:
    """(factor label, reason in plain words) of every factor the manifest lists as not
    delivered: the delivery lacked its table or column."""
    entries = src.bundle.manifest.get("not_delivered") or []
    return [(str(e.get(lang) or e.get("factor", "?")),
             t("why_not_delivered", lang, detail=str(e.get("missing", "?"))))
            for e in entries if isinstance(e, dict)]


def notices(src: Source, owns: tuple[str, ...], lang: Lang) -> list[Note]:
    """One notice per reason for the withheld outputs of a section (names starting with one
    of ``owns``), instead of a silent gap."""
    by_reason: dict[str, list[str]] = {}
    for entry in withheld(src):
        if any(entry["name"].startswith(prefix) for prefix in owns):
            by_reason.setdefault(explain(src, entry, lang), []).append(
                title(entry["name"], lang, src))
    return [Note(t("withheld_note", lang, names="; ".join(names), reason=why,
                   chapter=t("s5_title", lang)))
            for why, names in by_reason.items()]


def explain(src: Source, entry: dict, lang: Lang) -> str:
    """A withheld entry's reason in plain words, from its typed values."""
    kind = entry.get("kind")
    lack = next((e for e in src.bundle.manifest.get("lack_of_data") or []
                 if isinstance(e, dict) and e.get("analysis") == entry["name"]), None)
    if lack is not None:
        kind = "not_run"
    words = texts()["why_kind"].get(str(kind))
    if words is None:
        return str(entry.get("reason") or "–")
    detail = lack.get("reason") if lack is not None else entry.get("detail")
    return words[lang].format(rules=rules(entry.get("rules") or (), lang),
                              detail=term("lack_reason", detail or "–", lang))


def withheld(src: Source) -> list[dict]:
    """Every output or analysis the manifest lists as withheld (entries with a name)."""
    entries = src.bundle.manifest.get("withheld") or []
    return [{**e, "name": str(e.get("name", "?"))} for e in entries if isinstance(e, dict)]


def title(name: str, lang: Lang, src: Source | None = None) -> str:
    """The title of an output (or analysis): as the manifest gives it, else from the
    dictionary by name, else the name itself."""
    for entry in (src.bundle.manifest.get("withheld") or []) if src is not None else ():
        if isinstance(entry, dict) and entry.get("name") == name and entry.get(f"title_{lang}"):
            return str(entry[f"title_{lang}"])
    return term("outputs", name, lang)


def rules(names: Sequence[str], lang: Lang) -> str:
    """["category_cases", "separation"] -> the rules in plain words, separated by semicolons."""
    return "; ".join(term("rule_why", str(n).strip(), lang) for n in names if str(n).strip())


def _outputs_table(src: Source, outputs: list[dict], small: str, lang: Lang) -> DataTable:
    titles = {o["name"]: o.get(f"title_{lang}") or o["name"] for o in src.bundle.outputs}
    body = []
    for record in outputs:
        cells = record.get("suppressed") or []
        primary = sum(c.get("reason") == "primary" for c in cells)
        body.append((titles.get(record["name"], record["name"]),
                     term("statuses", record.get("status"), lang),
                     _checks(record.get("checks") or [], lang),
                     number(primary, lang), number(len(cells) - primary, lang)))
    head = (t("output", lang), t("check_status", lang), t("rules", lang),
            t("primary", lang, small=small), t("secondary", lang))
    return DataTable(t("outputs_caption", lang), head, tuple(body),
                     (False, False, False, True, True))


def _checks(checks: list[dict], lang: Lang) -> str:
    """The rules applied, each once; a rule that did not simply pass carries its status."""
    shown = [term("rule", c.get("rule"), lang) + ("" if c.get("status") == "pass" else
                                                  f" ({term('statuses', c.get('status'), lang)})")
             for c in checks]
    return ", ".join(dict.fromkeys(shown)) or "–"


def _setting(value: object, lang: Lang) -> str:
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, float) and value < 1:
        return percent(value, lang) if value else "0"
    return number(value, lang, 0 if float(value) == int(value) else 2)
