"""``smartstart scan serve``: the app under uvicorn, with the one-time login code printed."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn

from smartstart._usage import UsageError
from smartstart.web._app import ScanConfig, create_app


def serve(config: ScanConfig, host: str = "127.0.0.1", port: int = 8000,
          say: Callable[[str], None] = print) -> None:
    """Run until stopped (Ctrl+C). Prints where to go and the one-time login code."""
    app = create_app(config)
    if config.keep_days > 0:
        say(f"Opgeruimd / deleted: {app.state.scan.deleted_at_start} sessie(s) die meer dan "
            f"{config.keep_days} dagen gesloten waren / session(s) closed more than "
            f"{config.keep_days} days ago")
    else:
        say("Gesloten sessies blijven bewaard / closed sessions are kept (--keep-days 0)")
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    say(f"Quickscan: http://{shown}:{port}/  (begeleider / facilitator: /f/)")
    for entry in app.state.scan.extra.get("bundles", ()):
        say(f"Bundel / bundle: {entry.name} ({entry.made}): http://{shown}:{port}/f/b/{entry.key}/")
    if config.bundles:
        say(f"Resultaten verkennen / dashboard: http://{shown}:{port}/f/b/ (na inloggen / after "
            "login)")
    say(f"Eenmalige inlogcode / one-time login code: {app.state.scan.admin_token}")
    if host in ("127.0.0.1", "::1") and not config.public_url:
        say("Alleen deze computer kan meedoen. Voor telefoons in het netwerk: --host 0.0.0.0 "
            f"--public-url http://<adres-van-deze-computer>:{port}")
    uvicorn.Server(uvicorn_config(app, host, port)).run()


#: seconds uvicorn keeps an idle connection open: longer than browsers' and httpx's own idle
#: limits, so a phone's next tap never races the server closing its connection (uvicorn's
#: default of 5 s equals httpx's, and under load that race dropped requests)
KEEP_ALIVE = 75


def uvicorn_config(app, host: str, port: int) -> uvicorn.Config:
    # a live view's event stream would hold Ctrl+C up: open streams get 3 s to end
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                          timeout_keep_alive=KEEP_ALIVE, timeout_graceful_shutdown=3)


def set_password(url: str, password: str) -> None:
    """Store the facilitator's password (scrypt hash) in the database at ``url``."""
    from smartstart.web._db import make_engine, migrate
    from smartstart.web._security import hash_password
    from smartstart.web._store import Store

    if len(password) < 10:
        raise UsageError("a password of 10 characters or more")
    store = Store(make_engine(url))
    migrate(store.engine)
    store.set_setting("password", hash_password(password))
    store.engine.dispose()
