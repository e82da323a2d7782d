"""The quick scan under load, and killed with kill -9: figures for issue 16's note.

    .venv/bin/python benchmarks/scan_load.py [--respondents 200] [--items 20] [--think 1.5]
                                             [--db-url postgresql://...] [--kill-only]

1. Load: the server (uvicorn, one process, spawned: also on Windows) on 127.0.0.1 with a fresh
   database; a bounded asyncio client (bare HTTP/1.1 on asyncio streams, local addresses only, it
   stops by itself) lets
   RESPONDENTS respondents join by code at the same time and each answer ITEMS items, waiting
   about THINK seconds between taps (0: back to back, a saturation test). Then it reads the
   database: lost answers (acknowledged but absent or different), duplicated ones (more than
   one row per respondent and item), and the latency of the answer requests (p50, p95, max).
2. Kill -9: respondents answer without pause; after a few seconds the server process is killed
   (SIGKILL; TerminateProcess on Windows) and started again on the same database. Every answer
   the server acknowledged must be there with its value, and the respondents can go on.

Nothing here is a pass/fail test; the figures are printed, with the database and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import platform
import random
import re
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlparse

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LOCAL = {"127.0.0.1", "localhost", "::1"}


def _server(url: str, port: int, ready) -> None:
    """The server process: the app on ``url``, on 127.0.0.1:``port``, until killed."""
    import uvicorn

    from smartstart.web import ScanConfig, create_app
    from smartstart.web._serve import uvicorn_config

    app = create_app(ScanConfig(url=url), admin_token=False)
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port))  # as `scan serve` runs it
    ready.put(os.getpid())
    server.run()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int):
    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    process = ctx.Process(target=_server, args=(url, port, ready), daemon=True)
    process.start()
    ready.get(timeout=120)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def prepare(url: str) -> str:
    """A fresh workshop in the database at ``url`` (migrated); its join code."""
    from smartstart.web._db import make_engine, migrate
    from smartstart.web._store import Store

    store = Store(make_engine(url))
    migrate(store.engine)
    code = store.create_workshop("Belasting", ["Organisatie"], "nl").code
    store.engine.dispose()
    return code


class Http:
    """A bare HTTP/1.1 client over one keep-alive connection (asyncio streams): a fraction of
    httpx's CPU per request, so on a small machine the figures are the server's, not the
    client's. Enough for this app: Content-Length bodies, cookies by name."""

    def __init__(self, base: str) -> None:
        url = urlparse(base)
        assert url.hostname in LOCAL, "the load test only talks to this machine"
        self.host, self.port = url.hostname, url.port
        self.cookies: dict[str, str] = {}
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, form: dict | None = None,
                      headers: dict | None = None) -> tuple[int, str]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        body = urlencode(form or {}).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(body)}",
                 "Content-Type: application/x-www-form-urlencoded"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := (await reader.readline()).decode("latin-1").strip()):
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "set-cookie":
                key, _, rest = value.strip().partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return status, (await reader.readexactly(length)).decode()

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class Respondent:
    def __init__(self, base: str, code: str, rng: random.Random) -> None:
        self.client = Http(base)
        self.code, self.rng = code, rng
        self.acked: dict[int, int] = {}
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.token = ""
        self.id = ""

    async def join(self) -> None:
        _status, page = await self.client.request("GET", "/")
        self.token = CSRF.search(page).group(1)
        status, _ = await self.client.request("POST", "/join",
                                              {"csrf": self.token, "code": self.code})
        if status != 303:
            raise RuntimeError(f"join: {status}")
        self.id = self.client.cookies["scan_r"]

    async def answer(self, n: int, level: int) -> bool:
        started = time.perf_counter()
        try:
            status, text = await self.client.request(
                "POST", f"/a/{n}", {"answer": str(level)}, {"X-CSRF-Token": self.token})
        except Exception as error:  # noqa: BLE001 - refused or dropped: not acknowledged
            self.errors.append(type(error).__name__)
            await self.client.close()
            return False
        self.latencies.append(time.perf_counter() - started)
        if status == 200 and "✓" in text:
            self.acked[n] = level
            return True
        self.errors.append(f"HTTP {status}")
        return False


async def _load(base: str, code: str, respondents: int, items: int, think: float, seed: int):
    rng = random.Random(seed)
    people = [Respondent(base, code, random.Random(rng.random())) for _ in range(respondents)]
    await asyncio.gather(*(p.join() for p in people))

    async def one(person: Respondent) -> None:
        await asyncio.sleep(person.rng.uniform(0, think))  # not all at the same moment
        for n in range(1, items + 1):
            await person.answer(n, person.rng.randint(1, 5))
            if think:
                await asyncio.sleep(person.rng.uniform(0.5 * think, 1.5 * think))

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in people))
    elapsed = time.perf_counter() - started
    for person in people:
        await person.client.close()
    return people, elapsed


