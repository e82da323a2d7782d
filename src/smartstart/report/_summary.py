"""The Kernboodschap (issue 17): one page at the top of the report that says what the data
says, in plain words, from the bundle's own published numbers only.

One statement per question of the method, each from its section's published table and linking
to that section: who the target group is (``profile_households``), the strongest combination of
risk factors (``combinations``; when they are withheld, the risk model's strongest factor,
``risk_coefficients``), the household types (``typology_types``), where to start (the
chosen areas) and whether it worked (``effect_estimates``, ``effect_inference``). A section the
pilot did not ask for gives no statement; one whose table is not in the bundle (withheld or not
computed) says so in one line. Every number is a cell of the table the statement names
(``data-tables``), shown as the section shows it; names and labels stand in ``<q>``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from markupsafe import Markup, escape

from smartstart.report import _areas, _effect
from smartstart.report._source import Source, label_column
from smartstart.report._text import missing, number, percent, t
from smartstart.report._types import Html, Lang, Part

#: place factors are where, not who: the target group's statement leaves them to the map
PLACES = ("wijk", "buurt", "gemeente")
#: how many of the target group's clearest differences the statement names
DIFFERENCES = 2


def summary(src: Source, lang: Lang) -> Part:
    """The Kernboodschap's statements, in the order of the method."""
    asked = set(src.pilot.get("analyses") or ())
    items = []
    for analysis, section, tables, build in STATEMENTS:
        if analysis not in asked:
            continue
        title = t(section[1], lang, outcome=_outcome(src, lang))
        try:
            text = build(src, lang) if any(src.has(n) for n in tables) else None
        except KeyError:  # a table without the columns the statement reads
            text = None
        used = tables
        if isinstance(text, tuple):  # a statement that read one of its tables
            text, used = text
        if text is None:
            items.append(_item(t("sum_absent", lang, section=title), section[0], title, (),
                               lang, absent=True))
        else:
            items.append(_item(text, section[0], title, used, lang))
    part = Part(t("sum_part", lang), "kernboodschap-punten")
    if not items:
        part.paragraphs.append(t("sum_nothing", lang))
    else:
        part.blocks.append(Html(Markup('<ul class="summary">') + Markup("").join(items)
                                + Markup("</ul>")))
    return part


def _item(text: Markup, section: str, title: str, tables: tuple[str, ...], lang: Lang,
          absent: bool = False) -> Markup:
    link = Markup('<a href="#{}">{}</a>').format(section, t("sum_more", lang, section=title))
    kind = ' class="absent"' if absent else ""
    return Markup('<li{} data-section="{}" data-tables="{}">{} {}</li>').format(
        Markup(kind), section, " ".join(tables), text, link)


def _q(text: object) -> Markup:
    """A name or label: a published text cell (or the library's words), marked as such."""
    return Markup("<q>{}</q>").format(str(text))


def _fill(key: str, lang: Lang, **values: object) -> Markup:
    """The text for ``key`` with escaped values (markup values stay markup)."""
    template = str(escape(t(key, lang)))
    return Markup(template.format(**{k: v if isinstance(v, Markup) else escape(str(v))
                                     for k, v in values.items()}))


def target_group(src: Source, lang: Lang) -> Markup | None:
    table = src.require("profile_households", "factor", "statistic", "n_target",
                        "value_target", "value_rest", "smd_rest", "direction")
    frame = table.frame.assign(label=label_column(table.frame, lang, "factor"))
    sizes = frame["n_target"].dropna()
    if sizes.empty:
        return None
    shares = frame[(frame["statistic"] == "share") & (frame["direction"] == "higher")
                   & ~frame["factor"].isin(PLACES) & frame["value_target"].notna()
                   & frame["value_rest"].notna() & frame["smd_rest"].notna()]
    # two factors that count the same households (a tenure level and the rent allowance it
    # implies, ``same_as``) show the same shares: the statement names such a pair once
    top = shares.sort_values("smd_rest", ascending=False).drop_duplicates(
        ["n_target", "value_target", "value_rest"]).head(DIFFERENCES)
    text = _fill("sum_target", lang, target=_q(_target(src, lang)),
                 n=number(float(sizes.max()), lang))
    if len(top):
        parts = [_fill("sum_target_more", lang, label=_q(r["label"]),
                       target=percent(r["value_target"], lang),
                       rest=percent(r["value_rest"], lang)) for _, r in top.iterrows()]
        text += Markup(" ") + _fill("sum_target_often", lang) + Markup(" ") + \
            _join(parts, lang) + Markup(".")
    return text


def risk(src: Source, lang: Lang) -> tuple[Markup, tuple[str, ...]] | None:
    """The strongest combination; when the combinations are withheld, the risk model's
    strongest factor (its odds ratio and interval), or that it found none."""
    if src.has("combinations"):
        text = combination(src, lang)
        if text is not None:
            return text, ("combinations",)
    if not src.has("risk_coefficients"):
        return None
    table = src.require("risk_coefficients", "term", "odds_ratio", "or_low", "or_high")
    frame = table.frame.assign(label=label_column(table.frame, lang, "term"))
    frame = frame[(frame["term"].astype(str) != "const") & frame["odds_ratio"].notna()
                  & frame["or_low"].notna() & frame["or_high"].notna()]
    if frame.empty:
        return None
    raised = frame[frame["or_low"] > 1]
    if raised.empty:
        return _fill("sum_factor_none", lang, outcome=_outcome(src, lang)), ("risk_coefficients",)
    row = raised.sort_values("odds_ratio", ascending=False).iloc[0]
    return _fill("sum_factor", lang, label=_q(row["label"]), outcome=_outcome(src, lang),
                 times=number(float(row["odds_ratio"]), lang, 1),
                 low=number(float(row["or_low"]), lang, 1),
                 high=number(float(row["or_high"]), lang, 1)), ("risk_coefficients",)


