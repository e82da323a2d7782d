"""A chart is rendered once per process: the same specification (and label and language)
comes from the cache, another table or language is rendered anew (issue 18); so is its narrow
layout (issue 17)."""

from __future__ import annotations

import pandas as pd

from smartstart.bundle import _svg
from smartstart.report import _charts
from smartstart.report._types import DataTable

TABLE = DataTable("caption", ("x", "n"), (("a", "3"),))


def test_the_same_chart_is_rendered_once(monkeypatch):
    renders = []
    real = _svg.vl_convert.vegalite_to_svg

    def counted(spec, format_locale, allowed_base_urls):
        renders.append(format_locale)
        return real(spec, format_locale=format_locale, allowed_base_urls=allowed_base_urls)

    monkeypatch.setattr(_svg.vl_convert, "vegalite_to_svg", counted)
    _svg._DRAWN.clear()

    def draw(counts, lang="nl"):
        data = pd.DataFrame({"x": ["a", "b"], "n": counts})
        return _charts.figure("fig-a", "cap", "label", _charts.bars(data, "x", "n", "n"), TABLE,
                              lang)

    # each figure is drawn in two layouts, wide and narrow (issue 17), each once
    first, again = draw([3, 4]), draw([3, 4])
    assert len(renders) == 2
    assert again.svg == first.svg and again.spec == first.spec
    assert again.narrow_svg == first.narrow_svg != first.svg
    assert "<svg" in first.svg and 'aria-label="label"' in first.svg
    other = draw([3, 5])
    assert len(renders) == 4 and other.svg != first.svg
    draw([3, 4], "en")
    assert renders[-1] == "en-GB" and len(renders) == 6
