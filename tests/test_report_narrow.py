"""The report's charts at phone width (issue 17: readable at 390 px, laid out again, not shrunk).

Every chart is drawn a second time for a narrow screen (``report._narrow``): the same data, 330 px
wide, category labels above their rows. The bundle holds both layouts, and ``smartstart check``
holds the narrow one to its table and to its wide chart's data. In a real Chromium at 390 px
every chart shows its narrow layout at its own size (no text under 11 px, nothing beyond the
figure); at 1280 px and on paper the wide one; screen readers get one chart per figure."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from browser_support import ARTIFACTS, chromium
from shared_cases import LANGUAGES
from test_report_support import demo_bundle

from smartstart.bundle import check_bundle, read_bundle, svg_of
from smartstart.bundle._write import CHECKSUMS, sha256
from smartstart.report import _charts, write_report
from smartstart.report._narrow import WIDTH, narrow, wrap
from smartstart.report._types import DataTable

TABLE = DataTable("caption", ("x", "n"), (("a", "3"),))
LONG = "Hoogste opleidingsniveau volwassenen: laag opgeleid, in de buurt"


def _kinds() -> dict[str, object]:
    """One chart of each kind ``_charts`` draws, from small frames."""
    bars = pd.DataFrame({"x": ["kort", LONG], "n": [30.0, 120.0]})
    dots = pd.DataFrame({"label": ["kort", LONG] * 2, "series": ["doel"] * 2 + ["alle"] * 2,
                         "value": [.2, .4, .3, .5], "low": [.1, .3, None, None],
                         "high": [.3, .5, None, None]})
    odds = pd.DataFrame({"label": ["kort", LONG], "odds_ratio": [2.0, .8],
                         "or_low": [1.5, .6], "or_high": [2.6, 1.1]})
    calibration = pd.DataFrame({"predicted": [.01, .05, .1], "observed": [.02, .04, .12]})
    return {"bars": _charts.bars(bars, "x", "n", "Aantal"),
            "dots": _charts.dots(dots, "label", "series", "value", "Aandeel", low="low",
                                 high="high"),
            "odds": _charts.odds(odds, "label", "Odds ratio"),
            "calibration": _charts.calibration(calibration, "Voorspeld", "Waargenomen")}


def _data(spec: dict) -> object:
    return spec.get("datasets"), [layer.get("data") for layer in spec.get("layer", ())]


@pytest.mark.parametrize("kind", ["bars", "dots", "odds", "calibration"])
def test_every_kind_of_chart_has_a_narrow_layout_of_the_same_data(kind):
    figure = _charts.figure("fig-a", "cap", "label", _kinds()[kind], TABLE, "nl")
    wide, small = figure.spec, figure.narrow_spec
    assert _data(small) == _data(wide)  # the same data, inline, in the same places
    assert {k: v for k, v in small.items() if k not in ("config", "width", "height",
                                                        "autosize", "layer")} == {
        k: v for k, v in wide.items() if k not in ("config", "width", "height", "layer")}
    width = float(re.search(r'<svg[^>]* width="([\d.]+)"', figure.narrow_svg).group(1))
    assert width <= WIDTH < float(re.search(r'<svg[^>]* width="([\d.]+)"', figure.svg).group(1))
    assert figure.narrow_svg == svg_of(small, "label", "nl-NL")  # as check draws it again
    sizes = {float(s) for s in re.findall(r'font-size="([\d.]+)px"', figure.narrow_svg)}
    assert min(sizes) >= 11


def test_narrow_leaves_its_input_alone_and_wraps_long_labels():
    spec = _charts._style(_kinds()["bars"]).to_dict()
    before = json.dumps(spec, sort_keys=True)
    small = narrow(spec)
    assert json.dumps(spec, sort_keys=True) == before and small is not spec
    assert len(wrap(LONG)) == 2 and wrap("kort") == ["kort"]
    assert "labelExpr" in small["config"]["axisYDiscrete"]  # the long label on two lines
    assert small["height"] == {"step": 2 * 15 + 14 + 3 + 9}


# --- the bundle and check ------------------------------------------------------------------

@pytest.fixture
def bundle(tmp_path_factory, tmp_path) -> Path:
    """A copy of the session's demo bundle, to tamper with."""
    return Path(shutil.copytree(demo_bundle(tmp_path_factory), tmp_path / "bundle"))