def combination(src: Source, lang: Lang) -> Markup | None:
    table = src.require("combinations", "lift", "risk")
    frame = table.frame.assign(label=label_column(table.frame, lang, "combination"))
    frame = frame[frame["lift"].notna() & frame["risk"].notna()]
    if frame.empty:
        return None
    row = frame.sort_values("rank").iloc[0] if "rank" in frame else \
        frame.sort_values("lift", ascending=False).iloc[0]
    population = (src.pilot.get("population_words") or {}).get(f"{lang}_short")
    return _fill("sum_combination", lang, label=_q(row["label"]),
                 population=str(population or t("population_default", lang)).capitalize(),
                 times=number(float(row["lift"]), lang, 0), outcome=_outcome(src, lang),
                 risk=percent(row["risk"], lang))


def household_types(src: Source, lang: Lang) -> Markup | None:
    table = src.require("typology_types", "type", "size")
    frame = table.frame
    if not len(frame):
        return None
    name = f"name_{lang}" if table.has(f"name_{lang}") else "type"
    parts = [_q(r[name]) + (Markup(" ({})").format(number(float(r["size"]), lang))
                            if not missing(r["size"]) else Markup(""))
             for _, r in frame.iterrows()]
    return _fill("sum_types", lang, k=number(len(frame), lang)) + Markup(" ") + \
        _join(parts, lang) + Markup(".")


def where(src: Source, lang: Lang) -> Markup | None:
    cfg = _areas._config(src)
    name, _, _, prefix = _areas.MEASURES[cfg["measure"]]
    table = src.table(name)
    if table is None or not table.has("area", "status", "rank"):
        return None
    chosen = table.frame[table.frame["status"] == "chosen"].sort_values("rank")
    if chosen.empty:
        return None
    rate = f"{prefix}_rate"
    parts = [_q(_areas._name(cfg, r["area"], lang))
             + (Markup(" ({})").format(percent(r[rate], lang, 1))
                if rate in r and not missing(r[rate]) else Markup(""))
             for _, r in chosen.iterrows()]
    return _fill("sum_where", lang, level=t(f"areas_level_{cfg['level']}", lang),
                 measure=_areas._measure(src, cfg, lang)) + Markup(" ") + \
        _join(parts, lang) + Markup(".")


def worked(src: Source, lang: Lang) -> Markup | None:
    if _effect.is_planned(src):  # before the start: what the evaluation will be able to see
        table = src.require("effect_inference", "outcome", "mde", "mde_relative",
                            "planned_last_year")
        said = [escape(_effect.power_says(row, lang, _effect._words(src, str(row["outcome"]),
                                                                    lang), "")[0])
                for _, row in table.frame.iterrows()]
        return Markup(" ").join(said) if said else None
    estimates = src.require("effect_estimates", "outcome", "method", "headline", "estimate",
                            "ci_low", "ci_high", "p_value").frame
    heads = estimates[estimates["headline"].astype(bool)]
    if heads.empty:
        return None
    inference = src.table("effect_inference")
    said = []
    for outcome in dict.fromkeys(heads["outcome"].astype(str)):
        mine = estimates[estimates["outcome"].astype(str) == outcome]
        head = mine[mine["headline"].astype(bool)].iloc[0]
        if missing(head["p_value"]) or missing(head["estimate"]):
            continue
        info = pd.Series(dtype=object)
        if inference is not None and inference.has("outcome"):
            rows = inference.frame[inference.frame["outcome"].astype(str) == outcome]
            info = rows.iloc[0] if len(rows) else info
        words = _effect._words(src, outcome, lang)
        said.append(escape(_effect._conclusions(head, mine, info, src, lang, words)[0]))
    return Markup(" ").join(said) if said else None


def _join(parts: list[Markup], lang: Lang) -> Markup:
    if len(parts) <= 1:
        return Markup("").join(parts)
    return Markup(", ").join(parts[:-1]) + Markup(" {} ").format(t("sum_and", lang)) + parts[-1]


def _target(src: Source, lang: Lang) -> str:
    group = src.pilot.get("target_group") or {}
    words = group.get(f"label_{lang}") if isinstance(group, dict) else None
    return str(words or t("target", lang).lower())


def _outcome(src: Source, lang: Lang) -> str:
    outcome = src.pilot.get("outcome") or {}
    words = outcome.get(lang) if isinstance(outcome, dict) else None
    return str(words or t("outcome_default", lang))


#: (analysis asked, (section id, title key), tables the statement reads, builder)
STATEMENTS: tuple[tuple[str, tuple[str, str], tuple[str, ...],
                        Callable[[Source, Lang], Markup | tuple | None]], ...] = (
    ("profile", ("doelgroep", "s2_title"), ("profile_households",), target_group),
    ("risk", ("risico", "s3_title"), ("combinations", "risk_coefficients"), risk),
    ("typology", ("typen", "s4_title"), ("typology_types",), household_types),
    ("areas", ("gebieden", "s6_title"), ("areas_children", "areas_households"), where),
    ("effect", ("werkt-het", "s7_title"), ("effect_estimates", "effect_inference"), worked),
)
