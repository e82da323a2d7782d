"""Section 4, household types (sizes, persona cards, overview, choice of the number of types),
and section 5, how the results were checked for disclosure (from disclosure_log.json)."""

from __future__ import annotations

from smartstart.report import _charts as charts
from smartstart.report._cells import fmt, small_label
from smartstart.report._pilot import _figure
from smartstart.report._source import Source, data_table
from smartstart.report._text import missing, number, percent, t, term
from smartstart.report._types import Card, Cards, DataTable, Lang, Part

SETTINGS = ("min_cell", "min_dof", "dominance_n", "dominance_k", "p_ratio", "zeros_disclosive")


def type_sizes(src: Source, lang: Lang) -> Part:
    table = src.require("typology_types", "type", "size")
    name = f"name_{lang}" if table.has(f"name_{lang}") else "type"
    table = table.assign(label=[f"{ty}. {n}" if name != "type" else str(ty) for ty, n in
                                zip(table.frame["type"], table.frame[name], strict=True)])
    part = Part(t("types_caption", lang), "typen-grootte")
    caption = t("types_caption", lang)
    columns = [(t("type", lang), "label", "text"), (t("households", lang), "size", "int"),
               (t("share", lang), "share", "pct"), (t("stable", lang), "stable", "bool")]
    columns = [c for c in columns if table.has(c[1])]
    chart = charts.bars(table.frame.dropna(subset=["size"]), "label", "size",
                        t("households", lang))
    part.blocks.append(_figure("fig-typen", caption, chart, data_table(table, caption, columns),
                               lang, table.withheld))
    return part


def personas(src: Source, lang: Lang) -> Part:
    table = src.require("typology_personas", "type", f"name_{lang}", f"traits_{lang}")
    part = Part(t("personas_title", lang), "personas")
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
        cards.append(Card(f"{kind}. {table.value(i, f'name_{lang}')}", tuple(facts),
                          t("traits", lang), _lines(table.value(i, f"traits_{lang}")),
                          t("questions", lang),
                          _lines(table.value(i, f"questions_{lang}")
                                 if table.has(f"questions_{lang}") else "")))
    part.blocks.append(Cards(tuple(cards)))
    return part


def overview(src: Source, lang: Lang) -> Part:
    table = src.require("typology_overview")
    part = Part(t("overview_title", lang), "typen-overzicht")
    columns = [(str(c), c, "text") for c in table.frame.columns]
    columns[0] = (t("factor", lang), table.frame.columns[0], "text")
    part.blocks.append(data_table(table, t("overview_caption", lang), columns))
    selection = src.table("typology_selection")
    if selection is not None and selection.has("k"):
        wanted = [(t("k", lang), "k", "int"), ("BIC", "bic", "num1"),
                  (t("stability", lang), "stability", "num2"), (t("chosen", lang), "chosen",
                                                                 "bool")]
        part.blocks.append(data_table(selection, t("selection_caption", lang),
                                      [c for c in wanted if selection.has(c[1])]))
    return part


def caution(src: Source, lang: Lang) -> str | None:
    text = src.text(f"typology_caution_{lang}")
    return text.strip() if text else None


def disclosure(src: Source, lang: Lang) -> Part:
    outputs = src.bundle.log.get("outputs", [])
    if not outputs:
        raise KeyError("disclosure_log.json: outputs")
    part = Part(t("settings_title", lang), "instellingen")
    first = outputs[0]
    small = small_label(first)
    settings = first.get("settings") or {}
    part.paragraphs.append(t("labels_text", lang, small=small,
                             min_cell=settings.get("min_cell", 10)))
    rows = tuple((term("setting", k, lang), _setting(settings[k], lang))
                 for k in SETTINGS if k in settings)
    part.blocks.append(DataTable(t("settings_caption", lang),
                                 (t("setting_name", lang), t("value", lang)), rows,
                                 (False, True)))
    part.blocks.append(_outputs_table(src, outputs, small, lang))
    return part


def _outputs_table(src: Source, outputs: list[dict], small: str, lang: Lang) -> DataTable:
    titles = {o["name"]: o.get(f"title_{lang}") or o["name"] for o in src.bundle.outputs}
    body = []
    for record in outputs:
        cells = record.get("suppressed") or []
        primary = sum(c.get("reason") == "primary" for c in cells)
        rules = ", ".join(f"{term('rule', c.get('rule'), lang)}: "
                          f"{term('statuses', c.get('status'), lang)}"
                          for c in record.get("checks") or []) or "–"
        body.append((titles.get(record["name"], record["name"]),
                     term("statuses", record.get("status"), lang), rules,
                     number(primary, lang), number(len(cells) - primary, lang)))
    head = (t("output", lang), t("check_status", lang), t("rules", lang),
            t("primary", lang, small=small), t("secondary", lang))
    return DataTable(t("outputs_caption", lang), head, tuple(body),
                     (False, False, False, True, True))


def _setting(value: object, lang: Lang) -> str:
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, float) and value < 1:
        return percent(value, lang) if value else "0"
    return number(value, lang, 0 if float(value) == int(value) else 2)


def _shares(src: Source) -> dict[str, str]:
    table = src.table("typology_types")
    if table is None or not table.has("type", "share"):
        return {}
    return {str(table.value(i, "type")): table.show(i, "share", "pct") for i in range(len(table))}


def _lines(text: object) -> tuple[str, ...]:
    if missing(text) or not str(text).strip():
        return ()
    return tuple(line.strip() for line in str(text).splitlines() if line.strip())

