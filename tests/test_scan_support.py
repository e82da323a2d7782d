"""Helpers of the quick scan's tests: an app on a fresh database, a logged-in facilitator,
respondents who join and answer. (No tests here.)"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette 1.x would rather have httpx2; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from smartstart.web import ScanConfig, create_app, database_url

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: PostgreSQL for the tests that run on both databases: a URL, else they skip locally
POSTGRES_URL = os.environ.get("SMARTSTART_TEST_POSTGRES")


#: the tests' SQLite files in memory-backed /dev/shm where there is one: the same SQLite (WAL,
#: synchronous=FULL), without the disk's fsync in every commit (the benchmark uses the disk)
SHM = Path("/dev/shm")


def databases():
    """The databases a test runs on: SQLite, and PostgreSQL when SMARTSTART_TEST_POSTGRES is set
    (skipped with the reason otherwise; CI sets it)."""
    return [pytest.param("sqlite", id="sqlite"), pytest.param(
        "postgresql", id="postgresql", marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="no PostgreSQL: set SMARTSTART_TEST_POSTGRES to a server's "
            "URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres (CI's .ci/run starts "
            "Debian's postgresql and sets it)"))]


@contextmanager
def database(kind: str, folder: Path):
    """A URL of a new, empty database of ``kind``; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield database_url(folder)
        return
    from sqlalchemy import create_engine, text

    name = f"scan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(url=POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(folder: Path, url: str | None = None, **config):
    if url is None and SHM.is_dir() and os.access(SHM, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="scan-test-", dir=SHM))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return create_app(ScanConfig(url=url or database_url(folder), **config))


def csrf_of(client: TestClient, path: str = "/") -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return CSRF.search(page.text).group(1)


def facilitator(app) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client, "/f/login")
    reply = client.post("/f/login", data={"csrf": token, "secret": app.state.scan.admin_token})
    assert reply.status_code == 200 and reply.url.path == "/f/"
    return client


def start_workshop(client: TestClient, organisations: list[str], lang: str = "nl",
                   title: str = "Werkplaats") -> tuple[int, str]:
    """(workshop id, join code as shown) of a new workshop."""
    reply = client.post("/f/workshops", data={"csrf": csrf_of(client, "/f/"), "title": title,
                                              "organisations": "\n".join(organisations),
                                              "lang": lang})
    assert reply.status_code == 200, reply.text
    workshop = int(reply.url.path.rsplit("/", 1)[1])
    code = re.search(r'class="big-code"[^>]*>([A-Z0-9-]+)<', reply.text).group(1)
    return workshop, code


@dataclass
class Respondent:
    client: TestClient
    csrf: str

    def answer(self, n: int, choice: str) -> None:
        reply = self.client.post(f"/a/{n}", data={"answer": choice},
                                 headers={"X-CSRF-Token": self.csrf})
        assert reply.status_code == 200 and "✓" in reply.text, reply.text


def join(app, code: str, organisation: str | None = None) -> Respondent:
    client = TestClient(app)
    token = csrf_of(client, "/")
    reply = client.post("/join", data={"csrf": token, "code": code})
    assert reply.status_code == 200, reply.text
    if reply.url.path == "/org":
        options = dict((name, oid) for oid, name in re.findall(
            r'name="organisation" value="(\d+)"[^>]*>\s*<span>([^<]+)</span>', reply.text))
        reply = client.post("/org", data={"csrf": token, "organisation": options[organisation]})
    assert reply.url.path == "/q/1"
    return Respondent(client, token)
