"""The map of section "Waar beginnen we?": an inline SVG choropleth of the ranked measure,
drawn from the bundle only (its map output: the published table's values and classes, the
public boundaries of its areas).

Five classes of ColorBrewer's YlGnBu (sequential, colour-blind safe; darker is higher); areas
the table publishes no value for are hatched ("te klein"); the chosen areas are outlined and
named. Each area is one ``<path>`` with a ``<title>`` (its name and its value as published).
The SVG scales by its viewBox (RD metres, north up) and is readable at 390 px; the legend is
HTML beside it, and the figure prints (fills are SVG, not CSS backgrounds).
"""

from __future__ import annotations

from html import escape

import numpy as np

from smartstart.bundle._maps import read_map
from smartstart.report._source import Source
from smartstart.report._text import percent, t
from smartstart.report._types import Html, Lang, Text

#: ColorBrewer YlGnBu, 5 classes (light = low)
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
HATCH_ID = "kaart-te-klein"
#: the names' font size as a share of the map's width: wide screens (the map at most 640 px)
#: and narrow ones (390 px: about 12 px on the map's ~300 px)
FONT, FONT_NARROW = 0.026, 0.042
#: the SVG's own rules (inline SVG styles apply to the page: scoped by the figure's id)
STYLE = ("#fig-kaart .kaart-namen{font-size:%(wide)dpx}"
         "@media (max-width:560px){#fig-kaart .kaart-namen{font-size:%(narrow)dpx}}")


def map_blocks(src: Source, cfg: dict, lang: Lang, words: dict) -> list[object]:
    """The map and its legend, or (without a boundaries file) the sentence that the areas
    keep their codes; the areas of the table without a boundary are counted."""
    output = next((o for o in src.bundle.outputs if o.get("kind") == "map"), None)
    if output is None:
        return [Text(t("areas_names_note", lang))]
    spec, geo = read_map(src.bundle.root, output)
    table = src.table(spec["table"])
    if table is None or not geo["features"]:
        return [Text(t("areas_names_note", lang))]
    rows = {str(a): i for i, a in enumerate(table.frame["area"])}
    status = {str(a): str(s) for a, s in zip(table.frame["area"], table.frame["status"],
                                             strict=True)} if "status" in table.frame else {}
    classes = {str(a["code"]): a["class"] for a in spec["areas"]}
    names = {f["properties"]["code"]: f["properties"]["name"] for f in geo["features"]}
    shown = {c: table.show(rows[c], spec["column"], "pct1") for c in names if c in rows}
    chosen = [c for c in names if status.get(c) == "chosen"]
    svg = _svg(geo, spec["level"], classes, shown, chosen,
               _aria(lang, words, names, chosen), lang)
    legend = _legend(spec["bounds"], lang, any(v is None for v in classes.values()),
                     bool(chosen))
    data = _data(geo, spec, classes, shown, chosen, lang)
    figure = (f'<figure class="chart map" id="fig-kaart" style="break-inside:avoid">'
              f'<figcaption>{escape(t("map_caption", lang, **words))}</figcaption>'
              '<div style="display:flex;flex-wrap:wrap;align-items:flex-start;gap:.5rem 1.5rem">'
              f'<div style="flex:1 1 300px;max-width:640px">{svg}</div>{legend}</div>'
              f'{_credit(spec, lang)}{data}</figure>')
    blocks: list[object] = [Html(figure)]
    if spec["without_boundary"]:
        blocks.append(Text(t("map_without", lang, n=len(spec["without_boundary"]),
                             codes=", ".join(spec["without_boundary"]), **words)))
    return blocks


def _aria(lang: Lang, words: dict, names: dict, chosen: list[str]) -> str:
    text = t("map_label", lang, **words)
    if chosen:
        text += " " + t("map_label_chosen", lang, names=", ".join(names[c] for c in chosen))
    return text


# -- the SVG -----------------------------------------------------------------------------------

