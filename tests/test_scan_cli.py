"""`smartstart scan password` and `scan serve`'s checks; the facilitator's pages in English."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session
from test_scan_support import TestClient, make_app
from typer.testing import CliRunner

from smartstart.cli import app
from smartstart.web import DB_FILE, database_url
from smartstart.web._db import make_engine
from smartstart.web._models import Setting


def test_scan_password_stores_a_scrypt_hash_in_the_data_folder(tmp_path):
    result = CliRunner().invoke(app, ["scan", "password", "--data", str(tmp_path)],
                                input="een lang wachtwoord\neen lang wachtwoord\n")
    assert result.exit_code == 0, result.output
    assert (tmp_path / DB_FILE).exists()
    engine = make_engine(database_url(tmp_path))
    with Session(engine) as db:
        stored = db.get(Setting, "password").value
    engine.dispose()
    assert stored.startswith("scrypt$131072$8$1$") and "wachtwoord" not in stored
    short = CliRunner().invoke(app, ["scan", "password", "--data", str(tmp_path)],
                               input="kort\nkort\n")
    assert short.exit_code == 1


def test_scan_serve_refuses_an_unknown_language(tmp_path):
    result = CliRunner().invoke(app, ["scan", "serve", "--data", str(tmp_path), "--lang", "de"])
    assert result.exit_code == 1 and "nl or en" in result.output


def test_the_facilitator_pages_in_english(tmp_path):
    client = TestClient(make_app(tmp_path, lang="en"))
    page = client.get("/f/login").text
    assert 'lang="en"' in page and "Facilitator login" in page
    assert "Inloggen" in TestClient(make_app(tmp_path)).get("/f/login").text


def test_scan_serve_deletes_old_closed_sessions_and_says_how_many(tmp_path, monkeypatch):
    import uvicorn
    from sqlalchemy import update

    from smartstart.web._models import Workshop, now

    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)  # start, do not serve
    app_ = make_app(tmp_path, database_url(tmp_path))
    store = app_.state.scan.store
    for title in ("oud", "nieuw"):
        store.close_workshop(store.create_workshop(title, ["Een"], "nl").id)
    with Session(store.engine) as db, db.begin():
        db.execute(update(Workshop).where(Workshop.title == "oud")
                   .values(closed_at=now() - timedelta(days=31)))
    store.engine.dispose()
    result = CliRunner().invoke(app, ["scan", "serve", "--data", str(tmp_path),
                                      "--keep-days", "30"])
    assert result.exit_code == 0, result.output
    assert "1 sessie(s) die meer dan 30 dagen gesloten waren" in result.output
    result = CliRunner().invoke(app, ["scan", "serve", "--data", str(tmp_path),
                                      "--keep-days", "0"])
    assert result.exit_code == 0 and "blijven bewaard" in result.output
    engine = make_engine(database_url(tmp_path))
    with Session(engine) as db:
        assert [w.title for w in db.query(Workshop)] == ["nieuw"]
    engine.dispose()
    assert CliRunner().invoke(app, ["scan", "serve", "--keep-days", "-1"]).exit_code == 2
    help_text = CliRunner().invoke(app, ["scan", "serve", "--help"]).output
    words = " ".join(help_text.replace("│", " ").split())
    assert "--keep-days" in words and "0 keeps them for ever" in words
