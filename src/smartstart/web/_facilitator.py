"""The facilitator's pages: login, sessions, the live view (server-sent events), close and
delete, the report per organisation (A4, CSV) and the organisations side by side."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from smartstart.web._app import (
    LOGIN_COOKIE,
    NotLoggedIn,
    ScanState,
    csrf_protect,
    render,
    translate,
)
from smartstart.web._results import OrganisationResult, results, to_csv
from smartstart.web._security import LOGIN_HOURS, new_token, sha256, verify_password
from smartstart.web._store import WorkshopView

router = APIRouter(prefix="/f", dependencies=[Depends(csrf_protect)])
WorkshopId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_ORGANISATIONS = 12


def _state(request: Request) -> ScanState:
    return request.app.state.scan


def _lang(request: Request) -> str:
    return _state(request).config.lang


def require_login(request: Request) -> None:
    token = request.cookies.get(LOGIN_COOKIE)
    if not token or len(token) > 64 or not _state(request).store.login_valid(sha256(token)):
        raise NotLoggedIn()


Facilitator = Depends(require_login)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return render(request, "login.html.j2", {"error": None}, _lang(request))


@router.post("/login")
def login(request: Request, secret: Annotated[str, Form(min_length=1, max_length=200)]
          ) -> Response:
    state = _state(request)
    client = request.client.host if request.client else "unknown"
    if state.login_limit.blocked(client):
        raise HTTPException(status_code=429)
    ok = state.store.take_setting("admin_token", sha256(secret)) or verify_password(
        secret, state.store.setting("password"))
    if not ok:
        state.login_limit.fail(client)
        return render(request, "login.html.j2", {"error": translate(_lang(request),
                      "login_wrong")}, _lang(request), status_code=401)
    token = new_token()
    state.store.add_login(sha256(token), LOGIN_HOURS)
    response = RedirectResponse("/f/", status_code=303)
    response.set_cookie(LOGIN_COOKIE, token, max_age=LOGIN_HOURS * 3600, httponly=True,
                        samesite="strict", path="/f", secure=request.url.scheme == "https")
    return response


@router.post("/logout", dependencies=[Facilitator])
def logout(request: Request) -> Response:
    _state(request).store.end_login(sha256(request.cookies.get(LOGIN_COOKIE, "")))
    response = RedirectResponse("/f/login", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/f")
    return response


@router.get("/", response_class=HTMLResponse, dependencies=[Facilitator])
def home(request: Request, deleted: Annotated[bool, Query()] = False) -> Response:
    return render(request, "home.html.j2", {"workshops": _state(request).store.workshops(),
                                            "error": None, "deleted": deleted,
                                            "dashboard": len(_state(request).extra.get(
                                                "bundles", ()))}, _lang(request))



class Refused(ValueError):
    """A form the facilitator filled in that cannot be used; the message is the text key."""


def _organisations(text: str) -> list[str]:
    """The names, one per line; a ``Refused``'s message is the text key of what is wrong."""
    names = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if not 1 <= len(names) <= MAX_ORGANISATIONS:
        raise Refused("orgs_count")
    if any(len(name) > 80 for name in names):
        raise Refused("org_too_long")
    if len({name.casefold() for name in names}) != len(names):
        raise Refused("org_twice")
    return names


@router.post("/workshops", dependencies=[Facilitator])
def start(request: Request, title: Annotated[str, Form(min_length=1, max_length=120)],
          organisations: Annotated[str, Form(max_length=2000)],
          lang: Annotated[str, Form(pattern=r"^(nl|en)$")]) -> Response:
    state = _state(request)
    try:
        names = _organisations(organisations)
        if not title.strip():
            raise Refused("title_empty")
    except Refused as error:
        lang = _lang(request)
        why = translate(lang, str(error), max=MAX_ORGANISATIONS)
        return render(request, "home.html.j2", {
            "workshops": state.store.workshops(),
            "error": translate(lang, "invalid", why=why)}, lang, status_code=422)
    workshop = state.store.create_workshop(" ".join(title.split()), names, lang)
    return RedirectResponse(f"/f/w/{workshop.id}", status_code=303)


def _workshop(request: Request, workshop_id: int) -> WorkshopView:
    workshop = _state(request).store.workshop(workshop_id)
    if workshop is None:
        raise HTTPException(status_code=404)
    return workshop


def join_url(request: Request, workshop: WorkshopView) -> tuple[str, str]:
    """(the address to type, the QR's link with the code filled in)."""
    base = (_state(request).config.public_url or str(request.base_url)).rstrip("/")
    return base + "/", f"{base}/?code={workshop.display_code}"


def _live_context(request: Request, workshop: WorkshopView) -> dict:
    state = _state(request)
    return {"workshop": workshop, "results": results(state.store, state.bank, workshop),
            "joined": state.store.change_stamp(workshop.id)[2]}