def stored(url: str) -> dict[tuple[str, int], list[int | None]]:
    """(respondent, item number) -> every stored level (more than one would be a duplicate)."""
    from sqlalchemy import select

    from smartstart.maturity import load_bank
    from smartstart.web._db import make_engine
    from smartstart.web._models import Answer

    number = {item.id: n for n, item in enumerate(load_bank().items, 1)}
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(Answer.respondent_id, Answer.item_id,
                                         Answer.level)).all()
    engine.dispose()
    out: dict[tuple[str, int], list[int | None]] = {}
    for respondent, item, level in rows:
        out.setdefault((respondent, number[item]), []).append(level)
    return out


def check(people, rows) -> tuple[int, int, int]:
    """(acknowledged, lost, duplicated)."""
    acked = lost = 0
    for person in people:
        for n, level in person.acked.items():
            acked += 1
            lost += rows.get((person.id, n), [None])[-1] != level
    duplicated = sum(len(levels) - 1 for levels in rows.values())
    return acked, lost, duplicated


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load_test(url: str, respondents: int, items: int, think: float) -> None:
    code, port = prepare(url), _free_port()
    server = start_server(url, port)
    try:
        people, elapsed = asyncio.run(_load(f"http://127.0.0.1:{port}", code, respondents,
                                            items, think, seed=1))
    finally:
        server.kill()
        server.join()
    acked, lost, duplicated = check(people, stored(url))
    latencies = [x for p in people for x in p.latencies]
    errors = Counter(e for p in people for e in p.errors)
    print(f"load ({_kind(url)}, think {think:g} s): {respondents} respondents x {items} items "
          f"in {elapsed:.1f} s ({len(latencies) / elapsed:.0f} answers/s); acknowledged "
          f"{acked}/{respondents * items}, not acknowledged {dict(errors) or 0}, lost {lost}, "
          f"duplicated {duplicated}; answer latency p50 {_ms(latencies, .5):.0f} ms, p95 "
          f"{_ms(latencies, .95):.0f} ms, max {max(latencies) * 1000:.0f} ms", flush=True)


async def _until_killed(base: str, code: str, respondents: int, server, after: float):
    people = [Respondent(base, code, random.Random(i)) for i in range(respondents)]
    await asyncio.gather(*(p.join() for p in people))
    items = 20

    async def one(person: Respondent) -> None:
        for n in range(1, items + 1):
            if not await person.answer(n, person.rng.randint(1, 5)):
                return  # the server is gone

    async def killer() -> None:
        await asyncio.sleep(after)
        server.kill()  # SIGKILL on POSIX, TerminateProcess on Windows

    await asyncio.gather(killer(), *(one(p) for p in people))
    return people


async def _go_on(people) -> int:
    """After the restart: each respondent answers its next item with its own cookies."""
    ok = 0
    for person in people:
        await person.client.close()  # the killed server's connection is gone; cookies stay
        n = max(person.acked, default=0) % 20 + 1
        ok += await person.answer(n, 3)
        await person.client.close()
    return ok


def kill_test(url: str, respondents: int, after: float) -> None:
    code, port = prepare(url), _free_port()
    server = start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    people = asyncio.run(_until_killed(base, code, respondents, server, after))
    server.join()
    rows = stored(url)  # read before the restart: exactly what the killed server left
    acked, lost, duplicated = check(people, rows)
    again = start_server(url, port)
    try:
        went_on = asyncio.run(_go_on(people))
    finally:
        again.kill()
        again.join()
    print(f"kill -9 ({_kind(url)}): killed after {after:g} s with {acked} answers acknowledged "
          f"({sum(len(v) for v in rows.values())} rows stored); lost {lost}, duplicated "
          f"{duplicated}; after the restart {went_on}/{len(people)} respondents answered on "
          f"with their cookie", flush=True)


def _kind(url: str) -> str:
    return "SQLite WAL" if url.startswith("sqlite") else "PostgreSQL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.5,
                        help="mean seconds between a respondent's taps (0: back to back)")
    parser.add_argument("--db-url", help="a PostgreSQL URL (a fresh database is made in it)")
    parser.add_argument("--workdir", type=Path, help="folder of the SQLite files (default: tmp)")
    parser.add_argument("--kill-after", type=float, default=3.0)
    parser.add_argument("--kill-only", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {platform.python_version()}, "
          f"{platform.system()}")
    for name in ("load", "kill"):
        if name == "load" and args.kill_only:
            continue
        url = _fresh(args, name)
        if name == "load":
            load_test(url, args.respondents, args.items, args.think)
        else:
            kill_test(url, min(args.respondents, 100), args.kill_after)


def _fresh(args, name: str) -> str:
    from smartstart.web import database_url

    if not args.db_url:
        if args.workdir:  # a folder the user names need not exist yet
            Path(args.workdir).mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"scan-{name}-", dir=args.workdir))
        return database_url(folder)
    from sqlalchemy import create_engine, text

    database = f"scan_bench_{name}_{int(time.time())}"
    admin = create_engine(database_url(url=args.db_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return database_url(url=args.db_url.rsplit("/", 1)[0] + "/" + database)


if __name__ == "__main__":
    main()
