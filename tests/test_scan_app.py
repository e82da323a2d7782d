"""The quick scan's whole flow through FastAPI's TestClient: the facilitator starts a workshop
for two organisations, respondents join by code and answer (again, and back), the live view,
the report, the CSV and the side-by-side agree with statistics.median over the planted answers.
SQLite always; PostgreSQL too when SMARTSTART_TEST_POSTGRES names a server (CI sets it)."""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import statistics
from pathlib import Path

import pytest
from test_scan_support import database, databases, facilitator, join, make_app, start_workshop

from smartstart.maturity import load_bank

BANK = load_bank()
STATIC = Path(__file__).resolve().parents[1] / "src" / "smartstart" / "web" / "static"


def _plant(seed: int, organisations: dict[str, int]):
    """{organisation: {respondent number: {item index: choice}}} with some 'dk' and gaps."""
    rng, planted = random.Random(seed), {}
    for organisation, people in organisations.items():
        planted[organisation] = {}
        for person in range(people):
            bias = rng.randint(0, 2)
            planted[organisation][person] = {
                n: ("dk" if rng.random() < 0.1 else str(min(5, rng.randint(1, 3) + bias)))
                for n in range(1, len(BANK.items) + 1) if rng.random() > 0.1}
    return planted


def _expected(answers: dict[int, dict[int, str]]):
    """Per theme: (median level, spread, respondents) by statistics.median, not by smartstart."""
    out = {}
    for theme in BANK.themes:
        numbers = [n for n, item in enumerate(BANK.items, 1) if item in theme.items]
        own, levels = [], []
        for person in answers.values():
            mine = [int(person[n]) for n in numbers if person.get(n, "dk") != "dk"]
            levels += mine
            if mine:
                own.append(statistics.median(mine))
        out[theme.id] = ((statistics.median(levels), max(own) - min(own), len(own))
                         if levels else (None, None, 0))
    return out


@pytest.mark.parametrize("kind", databases())
def test_the_whole_flow(tmp_path, kind):
    with database(kind, tmp_path) as url:
        _whole_flow(make_app(tmp_path, url if kind != "sqlite" else None))


def _whole_flow(app):
    boss = facilitator(app)
    workshop, code = start_workshop(boss, ["Gemeente Tilburg", "Stichting Voorbeeld"])
    planted = _plant(7, {"Gemeente Tilburg": 5, "Stichting Voorbeeld": 3})
    for organisation, people in planted.items():
        for answers in people.values():
            respondent = join(app, code.replace("-", " ").lower(), organisation)
            for n, choice in answers.items():
                if n <= 3:  # a first tap, then changed: the same item saved again
                    respondent.answer(n, "1" if choice != "1" else "2")
                respondent.answer(n, choice)
            # a reload shows the saved answer checked; back and forward keep it
            if 3 in answers:
                page = respondent.client.get("/q/3")
                assert re.search(rf'value="{answers[3]}"\s+checked', page.text)
            reply = respondent.client.post("/q/2", data={"csrf": respondent.csrf,
                                                         "go": "previous"})
            assert reply.url.path == "/q/1"

    page = boss.get(f"/f/w/{workshop}/live").text
    assert f'data-joined="{sum(len(p) for p in planted.values())}"' in page
    for organisation, people in planted.items():
        expected = _expected(people)
        oid = _organisation_id(page, organisation)
        _check_live(page, oid, expected)
        _check_report(boss.get(f"/f/w/{workshop}/report/{oid}").text, expected)
        _check_csv(boss.get(f"/f/w/{workshop}/report/{oid}/csv"), expected)
    side = boss.get(f"/f/w/{workshop}/compare").text
    assert side.count("<th scope=\"row\">") == len(BANK.themes)
    app.state.scan.store.engine.dispose()


def _organisation_id(page: str, name: str) -> str:
    return re.search(rf'data-organisation="(\d+)">\s*<caption>{re.escape(name)} ', page).group(1)