@router.get("/w/{workshop_id}", response_class=HTMLResponse, dependencies=[Facilitator])
def workshop_page(request: Request, workshop_id: WorkshopId) -> Response:
    workshop = _workshop(request, workshop_id)
    address, link = join_url(request, workshop)
    qr = segno.make(link, error="m").svg_inline(scale=5, border=2, omitsize=False)
    return render(request, "workshop.html.j2", {**_live_context(request, workshop),
                  "address": address, "link": link, "qr": qr}, _lang(request))


@router.get("/w/{workshop_id}/live", response_class=HTMLResponse, dependencies=[Facilitator])
def live_fragment(request: Request, workshop_id: WorkshopId) -> Response:
    workshop = _workshop(request, workshop_id)
    return render(request, "_live.html.j2", _live_context(request, workshop), _lang(request))


@router.get("/w/{workshop_id}/events", dependencies=[Facilitator])
async def events(request: Request, workshop_id: WorkshopId,
                 once: Annotated[bool, Query()] = False) -> Response:
    """Server-sent events: the live fragment again whenever an answer or participant arrives
    (looked for every second); ``once``: one event, then the stream ends."""
    workshop = await run_in_threadpool(_workshop, request, workshop_id)
    state = _state(request)
    return StreamingResponse(_stream(request, workshop, state, once),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _stream(request: Request, workshop: WorkshopView, state: ScanState, once: bool):
    last, until = None, time.monotonic() + state.config.stream_seconds
    while time.monotonic() < until:
        stamp = await run_in_threadpool(state.store.change_stamp, workshop.id)
        if stamp[-1] is None:  # the session was deleted
            return
        if stamp != last:
            last = stamp
            html = await run_in_threadpool(_render_live, request, workshop.id)
            yield "event: stats\n" + "".join(f"data: {line}\n" for line in html.splitlines())
            yield "\n"
            if once:
                return
        if await request.is_disconnected():
            return
        await asyncio.sleep(1.0)


def _render_live(request: Request, workshop_id: int) -> str:
    workshop = _workshop(request, workshop_id)
    return bytes(render(request, "_live.html.j2", _live_context(request, workshop),
                        _lang(request)).body).decode()


@router.post("/w/{workshop_id}/close", dependencies=[Facilitator])
def close(request: Request, workshop_id: WorkshopId) -> Response:
    _workshop(request, workshop_id)
    _state(request).store.close_workshop(workshop_id)
    return RedirectResponse(f"/f/w/{workshop_id}", status_code=303)


def _closed(request: Request, workshop_id: int) -> WorkshopView:
    workshop = _workshop(request, workshop_id)
    if workshop.is_open:
        raise HTTPException(status_code=409, detail=translate(_lang(request), "close_first"))
    return workshop


@router.get("/w/{workshop_id}/delete", response_class=HTMLResponse, dependencies=[Facilitator])
def delete_page(request: Request, workshop_id: WorkshopId) -> Response:
    """The confirmation step: what will be deleted, and a form that deletes it."""
    workshop = _closed(request, workshop_id)
    answers, _last, people, _open = _state(request).store.change_stamp(workshop.id)
    return render(request, "delete.html.j2", {"workshop": workshop, "answers": answers,
                                              "people": people}, _lang(request))


@router.post("/w/{workshop_id}/delete", dependencies=[Facilitator])
def delete(request: Request, workshop_id: WorkshopId,
           confirm: Annotated[str, Form(pattern=r"^yes$")]) -> Response:
    """Deletes a closed session with all its answers (the form of the confirmation page
    only: ``confirm``); its pages are then not found, for everyone."""
    _closed(request, workshop_id)
    if not _state(request).store.delete_workshop(workshop_id):
        raise HTTPException(status_code=404)
    return RedirectResponse("/f/?deleted=1", status_code=303)


def _organisation(request: Request, workshop: WorkshopView,
                  organisation: int) -> OrganisationResult:
    state = _state(request)
    for result in results(state.store, state.bank, workshop):
        if result.id == organisation:
            return result
    raise HTTPException(status_code=404)


OrgId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/w/{workshop_id}/report/{organisation}", response_class=HTMLResponse,
            dependencies=[Facilitator])
def report(request: Request, workshop_id: WorkshopId, organisation: OrgId) -> Response:
    workshop = _workshop(request, workshop_id)
    result = _organisation(request, workshop, organisation)
    return render(request, "report.html.j2", {"workshop": workshop, "result": result},
                  workshop.lang)


@router.get("/w/{workshop_id}/report/{organisation}/csv", dependencies=[Facilitator])
def report_csv(request: Request, workshop_id: WorkshopId, organisation: OrgId) -> Response:
    workshop = _workshop(request, workshop_id)
    result = _organisation(request, workshop, organisation)
    name = f"quickscan-{workshop.id}-{organisation}.csv"
    return Response("\ufeff" + to_csv(_state(request).bank, result, workshop.lang),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/w/{workshop_id}/compare", response_class=HTMLResponse, dependencies=[Facilitator])
def compare(request: Request, workshop_id: WorkshopId) -> Response:
    workshop = _workshop(request, workshop_id)
    state = _state(request)
    return render(request, "compare.html.j2", {
        "workshop": workshop, "results": results(state.store, state.bank, workshop)},
        workshop.lang)
