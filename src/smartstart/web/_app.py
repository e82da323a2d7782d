"""The FastAPI app: configuration, shared state, cookies, CSRF, security headers, templates."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser

from smartstart._yaml import safe_load
from smartstart.maturity import Bank, load_bank
from smartstart.web._db import make_engine, migrate
from smartstart.web._models import now
from smartstart.web._security import (
    GLOBAL_JOIN_FAILURES,
    GLOBAL_JOIN_WINDOW,
    FailureLimit,
    csrf_token,
    csrf_valid,
    new_token,
    sha256,
)
from smartstart.web._store import Store

HERE = Path(__file__).resolve().parent
CLIENT_COOKIE, RESPONDENT_COOKIE, LOGIN_COOKIE = "scan_c", "scan_r", "scan_f"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
#: the dashboard's pages show the report's map, whose legend and layout use style attributes
#: (never scripts): styles inline are allowed there, nothing else is loosened
DASH_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@dataclass(frozen=True)
class ScanConfig:
    """How the app runs: the database URL, the facilitator's language, the address phones use."""

    url: str
    lang: str = "nl"
    public_url: str | None = None
    #: seconds an event stream stays open before the browser reconnects (it does so itself)
    stream_seconds: float = 300.0
    failures_allowed: int = 30
    failure_window: float = 600.0
    #: wrong join codes from all addresses together (``_security.GLOBAL_JOIN_FAILURES``)
    global_join_failures: int = GLOBAL_JOIN_FAILURES
    global_join_window: float = GLOBAL_JOIN_WINDOW
    #: sessions closed more than this many days ago are deleted at start (0: kept for ever):
    #: the answers are anonymous, but a workshop's data need not live for ever
    keep_days: int = 90
    #: the bundles the dashboard (``smartstart serve``) shows; none: the quick scan only
    bundles: tuple[Path, ...] = ()


@dataclass
class ScanState:
    config: ScanConfig
    store: Store
    bank: Bank
    csrf_key: str
    join_limit: FailureLimit
    login_limit: FailureLimit
    #: all addresses' wrong join codes together, under the key ``_security.EVERYONE``
    join_limit_all: FailureLimit
    admin_token: str | None = None
    #: how many old closed sessions were deleted at start (``ScanConfig.keep_days``)
    deleted_at_start: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class NotLoggedIn(Exception):
    """A facilitator page without a valid login: the browser goes to the login page."""


@cache
def texts() -> dict[str, dict[str, str]]:
    return safe_load(resources.files("smartstart.web").joinpath("text.yaml")
                     .read_text("utf-8"))


def translate(lang: str, key: str, **values: Any) -> str:
    text = texts()[key][lang]
    return text.format(**values) if values else text


def create_app(config: ScanConfig, *, admin_token: bool = True) -> FastAPI:
    """The app on ``config.url``, migrated to the newest schema; with ``admin_token`` a new
    one-time login token is made (``app.state.scan.admin_token``: print it for the facilitator)."""
    store = Store(make_engine(config.url))
    migrate(store.engine)
    key = store.setting("csrf_key")
    if key is None:
        key = new_token()
        store.set_setting("csrf_key", key)
    state = ScanState(config, store, load_bank(), key,
                      FailureLimit(config.failures_allowed, config.failure_window),
                      FailureLimit(config.failures_allowed, config.failure_window),
                      FailureLimit(config.global_join_failures, config.global_join_window))
    if config.keep_days > 0:
        state.deleted_at_start = store.delete_closed_before(
            now() - timedelta(days=config.keep_days))
    if admin_token:
        state.admin_token = new_token()
        store.set_setting("admin_token", sha256(state.admin_token))
    app = FastAPI(title="smartstart quick scan", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.scan = state
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(NotLoggedIn, _to_login)
    from smartstart.web import _errors, _facilitator, _respondent

    app.add_exception_handler(StarletteHTTPException, _errors.http_error)
    app.add_exception_handler(RequestValidationError, _errors.validation_error)

    if config.bundles:  # the dashboard: opened and verified once, before the first page
        from smartstart.web import _bundles, _dashboard

        # checked as `smartstart check` does and served from a copy of this process's own
        snapshot = Path(tempfile.mkdtemp(prefix="smartstart-dashboard-"))
        atexit.register(shutil.rmtree, snapshot, ignore_errors=True)
        state.extra["bundles"] = _bundles.open_bundles(config.bundles, snapshot)
        app.include_router(_dashboard.router)
    app.include_router(_respondent.router)
    app.include_router(_facilitator.router)
    return app


class SecurityHeaders:
    """Plain ASGI middleware (cheaper than BaseHTTPMiddleware on the answer path): gives each
    browser a random client cookie (the CSRF tokens are bound to it) and sets the security
    headers on every response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = cookie_parser(Headers(scope=scope).get("cookie", "")).get(CLIENT_COOKIE)
        fresh = not client or len(client) > 64
        client_id = new_token() if fresh else client
        scope.setdefault("state", {})["client_id"] = client_id
        static = scope["path"].startswith("/static")
        secure = "; Secure" if scope.get("scheme") == "https" else ""

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if fresh:
                    headers.append("set-cookie", f"{CLIENT_COOKIE}={client_id}; HttpOnly; "
                                   f"Path=/; SameSite=lax{secure}")
                headers["Content-Security-Policy"] = (
                    DASH_CSP if scope["path"].startswith("/f/b/") else CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def csrf_protect(request: Request) -> None:
    """A dependency of every router: a POST needs the token of this browser's client cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get("x-csrf-token")
    if token is None:
        token = (await request.form()).get("csrf")
    state: ScanState = request.app.state.scan
    if not csrf_valid(state.csrf_key, request.cookies.get(CLIENT_COOKIE),
                      token if isinstance(token, str) else None):
        raise HTTPException(status_code=403, detail="forbidden")


async def _to_login(request: Request, _exc: Exception):
    return RedirectResponse("/f/login", status_code=303)


@cache
def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    # Starlette escapes only files named .html/.htm/.xml; ours are .html.j2, so without this
    # nothing was escaped (a workshop's title or an organisation's name went out as HTML)
    templates.env.autoescape = True
    templates.env.globals.update(fmt_level=fmt_level, zip=zip)
    return templates


def fmt_level(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "nl" else text


def render(request: Request, name: str, context: dict[str, Any], lang: str,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    state: ScanState = request.app.state.scan
    return _templates().TemplateResponse(request, name, {
        "lang": lang, "t": lambda key, **values: translate(lang, key, **values),
        "csrf": csrf_token(state.csrf_key, request.state.client_id), "bank": state.bank,
        **context}, status_code=status_code, headers=headers)