def _fit_hashes(root: Path) -> None:
    """Every declared hash and the checksum file made to fit the files as they are now (what
    someone who edits a chart and the manifest does)."""
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    for entry in manifest["files"]:
        entry["sha256"] = sha256(root / entry["path"])
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    lines = [f"{sha256(p)}  {p.relative_to(root).as_posix()}"
             for p in sorted(root.rglob("*")) if p.is_file() and p.name != CHECKSUMS]
    (root / CHECKSUMS).write_text("\n".join(lines) + "\n", "utf-8")


def test_the_bundle_holds_each_chart_in_both_layouts(tmp_path_factory):
    bundle = read_bundle(demo_bundle(tmp_path_factory))
    charts = {o["name"]: o for o in bundle.outputs if o["kind"] == "chart"}
    narrow_ones = {n: o for n, o in charts.items() if o.get("layout") == "narrow"}
    wide_ones = set(charts) - set(narrow_ones)
    assert len(wide_ones) >= 14 and {o["variant_of"] for o in narrow_ones.values()} == wide_ones
    for name, output in narrow_ones.items():
        wide = charts[output["variant_of"]]
        assert name == wide["name"].replace(f"_{wide['lang']}", f"_smal_{wide['lang']}")
        assert output["based_on"] == wide["based_on"] and output["title"] == wide["title"]
        spec, other = (json.loads((bundle.root / o["files"][0]).read_text("utf-8"))
                       for o in (output, wide))
        assert spec["datasets"] == other["datasets"]
        svg = (bundle.root / output["files"][1]).read_text("utf-8")
        assert float(re.search(r'width="([\d.]+)"', svg).group(1)) <= WIDTH


def test_every_chart_is_valid_vega_lite(tmp_path_factory):
    """The run draws its charts from specs it does not validate (Altair's validation took the
    demo a second and a half): every spec the demo's report shows, wide and narrow, in both
    languages, and every spec of its bundle, is valid against the Vega-Lite schema of the
    installed Altair; a broken spec is not."""
    import altair as alt
    from jsonschema.validators import validator_for

    from smartstart.report import report_context

    schema = alt.load_schema()
    valid = validator_for(schema)(schema)
    bundle = read_bundle(demo_bundle(tmp_path_factory))
    specs = [json.loads(p.read_text("utf-8")) for p in (bundle.root / "charts").glob("*.vl.json")]
    for lang in ("nl", "en"):
        for section in report_context(bundle, lang)["sections"]:
            for part in section.parts:
                figures = [b for b in getattr(part, "blocks", ()) if b.kind == "figure"]
                specs += [s for f in figures for s in (f.spec, f.narrow_spec)]
    assert len(specs) >= 60
    for spec in specs:
        assert not list(valid.iter_errors(spec)), json.dumps(spec)[:300]
    broken = {**specs[0], "mark": {"type": "taart"}} if "mark" in specs[0] else \
        {**specs[0], "layer": [{"mark": {"type": "taart"}}]}
    assert list(valid.iter_errors(broken))


def test_check_finds_a_narrow_svg_that_is_not_its_spec(bundle):
    path = bundle / "charts" / "typen_smal_nl.svg"
    path.write_text(path.read_text("utf-8").replace("</svg>", "<text>3</text></svg>"), "utf-8")
    _fit_hashes(bundle)
    assert {(p.where, p.kind) for p in check_bundle(bundle)[0]} == {
        ("charts/typen_smal_nl.svg", "chart_svg")}


