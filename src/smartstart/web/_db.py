"""The database: SQLite (WAL) in a file in the user's data folder by default, PostgreSQL by URL;
migrated to the newest schema with Alembic at start, in this process."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

#: the SQLite file's name in the ``--data`` folder
DB_FILE = "smartstart-scan.sqlite"
MIGRATIONS = "smartstart.web:migrations"
BUSY_TIMEOUT = 30  # seconds a writer waits for SQLite's lock before it fails


def database_url(data: Path | None = None, url: str | None = None) -> str:
    """``url`` when given (e.g. postgresql+psycopg://user@host/db), else SQLite in ``data``."""
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    folder = Path(data if data is not None else Path.cwd()).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / DB_FILE).as_posix()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite in WAL mode, every commit synced to disk."""
    if not url.startswith("sqlite"):
        # no pre-ping: it costs a round trip per request; after a server restart the pool is
        # renewed on the first failed request (that tap shows "not saved" and is tapped again)
        return create_engine(url, pool_size=10, max_overflow=30)
    engine = create_engine(url, pool_size=10, max_overflow=30,
                           connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (the live view) never block the respondents' writes; synchronous=FULL: a
    # commit is on disk before the answer is acknowledged (kill -9 or power loss lose nothing);
    # secure_delete: a deleted session's answers are overwritten in the file, not left in free
    # pages until reused
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   "secure_delete=ON", f"busy_timeout={BUSY_TIMEOUT * 1000}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def migrate(engine: Engine, revision: str = "head", *, down: bool = False) -> None:
    """Bring the database to ``revision`` (Alembic, programmatically: no alembic.ini);
    ``down``: downgrade to it instead."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