def _svg(geo: dict, level: str, classes: dict, shown: dict, chosen: list[str], label: str,
         lang: Lang) -> str:
    coords = np.array([p for f in geo["features"] for poly in f["geometry"]["coordinates"]
                       for ring in poly for p in ring], dtype=float)
    (x0, y0), (x1, y1) = coords.min(0), coords.max(0)
    pad = 0.03 * max(x1 - x0, y1 - y0)
    width, height = round(x1 - x0 + 2 * pad), round(y1 - y0 + 2 * pad)

    def at(x: float, y: float) -> tuple[int, int]:
        return round(x - x0 + pad), round(y1 + pad - y)

    scaling = 'vector-effect="non-scaling-stroke"'
    paths, outlines, labels = [], [], []
    placed: list[tuple[float, float, float, float]] = []
    for feature in geo["features"]:
        code = feature["properties"]["code"]
        name = feature["properties"]["name"]
        d = _path(feature["geometry"]["coordinates"], at)
        k = classes.get(code)
        fill = PALETTE[_colour(k, classes)] if k is not None else f"url(#{HATCH_ID})"
        value = (t("map_title_value", lang, name=name, value=shown.get(code, ""))
                 if k is not None else t("map_title_small", lang, name=name))
        paths.append(f'<path d="{d}" fill="{fill}" data-area="{escape(code)}" {scaling} '
                     f'data-class="{"" if k is None else k}"><title>{escape(value)}</title>'
                     '</path>')
        if code in chosen:
            outlines.append(d)
            labels.append(_label(feature["geometry"]["coordinates"], name, at,
                                 FONT_NARROW * width, width, height, placed))
    halo = "".join(f'<path d="{d}" stroke="#ffffff" stroke-width="5" {scaling}/>'
                   for d in outlines)
    line = "".join(f'<path d="{d}" stroke="#000000" stroke-width="2.5" {scaling}/>'
                   for d in outlines)
    hatch = round(width / 90) or 1
    font = {"wide": round(FONT * width), "narrow": round(FONT_NARROW * width)}
    # inline in HTML: no xmlns (the HTML parser puts it in the SVG namespace; the report
    # holds no address at all)
    return (f'<svg viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}" '
            'style="display:block;width:100%;height:auto">'
            f'<title>{escape(label)}</title><style>{STYLE % font}</style>'
            f'<defs><pattern id="{HATCH_ID}" patternUnits="userSpaceOnUse" width="{hatch}" '
            f'height="{hatch}" patternTransform="rotate(45)"><rect width="{hatch}" '
            f'height="{hatch}" fill="#f0f0f0"/><line x1="0" y1="0" x2="0" y2="{hatch}" '
            f'stroke="#8c8c8c" stroke-width="{max(hatch // 4, 1)}"/></pattern></defs>'
            f'<g stroke="#636363" stroke-width="0.75" stroke-linejoin="round" '
            f'fill-rule="evenodd">{"".join(paths)}</g>'
            f'{_outline(geo, level, at)}'
            f'<g fill="none" stroke-linejoin="round">{halo}{line}</g>'
            f'<g class="kaart-namen" font-family="system-ui, sans-serif" '
            f'font-size="{font["wide"]}" font-weight="600" text-anchor="middle" '
            'fill="#000000" stroke="#ffffff" stroke-width="3" paint-order="stroke" '
            f'stroke-linejoin="round" aria-hidden="true">{"".join(labels)}</g></svg>')


def _outline(geo: dict, level: str, at) -> str:
    """The wijken's borders over a buurt map, and the outline of the whole (a darker line)."""
    import shapely

    shapes = {f["properties"]["code"]: shapely.MultiPolygon(
        [shapely.Polygon(p[0], p[1:]) for p in f["geometry"]["coordinates"]])
        for f in geo["features"]}
    groups: dict[str, list] = {}
    for code, shape in shapes.items():
        groups.setdefault(code[:6] if level == "buurt" else "", []).append(shape)
    # closed by 2 m (out, then in): a hairline gap between neighbours is no border
    lines = [shapely.buffer(shapely.buffer(shapely.union_all(g), 2.0, join_style="mitre"),
                            -2.0, join_style="mitre") for g in groups.values()]
    d = "".join(_path(_rings(u), at) for u in lines)
    return (f'<path d="{d}" fill="none" stroke="#252525" stroke-width="1.5" '
            'stroke-linejoin="round" vector-effect="non-scaling-stroke"/>')


def _rings(geometry) -> list:
    import shapely

    return [[list(p.exterior.coords), *(list(r.coords) for r in p.interiors)]
            for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]


