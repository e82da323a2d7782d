"""Errors as short pages in the session's language (B1: what went wrong, what to do, a link
back), not FastAPI's JSON: a phone's browser would show raw JSON to a workshop participant.
A client that asks for JSON only (``Accept: application/json``) still gets JSON."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from smartstart.web._app import RESPONDENT_COOKIE, ScanState, render, translate

#: the text keys of an error page per status: (title, what went wrong, what to do)
PAGES = {
    400: ("error_400", "error_400_what", "error_again"),
    403: ("error_403", "forbidden", "error_reload"),
    404: ("error_404", "not_found", "error_404_do"),
    405: ("error_404", "not_found", "error_404_do"),
    409: ("error_409", None, "error_again"),
    422: ("error_422", "error_422_what", "error_again"),
    429: ("error_429", "too_many_tries", "error_wait"),  # the login (joining has its own page)
}
#: the form and path fields a person can get wrong, by the text key of their label
FIELDS = {"title": "title_label", "organisations": "orgs_label", "lang": "lang_label",
          "code": "join_code", "answer": "field_answer", "go": "field_go",
          "secret": "login_secret", "organisation": "organisation", "n": "field_question",
          "workshop_id": "field_address"}


def page_lang(request: Request) -> str:
    """The facilitator's language on /f/ pages; elsewhere the language of the respondent's
    session (when the browser has joined one), else the facilitator's."""
    state: ScanState = request.app.state.scan
    token = request.cookies.get(RESPONDENT_COOKIE)
    if request.url.path.startswith("/f") or not token or len(token) > 43:
        return state.config.lang
    me = state.store.respondent(token)
    return me.workshop.lang if me else state.config.lang


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_page(request: Request, status: int, what: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """The page of ``status``; ``what``: an explanation already translated."""
    lang = page_lang(request)
    title, what_key, todo = PAGES.get(status, ("error_other", None, "error_again"))
    back, back_text = _back(request)
    return render(request, "error.html.j2", {
        "title": translate(lang, title),
        "what": what or (translate(lang, what_key) if what_key else ""),
        "todo": translate(lang, todo), "back": back, "back_text": translate(lang, back_text)},
        lang, status_code=status, headers=headers)


def _back(request: Request) -> tuple[str, str]:
    """Where the page's link goes (and its text key): the sessions for the facilitator, the
    question for an answer that could not be used, else the start page."""
    path = request.url.path
    if path.startswith("/f"):
        return "/f/", "back_sessions"
    parts = path.strip("/").split("/")
    items = len(request.app.state.scan.bank.items)
    if len(parts) == 2 and parts[0] in ("q", "a") and parts[1].isdigit() \
            and 1 <= int(parts[1]) <= items and request.method == "POST":
        return f"/q/{int(parts[1])}", "back_question"
    return "/", "back_start"


def http_error(request: Request, exc: HTTPException) -> Response:
    """Starlette's and FastAPI's HTTPException (an unknown address is Starlette's 404)."""
    if 300 <= exc.status_code < 400 and exc.headers and "Location" in exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    if wants_json(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)
    # the detail is shown where the app wrote it for people (translated: 409's), not where it
    # is a code word ("forbidden") and the page has its own text
    known = exc.status_code in PAGES and PAGES[exc.status_code][1] is not None
    detail = None if known or not isinstance(exc.detail, str) else exc.detail
    return error_page(request, exc.status_code, detail, exc.headers)


def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """A form or address the app cannot use (FastAPI's 422): the page names the fields."""
    if wants_json(request):
        return JSONResponse({"detail": exc.errors()}, status_code=422)
    lang = page_lang(request)
    names = []
    for error in exc.errors():
        key = FIELDS.get(str(error.get("loc", ("",))[-1]))
        label = translate(lang, key) if key else None
        if label and label not in names:
            names.append(label)
    what = translate(lang, "error_422_what")
    if names:
        what += " " + translate(lang, "error_fields", fields=", ".join(names))
    return error_page(request, 422, what)
