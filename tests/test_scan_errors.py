"""Errors are short pages in the session's language, not FastAPI's JSON: a form the app cannot
use (422) and an unknown address (404) say what went wrong and what to do, with a link back,
and keep their status codes."""

from __future__ import annotations

import pytest
from test_scan_support import TestClient, csrf_of, facilitator, join, make_app, start_workshop


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("scan-errors"))
    boss = facilitator(app)
    _workshop, code = start_workshop(boss, ["Org A"])
    _english, english = start_workshop(boss, ["Org E"], lang="en")
    yield app, boss, join(app, code), join(app, english)
    app.state.scan.store.engine.dispose()


def _is_page(reply, status: int, lang: str) -> str:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in reply.text and '"detail"' not in reply.text
    return reply.text


def test_a_malformed_answer_gives_a_dutch_page(scan):
    _app, _boss, respondent, _english = scan
    for data in ({"answer": "6"}, {"answer": "1 OR 1=1"}):
        reply = respondent.client.post("/a/1", data=data, headers={
            "X-CSRF-Token": respondent.csrf, "Accept": "text/html"})
        page = _is_page(reply, 422, "nl")
        assert "Dit kunnen we niet gebruiken" in page and "Het gaat om: uw antwoord." in page
        assert "Ga terug, pas het aan en probeer het opnieuw." in page
        assert '<a class="button secondary" href="/q/1">Terug naar de vraag</a>' in page
    reply = respondent.client.post("/q/2", data={"csrf": respondent.csrf, "answer": "3",
                                                 "go": "elders"})
    page = _is_page(reply, 422, "nl")
    assert "de knop Vorige of Volgende" in page and 'href="/q/2"' in page
    page = _is_page(respondent.client.post("/a/999", data={"csrf": respondent.csrf,
                                                           "answer": "3"}), 422, "nl")
    assert "het nummer van de vraag" in page and 'href="/">Naar de startpagina' in page


def test_a_too_long_organisation_name_or_title_gives_a_dutch_page(scan):
    _app, boss, _respondent, _english = scan
    token = csrf_of(boss, "/f/")
    reply = boss.post("/f/workshops", data={"csrf": token, "title": "t",
                                            "organisations": "A" * 81, "lang": "nl"})
    page = _is_page(reply, 422, "nl")
    assert "de naam van een organisatie is te lang (hoogstens 80 tekens)" in page
    reply = boss.post("/f/workshops", data={"csrf": token, "title": "x" * 121,
                                            "organisations": "A", "lang": "nl"})
    page = _is_page(reply, 422, "nl")
    assert "Het gaat om: Naam van de sessie." in page and 'href="/f/"' in page
    assert "Terug naar de sessies" in page


def test_an_unknown_page_gives_a_dutch_404_page(scan):
    app, boss, _respondent, _english = scan
    page = _is_page(TestClient(app).get("/bestaat-niet"), 404, "nl")
    assert "Deze pagina bestaat niet" in page and "Vul de code dan opnieuw in." in page
    assert "Naar de startpagina" in page
    page = _is_page(boss.get("/f/w/999"), 404, "nl")
    assert "Terug naar de sessies" in page
    _is_page(TestClient(app).post("/bestaat-niet"), 404, "nl")
    _is_page(TestClient(app).get("/join"), 405, "nl")  # a form's address opened as a page
    _is_page(TestClient(app).get("/static/bestaat-niet.css"), 404, "nl")


def test_the_pages_follow_the_sessions_language(scan, tmp_path):
    _app, _boss, _respondent, english = scan
    reply = english.client.post("/a/1", data={"answer": "9"},
                                headers={"X-CSRF-Token": english.csrf})
    page = _is_page(reply, 422, "en")
    assert "We cannot use this" in page and "This is about: your answer." in page
    page = _is_page(english.client.get("/q/77"), 404, "en")
    assert "This page does not exist" in page and "To the start page" in page
    page = _is_page(TestClient(make_app(tmp_path, lang="en")).get("/nope"), 404, "en")
    assert "This page does not exist" in page


def test_a_client_asking_for_json_gets_json(scan):
    app, _boss, respondent, _english = scan
    reply = TestClient(app).get("/nope", headers={"Accept": "application/json"})
    assert reply.status_code == 404 and reply.json() == {"detail": "Not Found"}
    reply = respondent.client.post("/a/1", data={"answer": "6"}, headers={
        "X-CSRF-Token": respondent.csrf, "Accept": "application/json"})
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "answer"]