def test_check_finds_a_narrow_chart_that_leaves_a_row_out(bundle):
    """Every datum left is a row of the table, and the SVG is the spec's: only the comparison
    with the wide chart finds that a type is missing."""
    path = bundle / "charts" / "typen_smal_nl.vl.json"
    spec = json.loads(path.read_text("utf-8"))
    rows = next(iter(spec["datasets"].values()))
    del rows[-1]
    path.write_text(json.dumps(spec, ensure_ascii=False), "utf-8")
    output = next(o for o in read_bundle(bundle, verify=False).outputs
                  if o["name"] == "chart_typen_smal_nl")
    (bundle / "charts" / "typen_smal_nl.svg").write_text(
        svg_of(spec, output["title"], "nl-NL"), "utf-8")
    _fit_hashes(bundle)
    assert {(p.where, p.kind) for p in check_bundle(bundle)[0]} == {
        ("charts/typen_smal_nl.vl.json", "chart_variant")}


# --- in a browser -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    yield from chromium()


#: per figure (the map apart): the shown chart's layout, its rendered width and scale, the
#: smallest rendered text (CSS px: font size x scale), how far it reaches beyond its figure,
#: and the width of the other layout
MEASURE = """() => [...document.querySelectorAll('figure.chart:not(.map)')].map(figure => {
  const shown = (div) => div && getComputedStyle(div).display !== 'none'
                         && div.getBoundingClientRect().width > 1;
  const wide = figure.querySelector('.svg .wide') || figure.querySelector('.svg');
  const small = figure.querySelector('.svg .narrow');
  const div = shown(small) ? small : wide;
  const svg = div.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
  const axis = [...svg.querySelectorAll('.role-axis-label text')].filter(
      t => t.textContent.trim());
  const size = (t) => parseFloat(getComputedStyle(t).fontSize) * scale;
  const inner = figure.getBoundingClientRect();
  return {id: figure.id, layout: div === small ? 'narrow' : 'wide', width: box.width, scale,
          smallest: Math.min(...texts.map(size)), axis: Math.min(...axis.map(size)),
          axisHeight: Math.min(...axis.map(t => t.getBoundingClientRect().height)),
          beyond: Math.max(box.right - inner.right, inner.left - box.left, 0),
          figureScroll: figure.scrollWidth - figure.clientWidth,
          other: small ? (div === small ? wide : small).getBoundingClientRect().width : -1};
})"""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_charts_at_phone_width_are_laid_out_again_not_shrunk(browser, tmp_path_factory, lang):
    from axe_playwright_python.sync_playwright import Axe

    report = write_report(demo_bundle(tmp_path_factory),
                          tmp_path_factory.mktemp("narrow") / f"report-{lang}.html", lang=lang)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(report.as_uri(), wait_until="load")
    charts = page.evaluate(MEASURE)
    assert len(charts) >= 7
    for chart in charts:
        assert chart["layout"] == "narrow", chart
        assert chart["scale"] >= 0.999, chart  # at its own size: not shrunk
        assert chart["axis"] >= 11 and chart["smallest"] >= 11, chart
        assert chart["axisHeight"] >= 11, chart
        assert chart["beyond"] <= 0.5 and chart["figureScroll"] <= 0, chart
        assert chart["other"] <= 1, chart  # the wide one out of sight
    # one chart per figure for screen readers: the wide one, named, out of sight but there
    named = page.locator("figure.chart:not(.map) svg[role=img]")
    assert named.count() == len(charts)
    assert page.locator("figure .narrow svg:not([role])[aria-hidden=true]").count() == len(charts)
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    bad = [(v["id"], v["impact"]) for v in results.response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert bad == [], results.generate_report()
    if lang == "nl":
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("figure.chart").first.screenshot(path=ARTIFACTS / "chart-390px.png")

    page.set_viewport_size({"width": 1280, "height": 900})
    for chart in page.evaluate(MEASURE):
        assert chart["layout"] == "wide" and chart["other"] == 0, chart
        assert chart["width"] > 50, chart
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(media="print")  # paper: the wide one, whatever the width
    assert all(c["layout"] == "wide" and c["other"] == 0 for c in page.evaluate(MEASURE))
    page.close()
