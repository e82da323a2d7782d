"""Section 4, household types: sizes and what happened to small types, persona cards with the
typology's caution, the overview per type, and how the number of types was chosen (with the
second method's agreement). A typology whose types were all too small says so."""

from __future__ import annotations

from dataclasses import replace

from smartstart.report import _charts as charts
from smartstart.report._cells import fmt
from smartstart.report._pilot import _figure
from smartstart.report._source import Source, data_table
from smartstart.report._text import missing, number, soft_hyphens, t
from smartstart.report._types import Card, Cards, Lang, Part, Text

#: agreement (adjusted Rand index) of the second method from which a level of words applies
AGREEMENT = ((0.8, "robust_high"), (0.5, "robust_mid"), (float("-inf"), "robust_low"))


def type_sizes(src: Source, lang: Lang) -> Part:
    table = src.require("typology_types", "type", "size")
    name = f"name_{lang}" if table.has(f"name_{lang}") else "type"
    table = table.assign(label=[f"{ty}. {n}" if name != "type" else str(ty) for ty, n in
                                zip(table.frame["type"], table.frame[name], strict=True)])
    part = Part(t("types_title", lang), "typen-grootte", actions(src, lang))
    if not len(table):
        part.paragraphs.append(t("types_none", lang))
        return part
    caption = t("types_caption", lang)
    columns = [(t("type", lang), "label", "text"), (t("households", lang), "size", "int"),
               (t("share", lang), "share", "pct"), (t("stable", lang), "stable", "bool")]
    columns = [c for c in columns if table.has(c[1])]
    chart = charts.bars(table.frame.dropna(subset=["size"]), "label", "size",
                        t("households", lang))
    part.blocks.append(_figure("fig-typen", caption, chart, data_table(table, caption, columns),
                               lang, table.withheld))
    return part


def actions(src: Source, lang: Lang) -> list[str]:
    """A sentence per small type that was merged or withheld; none when nothing was."""
    table = src.table("typology_actions")
    if table is None or not table.has("type", "action"):
        return []
    lines = []
    for i in range(len(table)):
        kind, action = table.show(i, "type", "int"), str(table.value(i, "action"))
        into = table.show(i, "into_type", "int")
        if action in ("merged", "withheld"):
            lines.append(t(f"action_{action}", lang, type=kind, into=into))
        else:
            lines.append(f"{t('type', lang)} {kind}: {table.show(i, f'reason_{lang}')}")
    return lines


def personas(src: Source, lang: Lang) -> Part | None:
    if not _rows(src, "typology_personas"):
        return None
    table = src.require("typology_personas", "type", f"name_{lang}", f"traits_{lang}")
    part = Part(t("personas_title", lang), "personas", _caution(src, lang))
    shares = _shares(src)
    cards = []
    for i in range(len(table)):
        kind = table.value(i, "type")
        size = table.value(i, "size") if table.has("size") else None
        facts = [] if missing(size) else [t("persona_size", lang, n=number(size, lang),
                                            share=shares.get(str(kind), "–"))]
        if table.has("stable"):
            stable = fmt(table.value(i, "stable"), "bool", lang) == t("yes", lang)
            facts.append(t("persona_stable" if stable else "persona_unstable", lang))
        cards.append(Card(soft_hyphens(f"{kind}. {table.value(i, f'name_{lang}')}"),
                          tuple(facts), t("traits", lang),
                          tuple(map(soft_hyphens, _lines(table.value(i, f"traits_{lang}")))),
                          t("questions", lang),
                          _lines(table.value(i, f"questions_{lang}")
                                 if table.has(f"questions_{lang}") else "")))
    part.blocks.append(Cards(tuple(cards)))
    return part


def overview(src: Source, lang: Lang) -> Part | None:
    name = "typology_overview_en" if lang == "en" and _rows(src, "typology_overview_en") \
        else "typology_overview"
    if not _rows(src, name):
        return None
    table = src.require(name)
    shown = _rows(src, "typology_personas")  # the caution is said with the personas
    part = Part(t("overview_title", lang), "typen-overzicht", [] if shown else _caution(src, lang))
    columns = [(str(c), c, "text") for c in table.frame.columns]
    columns[0] = (t("factor", lang), table.frame.columns[0], "text")
    data = data_table(table, t("overview_caption", lang), columns)
    part.blocks.append(replace(data, columns=tuple(map(soft_hyphens, data.columns)),
                               rows=tuple(tuple(map(soft_hyphens, r)) for r in data.rows)))
    return part


def method(src: Source, lang: Lang) -> Part:
    """How the number of types was chosen, and whether a second method finds the same types."""
    selection = src.require("typology_selection", "k")
    part = Part(t("method_title", lang), "typen-keuze")
    wanted = [(t("k", lang), "k", "int"), ("BIC", "bic", "num1"),
              (t("stability", lang), "stability", "num2"), (t("chosen", lang), "chosen", "bool")]
    part.blocks.append(data_table(selection, t("selection_caption", lang),
                                  [c for c in wanted if selection.has(c[1])]))
    if rule := _rule(selection, lang):
        part.blocks.append(Text(rule + _after_small(src, selection, lang)))
    if _rows(src, "typology_types") and (sentence := robustness(src, lang)):
        part.blocks.append(Text(sentence))
    return part


