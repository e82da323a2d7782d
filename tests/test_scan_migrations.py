"""The quick scan's database: Alembic migrations bring an empty database to the models' schema
(nothing missing, nothing extra), down and up again; a restart keeps the data; SQLite is in WAL
mode in the --data folder."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from test_scan_support import database, databases, facilitator, join, make_app, start_workshop

from smartstart.web._db import DB_FILE, current_revision, database_url, make_engine, migrate
from smartstart.web._models import Base


def _head() -> str:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "smartstart.web:migrations")
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.mark.parametrize("kind", databases())
def test_migrations_build_the_models_schema_from_empty(tmp_path, kind):
    with database(kind, tmp_path) as url:
        _up_from_empty(make_engine(database_url(url=url)))


def _up_from_empty(engine):
    assert current_revision(engine) is None and inspect(engine).get_table_names() == []
    migrate(engine)
    assert current_revision(engine) == _head()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    migrate(engine, "base", down=True)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(engine)
    assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}
    engine.dispose()


def test_the_data_lives_in_the_data_folder_in_wal_mode(tmp_path):
    url = database_url(tmp_path / "workshops")
    assert url.endswith(f"/workshops/{DB_FILE}")
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()
    assert (tmp_path / "workshops" / DB_FILE).exists()


def test_a_restart_keeps_workshops_and_answers(tmp_path):
    url = database_url(tmp_path)
    first = make_app(tmp_path, url)
    _workshop, code = start_workshop(facilitator(first), ["Een"])
    join(first, code).answer(2, "3")
    first.state.scan.store.engine.dispose()
    again = make_app(tmp_path, url)  # migrations run again: nothing to do, nothing lost
    boss = facilitator(again)
    assert code in boss.get("/f/").text
    assert 'data-level="3.0"' in boss.get("/f/w/1/live").text
    again.state.scan.store.engine.dispose()