def _number(text: str):
    return None if text == "" else float(text.replace(",", "."))


def _check_live(page: str, oid: str, expected) -> None:
    table = page.split(f'data-organisation="{oid}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'data-theme="(\w+)" data-level="([^"]*)"\s+data-spread="([^"]*)" '
                      r'data-respondents="(\d+)"', table)
    assert len(rows) == len(BANK.themes)
    for theme, level, spread, people in rows:
        want = expected[theme]
        assert _number(level) == want[0] and _number(spread) == want[1], theme
        assert int(people) == want[2]


def _check_report(page: str, expected) -> None:
    for theme, (level, spread, _people) in expected.items():
        section = page.split(f'data-theme="{theme}"', 1)[1].split("</section>", 1)[0]
        if level is None:
            assert "level-number" not in section
            continue
        assert float(re.search(r'data-level="([^"]+)"', section).group(1)) == level
        assert float(re.search(r'data-spread="([^"]+)"', section).group(1)) == spread
        advice = next(t for t in BANK.themes if t.id == theme).advice[int(level)].nl
        assert advice in section


def _check_csv(reply, expected) -> None:
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text.lstrip("\ufeff")), delimiter=";"))
    assert [row["theme_id"] for row in rows] == [t.id for t in BANK.themes]
    for row in rows:
        level, spread, people = expected[row["theme_id"]]
        assert _number(row["level"]) == level and _number(row["spread"]) == spread
        assert int(row["respondents"]) == people


def test_closing_stops_answers_and_joins(tmp_path):
    app = make_app(tmp_path)
    boss = facilitator(app)
    workshop, code = start_workshop(boss, ["Alleen"], lang="en")
    respondent = join(app, code)
    respondent.answer(1, "4")
    token = re.search(r'name="csrf" value="([^"]+)"', boss.get(f"/f/w/{workshop}").text)[1]
    assert boss.post(f"/f/w/{workshop}/close", data={"csrf": token}).status_code == 200
    reply = respondent.client.post("/a/1", data={"answer": "5"},
                                   headers={"X-CSRF-Token": respondent.csrf})
    assert reply.status_code == 409
    assert "This session is closed" in respondent.client.get("/q/1").text  # English workshop
    again = respondent.client.post("/join", data={"csrf": respondent.csrf, "code": code})
    assert again.status_code == 400
    page = boss.get(f"/f/w/{workshop}/live").text
    assert 'data-theme="gebruik" data-level="4.0"' in page  # the answer before closing counts


def test_the_live_view_streams_server_sent_events(tmp_path):
    app = make_app(tmp_path)
    boss = facilitator(app)
    workshop, code = start_workshop(boss, ["Een"])
    join(app, code).answer(1, "2")
    reply = boss.get(f"/f/w/{workshop}/events?once=1")
    assert reply.headers["content-type"].startswith("text/event-stream")
    lines = reply.text.splitlines()
    assert lines[0] == "event: stats" and all(line.startswith("data: ") for line in lines[1:-1])
    html = "\n".join(line[6:] for line in lines[1:] if line.startswith("data: "))
    assert 'data-theme="gebruik" data-level="2.0"' in html and 'data-joined="1"' in html


def test_nothing_comes_from_another_site(tmp_path):
    """Pages load only /static/ files, which are the vendored ones recorded in VENDORED.md."""
    app = make_app(tmp_path)
    boss = facilitator(app)
    workshop, _code = start_workshop(boss, ["Een"])
    page = boss.get(f"/f/w/{workshop}").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith(("/", "#")) for s in sources), sources
    assert "<svg" in page  # the QR code, made offline, inline
    note = (STATIC / "VENDORED.md").read_text()
    for name in ("htmx.min.js", "htmx-sse.js"):
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()
        assert f"{name} {digest}" in note.replace("\n", " ")
        assert boss.get(f"/static/{name}").status_code == 200