def _rule(selection, lang: Lang) -> str | None:
    """The choice in words with its numbers: BIC's and AIC's best number of types, and the
    number between them chosen for its stability (a k chosen above the lowest BIC is the
    rule, not a contradiction; helper-41). None when the table does not say."""
    if not selection.has("k", "bic_best", "aic_best", "chosen", "stability"):
        return None
    frame = selection.frame

    def k_of(column: str) -> str | None:
        rows = frame.index[frame[column].map(lambda v: not missing(v) and bool(v))]
        return None if len(rows) != 1 else number(frame.at[rows[0], "k"], lang)

    k_bic, k_aic, k = k_of("bic_best"), k_of("aic_best"), k_of("chosen")
    if None in (k_bic, k_aic, k):
        return None
    row = frame.index[frame["chosen"].map(lambda v: not missing(v) and bool(v))][0]
    value = frame.at[row, "stability"]
    stability = "–" if missing(value) else number(float(value), lang, 2)
    if k_bic == k_aic:
        return t("selection_same", lang, k=k, stability=stability)
    higher = "" if k == k_bic else t("selection_higher", lang, k_bic=k_bic)
    return t("selection_rule", lang, k_bic=k_bic, k_aic=k_aic, k=k, stability=stability,
             higher=higher)


def _after_small(src: Source, selection, lang: Lang) -> str:
    """The number of types shown when small types were merged or left out after the choice
    (the chosen number less the actions table's merged and withheld types), else nothing: the
    rule's number is not the number of types the section shows (helper-42)."""
    table = src.table("typology_actions")
    if table is None or not table.has("action") or not selection.has("chosen"):
        return ""
    frame = selection.frame
    chosen = frame.index[frame["chosen"].map(lambda v: not missing(v) and bool(v))]
    done = [str(table.value(i, "action")) for i in range(len(table))]
    gone = {action: done.count(action) for action in ("merged", "withheld") if action in done}
    if len(chosen) != 1 or not gone:
        return ""
    parts = [t(f"small_{action}_{'one' if n == 1 else 'many'}", lang, n=number(n, lang))
             for action, n in gone.items()]
    shown = int(frame.at[chosen[0], "k"]) - sum(gone.values())
    words = t(f"shown_types_{shown if shown in (0, 1) else 'n'}", lang, n=number(shown, lang))
    return " " + t("selection_after_small", lang, parts=f" {t('sum_and', lang)} ".join(parts),
                   shown=words)


def robustness(src: Source, lang: Lang) -> str | None:
    """One sentence on the second method's agreement with the types, or None."""
    table = src.table("typology_robustness")
    if table is None or not table.has("method", "ari_with_latent_class"):
        return None
    frame = table.frame
    present = ~frame["ari_with_latent_class"].map(missing)
    others = frame[(frame["method"] != "latent_class") & present]
    if others.empty:
        return None
    row = others.iloc[0]
    ari = float(row["ari_with_latent_class"])
    level = next(key for bound, key in AGREEMENT if ari >= bound)
    k = number(row["k"], lang) if "k" in others.columns and not missing(row["k"]) else "–"
    return t("robust_text", lang, k=k, ari=number(ari, lang, 2), level=t(level, lang))


def _caution(src: Source, lang: Lang) -> list[str]:
    text = src.text(f"typology_caution_{lang}")
    caution = [text.strip()] if text and text.strip() else []
    return caution + _withheld_factors(src, lang)


def _withheld_factors(src: Source, lang: Lang) -> list[str]:
    """Factors whose profile per type the gate did not publish (small numbers that the empty
    cells and the totals would give back), by their labels in the target-group profile."""
    if not src.has("typology_profile"):
        return []
    blocks = [b for b in str((src.bundle.verdict("typology_profile").get("protection") or {})
                             .get("blocks_withheld") or "").split(",") if b]
    if not blocks:
        return []
    labels: dict[str, str] = {}
    profile = src.table("profile_households")
    if profile is not None and profile.has("factor", f"label_{lang}"):
        for factor, label in zip(profile.frame["factor"], profile.frame[f"label_{lang}"],
                                 strict=True):
            labels.setdefault(str(factor), str(label).split(":")[0])
    names = ", ".join(labels.get(b, b) for b in blocks)
    return [t("factors_withheld", lang, names=names)]


def _rows(src: Source, name: str) -> int:
    table = src.table(name)
    return 0 if table is None or table.frame.columns.empty else len(table)


def _shares(src: Source) -> dict[str, str]:
    table = src.table("typology_types")
    if table is None or not table.has("type", "share"):
        return {}
    return {str(table.value(i, "type")): table.show(i, "share", "pct") for i in range(len(table))}


def _lines(text: object) -> tuple[str, ...]:
    if missing(text) or not str(text).strip():
        return ()
    return tuple(line.strip() for line in str(text).splitlines() if line.strip())