#: palette positions for fewer than five classes (values repeat): spread, the middle for one
SPREAD = {1: (2,), 2: (1, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}


def _colour(k: int, classes: dict) -> int:
    """The palette position of class ``k`` among the classes in use."""
    n = max((c for c in classes.values() if c is not None), default=0) + 1
    return SPREAD[min(n, len(PALETTE))][min(k, len(PALETTE) - 1)]


def _path(coordinates: list, at) -> str:
    parts = []
    for polygon in coordinates:
        for ring in polygon:
            points = [at(x, y) for x, y in ring[:-1]]
            parts.append("M" + "L".join(f"{x} {y}" for x, y in points) + "Z")
    return "".join(parts)


def _label(coordinates: list, name: str, at, font: float, width: int, height: int,
           placed: list[tuple[float, float, float, float]]) -> str:
    """The name at the area's inner point, inside the map, moved up or down off the names
    already ``placed`` (boxes at the narrow screen's font size, the larger one)."""
    import shapely

    size = int(font)
    polygons = [shapely.Polygon(poly[0], poly[1:]) for poly in coordinates]
    point = max(polygons, key=lambda p: p.area).point_on_surface()
    x, y = at(point.x, point.y)
    half = 0.3 * size * len(name)
    x = int(min(max(x, half + size // 2), width - half - size // 2))
    for step in (0, 1, -1, 2, -2, 3, -3):
        top = min(max(y + step * 1.3 * size - 0.7 * size, 0), height - 1.3 * size)
        box = (x - half, top, x + half, top + 1.1 * size)
        if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                   for b in placed):
            break
    placed.append(box)
    return f'<text x="{x}" y="{int(box[1] + 0.85 * size)}">{escape(name)}</text>'


# -- legend and credit -------------------------------------------------------------------------

def _legend(bounds: list, lang: Lang, small: bool, chosen: bool) -> str:
    items = []
    n = max(len(bounds) - 1, 1)
    for k in range(n):
        text = _range(k, bounds, lang)
        items.append(_item(f'fill="{PALETTE[_colour(k, {0: n - 1})]}" stroke="#636363"', text))
    if small:
        items.append(_item(f'fill="url(#{HATCH_ID}-legenda)" stroke="#636363"',
                           t("map_small", lang)))
    if chosen:
        items.append(_item('fill="#ffffff" stroke="#000000" stroke-width="2.5"',
                           t("map_chosen", lang)))
    pattern = (f'<svg width="0" height="0" aria-hidden="true" style="position:absolute">'
               f'<defs><pattern id="{HATCH_ID}-legenda" patternUnits="userSpaceOnUse" '
               'width="4" height="4" patternTransform="rotate(45)"><rect width="4" height="4" '
               'fill="#f0f0f0"/><line x1="0" y1="0" x2="0" y2="4" stroke="#8c8c8c" '
               'stroke-width="1.2"/></pattern></defs></svg>')
    return (f'<div class="legend" style="flex:0 1 14rem">{pattern}<p style="margin:0 0 .3rem;'
            f'font-weight:600">{escape(t("map_legend_title", lang))}</p>'
            '<ul style="list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;'
            f'gap:.3rem 1rem">{"".join(items)}</ul></div>')


def _item(attributes: str, text: str) -> str:
    swatch = (f'<svg width="24" height="16" viewBox="0 0 24 16" aria-hidden="true" '
              f'style="vertical-align:middle;margin-right:.4rem"><rect x="1.5" y="1.5" '
              f'width="21" height="13" {attributes}/></svg>')
    return f'<li style="white-space:nowrap;flex:1 0 100%">{swatch}{escape(text)}</li>'


def _range(k: int | None, bounds: list, lang: Lang) -> str:
    if k is None:
        return t("map_small", lang)
    low = bounds[k] if bounds else 0.0
    high = bounds[k + 1] if len(bounds) > k + 1 else low
    return (f"{percent(low, lang, 1)} – {percent(high, lang, 1)}" if high != low
            else percent(low, lang, 1))


def _data(geo: dict, spec: dict, classes: dict, shown: dict, chosen: list[str],
          lang: Lang) -> str:
    """The map's data as a table (closed on screen, printed): area, value as published,
    its colour's range, chosen or not."""
    caption = escape(t("map_data_caption", lang))
    head = (t(f"areas_level_{spec['level']}_one", lang), t("areas_shrunk", lang),
            t("map_class", lang), t("areas_status_chosen", lang))
    rows = []
    for feature in sorted(geo["features"], key=lambda f: f["properties"]["name"]):
        code, name = feature["properties"]["code"], feature["properties"]["name"]
        k = classes.get(code)
        value = shown.get(code, "") if k is not None else t("map_small", lang)
        rows.append(f'<tr><th scope="row">{escape(name)}</th><td class="num">'
                    f'{escape(value)}</td><td>{escape(_range(k, spec["bounds"], lang))}</td>'
                    f'<td>{"✓" if code in chosen else ""}</td></tr>')
    cells = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    return (f'<details><summary>{escape(t("data_table", lang))}</summary>'
            f'<div class="table-wrap" role="region" tabindex="0" aria-label="{caption}">'
            f'<table><caption>{caption}</caption><thead><tr>{cells}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></details>')


def _credit(spec: dict, lang: Lang) -> str:
    credit = t("map_synthetic", lang) if spec["synthetic"] else spec["credit"]
    return (f'<p class="note" style="font-size:.85rem">'
            f'{escape(t("map_credit", lang, credit=credit))}</p>')


__all__ = ["PALETTE", "map_blocks"]
