"""The respondent's pages: join by code, choose the organisation, one item per screen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartstart.web._app import (
    RESPONDENT_COOKIE,
    ScanState,
    csrf_protect,
    render,
    translate,
)
from smartstart.web._security import EVERYONE
from smartstart.web._store import RespondentView, normalise_code

router = APIRouter(dependencies=[Depends(csrf_protect)])
Code = Annotated[str, Form(max_length=32)]
Choice = Annotated[str | None, Form(pattern=r"^([1-5]|dk)$")]
Number = Annotated[int, Path(ge=1, le=99)]
COOKIE_DAYS = 7


def _state(request: Request) -> ScanState:
    return request.app.state.scan


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _me(request: Request, organisations: bool = False) -> RespondentView | None:
    token = request.cookies.get(RESPONDENT_COOKIE)
    if not token or len(token) > 43:
        return None
    return _state(request).store.respondent(token, organisations)


@router.get("/", response_class=HTMLResponse)
def join_page(request: Request, code: str = "") -> Response:
    me = _me(request)
    lang = me.workshop.lang if me else _state(request).config.lang
    return render(request, "join.html.j2", {"code": code[:12], "me": me, "error": None}, lang)


@router.post("/join")
def join(request: Request, code: Code) -> Response:
    state, client = _state(request), _client(request)
    lang = state.config.lang
    # this address's wrong codes, then everyone's: while either is over its limit no code is
    # looked up (not even the right one: else a guesser would learn from the answers)
    for limit, key, text in ((state.join_limit, client, "join_blocked"),
                             (state.join_limit_all, EVERYONE, "join_busy")):
        if limit.blocked(key):
            return render(request, "join.html.j2", {"code": code, "me": None,
                          "error": translate(lang, text)}, lang, status_code=429)
    normal = normalise_code(code)
    workshop = state.store.open_workshop_by_code(normal) if normal else None
    if workshop is None:
        state.join_limit.fail(client)
        state.join_limit_all.fail(EVERYONE)
        return render(request, "join.html.j2", {"code": code, "me": None,
                      "error": translate(lang, "join_wrong")}, lang, status_code=400)
    organisations = workshop.organisations
    respondent = state.store.join(workshop, organisations[0][0]
                                  if len(organisations) == 1 else None)
    response = RedirectResponse("/q/1" if len(organisations) == 1 else "/org", status_code=303)
    response.set_cookie(RESPONDENT_COOKIE, respondent, max_age=COOKIE_DAYS * 86400,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


def _require_me(request: Request, organisations: bool = False) -> RespondentView:
    """The respondent of this browser; without one the browser goes to the join page, and
    with a cookie nobody has (the session was deleted, or it is forged) the page is not
    found. (The join page still works with that cookie; joining again replaces it.)"""
    me = _me(request, organisations)
    if me is None and request.cookies.get(RESPONDENT_COOKIE):
        raise HTTPException(status_code=404)
    if me is None:
        raise HTTPException(status_code=303, headers={"Location": "/"})
    return me


@router.get("/org", response_class=HTMLResponse)
def organisation_page(request: Request) -> Response:
    me = _require_me(request, organisations=True)
    return render(request, "org.html.j2", {"me": me}, me.workshop.lang)


@router.post("/org")
def choose_organisation(request: Request, organisation: Annotated[int, Form()]) -> Response:
    me = _require_me(request, organisations=True)
    if organisation not in {oid for oid, _ in me.workshop.organisations}:
        raise HTTPException(status_code=400, detail="unknown organisation")
    _state(request).store.set_organisation(me.id, organisation)
    return RedirectResponse("/q/1", status_code=303)


@router.get("/q/{n}", response_class=HTMLResponse)
def question(request: Request, n: Number) -> Response:
    me, items = _require_me(request), _state(request).bank.items
    if n > len(items):
        raise HTTPException(status_code=404)
    if me.organisation_id is None:
        return RedirectResponse("/org", status_code=303)
    item = items[n - 1]
    answers = _state(request).store.answers_of(me.id)
    chosen = ("dk" if answers[item.id] is None else str(answers[item.id])) \
        if item.id in answers else None
    return render(request, "question.html.j2", {
        "me": me, "n": n, "total": len(items), "item": item, "chosen": chosen,
        "theme": _state(request).bank.theme_of(item.id)}, me.workshop.lang)


def _save(request: Request, n: int, answer: str | None) -> RespondentView:
    me, items = _require_me(request), _state(request).bank.items
    if n > len(items):
        raise HTTPException(status_code=404)
    if not me.workshop.is_open:
        raise HTTPException(status_code=409, detail=translate(me.workshop.lang, "closed"))
    if me.organisation_id is None:
        raise HTTPException(status_code=409, detail=translate(me.workshop.lang, "org_title"))
    if answer is not None:
        level = None if answer == "dk" else int(answer)
        _state(request).store.save_answer(me, items[n - 1].id, level)
    return me


@router.post("/a/{n}", response_class=HTMLResponse)
def save(request: Request, n: Number, answer: Choice = None) -> Response:
    """Saves the answer as soon as it is tapped (HTMX); the reply says it is saved."""
    if answer is None:
        raise HTTPException(status_code=422, detail="no answer")
    me = _save(request, n, answer)
    return HTMLResponse(f'<span class="ok">✓ {translate(me.workshop.lang, "saved")}</span>')


@router.post("/q/{n}")
def save_and_go(request: Request, n: Number, answer: Choice = None,
                go: Annotated[str, Form(pattern=r"^(next|previous)$")] = "next") -> Response:
    """The form without JavaScript: save (if chosen) and go to the next or previous item."""
    _save(request, n, answer)
    total = len(_state(request).bank.items)
    target = n - 1 if go == "previous" else n + 1
    return RedirectResponse("/done" if target > total else f"/q/{max(target, 1)}",
                            status_code=303)


@router.get("/done", response_class=HTMLResponse)
def done(request: Request) -> Response:
    me = _require_me(request)
    answered = len(_state(request).store.answers_of(me.id))
    return render(request, "done.html.j2", {"me": me, "answered": answered,
                                            "total": len(_state(request).bank.items)},
                  me.workshop.lang)
