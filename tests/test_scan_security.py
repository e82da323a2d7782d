"""The quick scan's security: facilitator pages need a login, every form needs its CSRF token,
join codes cannot be guessed (long, rate-limited), a respondent sees nothing of other
respondents or sessions, every input is validated."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_scan_support import TestClient, csrf_of, facilitator, join, make_app, start_workshop

from smartstart.web._models import Answer, Setting, Workshop
from smartstart.web._security import (
    FAILURE_WINDOW,
    FAILURES_ALLOWED,
    GLOBAL_JOIN_FAILURES,
    GLOBAL_JOIN_WINDOW,
)
from smartstart.web._store import CODE_ALPHABET, CODE_LENGTH


@pytest.fixture()
def scan(tmp_path):
    app = make_app(tmp_path)
    boss = facilitator(app)
    workshop, code = start_workshop(boss, ["Org A", "Org B"])
    yield app, boss, workshop, code
    app.state.scan.store.engine.dispose()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One workshop and respondent for the input tests (each checks nothing was stored)."""
    app = make_app(tmp_path_factory.mktemp("scan"))
    boss = facilitator(app)
    _workshop, code = start_workshop(boss, ["Org A", "Org B"])
    yield app, boss, join(app, code, "Org B")
    app.state.scan.store.engine.dispose()


def _count(app, model) -> int:
    with Session(app.state.scan.store.engine) as db:
        return db.scalar(select(func.count()).select_from(model))


def _facilitator_paths(workshop: int, organisation: int):
    from smartstart.web._facilitator import router

    for route in router.routes:
        path = route.path
        if path != "/f/login":
            yield (sorted(route.methods)[0], path.replace("{workshop_id}", str(workshop))
                   .replace("{organisation}", str(organisation)))


def test_facilitator_pages_refuse_anonymous_visitors(scan):
    app, _boss, workshop, code = scan
    stranger = TestClient(app)
    token = csrf_of(stranger, "/")  # a valid CSRF token, but no login
    respondent = join(app, code, "Org A")  # a respondent is no facilitator either
    paths = list(_facilitator_paths(workshop, 1))
    assert len(paths) >= 9
    for client, csrf in ((stranger, token), (respondent.client, respondent.csrf)):
        for method, path in paths:
            reply = client.request(method, path, data={"csrf": csrf, "title": "x",
                                                       "organisations": "y", "lang": "nl"},
                                   follow_redirects=False)
            assert reply.status_code == 303 and reply.headers["location"] == "/f/login", path
    assert _count(app, Workshop) == 1
    with Session(app.state.scan.store.engine) as db:
        assert db.get(Workshop, workshop).is_open


def test_the_one_time_code_works_once_and_a_password_is_hashed(tmp_path):
    from smartstart.web import set_password

    app = make_app(tmp_path)
    facilitator(app)
    again = TestClient(app)
    reply = again.post("/f/login", data={"csrf": csrf_of(again, "/f/login"),
                                         "secret": app.state.scan.admin_token})
    assert reply.status_code == 401
    set_password(app.state.scan.config.url, "een lang wachtwoord")
    with Session(app.state.scan.store.engine) as db:
        stored = db.get(Setting, "password").value
    assert stored.startswith("scrypt$") and "een lang wachtwoord" not in stored
    reply = again.post("/f/login", data={"csrf": csrf_of(again, "/f/login"),
                                         "secret": "een lang wachtwoord"})
    assert reply.status_code == 200 and reply.url.path == "/f/"
    with pytest.raises(ValueError):
        set_password(app.state.scan.config.url, "kort")


def test_a_forged_form_is_refused(scan):
    app, boss, workshop, code = scan
    respondent = join(app, code, "Org A")
    other = TestClient(app)
    foreign = csrf_of(other, "/")  # a real token, but of another browser
    forged = [
        (respondent.client, "/a/1", {"answer": "5"}, {}),
        (respondent.client, "/a/1", {"answer": "5"}, {"X-CSRF-Token": foreign}),
        (respondent.client, "/q/1", {"answer": "5", "csrf": "0" * 40}, {}),
        (boss, "/f/workshops", {"title": "t", "organisations": "o", "lang": "nl"}, {}),
        (boss, f"/f/w/{workshop}/close", {"csrf": foreign}, {}),
        (TestClient(app), "/join", {"code": code}, {}),
    ]
    for client, path, data, headers in forged:
        reply = client.post(path, data=data, headers=headers, follow_redirects=False)
        assert reply.status_code == 403, path
    assert _count(app, Answer) == 0 and _count(app, Workshop) == 1
    with Session(app.state.scan.store.engine) as db:
        assert db.get(Workshop, workshop).is_open


def test_a_brute_forced_code_is_stopped(scan):
    app, _boss, _workshop, code = scan
    # the numbers: 32**8 = 1.1e12 codes; FAILURES_ALLOWED wrong tries per FAILURE_WINDOW s per
    # client address, so one address tries at most 4,320 codes a day: with 100 sessions open,
    # its chance to hit one in a day is 4,320 * 100 / 1.1e12 = 4e-7
    assert len(CODE_ALPHABET) ** CODE_LENGTH > 10**12
    assert FAILURES_ALLOWED * 86400 / FAILURE_WINDOW * 100 / len(CODE_ALPHABET) ** CODE_LENGTH \
        < 1e-6
    # and all addresses together: GLOBAL_JOIN_FAILURES per GLOBAL_JOIN_WINDOW s, 432,000 codes
    # a day; with 100 sessions open the chance of a hit in a day is 4e-5, however many
    # addresses the guesser has
    assert GLOBAL_JOIN_FAILURES * 86400 / GLOBAL_JOIN_WINDOW * 100 \
        / len(CODE_ALPHABET) ** CODE_LENGTH < 1e-4
    guesser = TestClient(app)
    token = csrf_of(guesser, "/")
    wrong = "".join(reversed(code.replace("-", "")))
    for i in range(FAILURES_ALLOWED):
        guess = wrong if i % 2 else "AAAA-AAA" + CODE_ALPHABET[i % 32]
        assert guesser.post("/join", data={"csrf": token, "code": guess}).status_code == 400
    # over the limit: even the right code is refused from this address
    reply = guesser.post("/join", data={"csrf": token, "code": code})
    assert reply.status_code == 429 and "Te veel" in reply.text


def test_the_limit_is_per_address(tmp_path):
    app = make_app(tmp_path, failures_allowed=3)
    boss = facilitator(app)
    _workshop, code = start_workshop(boss, ["Een"])
    guesser = TestClient(app, client=("10.0.0.1", 5000))
    token = csrf_of(guesser, "/")
    for _ in range(3):
        guesser.post("/join", data={"csrf": token, "code": "BBBBBBBB"})
    assert guesser.post("/join", data={"csrf": token, "code": code}).status_code == 429
    neighbour = TestClient(app, client=("10.0.0.2", 5000))
    reply = neighbour.post("/join", data={"csrf": csrf_of(neighbour, "/"), "code": code})
    assert reply.status_code == 200 and reply.url.path == "/q/1"


def test_a_guessed_login_is_stopped_on_a_page_that_says_so(tmp_path):
    """The login's limit per address (failures_allowed) answers 429 on a Dutch page that says
    what happened and how long to wait (not the join page's words about codes), once."""
    app = make_app(tmp_path, failures_allowed=3)
    guesser = TestClient(app, client=("10.0.3.1", 5000))
    token = csrf_of(guesser, "/f/login")
    for _ in range(3):
        guesser.post("/f/login", data={"csrf": token, "secret": "wrong"})
    reply = guesser.post("/f/login", data={"csrf": token, "secret": app.state.scan.admin_token})
    assert reply.status_code == 429 and reply.headers["content-type"].startswith("text/html")
    text = re.sub(r"\s+", " ", reply.text)
    assert "te vaak iets verkeerds ingevuld" in text and "Wacht tien minuten" in text
    assert "codes" not in text and text.count("probeer het") == 1


def test_the_limit_over_all_addresses_stops_a_guesser_with_many(tmp_path):
    window = 2.0  # seconds; the 5 guesses below take a fraction of it
    app = make_app(tmp_path, global_join_failures=5, global_join_window=window)
    _workshop, code = start_workshop(facilitator(app), ["Een"])
    before = join(app, code)  # joined before the guessing started
    started = time.monotonic()
    # 5 addresses, one wrong code each: every address is far below its own limit (30) ...
    for n in range(5):
        guesser = TestClient(app, client=(f"10.0.1.{n}", 5000))
        reply = guesser.post("/join", data={"csrf": csrf_of(guesser, "/"), "code": "CCCCCCCC"})
        assert reply.status_code == 400
        if n == 0:  # the oldest failure was counted by now: the window slides from it
            oldest = time.monotonic()
    # ... but together they reached the server's: the next address is refused, even with the
    # right code (so a guesser learns nothing), on a Dutch page
    late = TestClient(app, client=("10.0.2.1", 5000))
    token = csrf_of(late, "/")
    reply = late.post("/join", data={"csrf": token, "code": code})
    assert time.monotonic() - started < window, "too slow to test the window"
    assert reply.status_code == 429 and reply.headers["content-type"].startswith("text/html")
    assert "te veel verkeerde codes geprobeerd. Wacht een minuut" in reply.text
    assert '<html lang="nl">' in reply.text
    assert not app.state.scan.join_limit.blocked("10.0.2.1")
    before.answer(1, "4")  # who joined before answers on
    # after the window the right code works again
    time.sleep(max(0.0, oldest + window + 0.1 - time.monotonic()))
    reply = late.post("/join", data={"csrf": token, "code": code})
    assert reply.status_code == 200 and reply.url.path == "/q/1"


def test_a_respondent_reads_nothing_of_others(scan):
    app, boss, workshop, code = scan
    first = join(app, code, "Org A")
    first.answer(1, "5")
    second = join(app, code, "Org A")
    page = second.client.get("/q/1").text
    assert "checked" not in page  # the other respondent's answer is not shown
    # another session: a respondent of it cannot choose this workshop's organisation ...
    _other, other_code = start_workshop(boss, ["Org C", "Org D"])
    stranger = join(app, other_code, "Org C")
    ids = re.findall(r'name="organisation" value="(\d+)"',
                     boss.get(f"/f/w/{workshop}").text) or ["1", "2"]
    for oid in ids:
        reply = stranger.client.post("/org", data={"csrf": stranger.csrf, "organisation": oid})
        assert reply.status_code == 400
    # ... nor read its results (facilitator only), nor another respondent's answers
    for path in (f"/f/w/{workshop}/live", f"/f/w/{workshop}/report/1",
                 f"/f/w/{workshop}/report/1/csv", f"/f/w/{workshop}/events?once=1"):
        reply = stranger.client.get(path, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"] == "/f/login"
    # a forged respondent cookie is nobody
    intruder = TestClient(app, cookies={"scan_r": "x" * 32})
    assert intruder.get("/q/1", follow_redirects=False).status_code == 404
    with Session(app.state.scan.store.engine) as db:
        rows = db.execute(select(Answer.respondent_id, Answer.level)).all()
    assert [level for _r, level in rows] == [5]


@pytest.mark.parametrize(("path", "data"), [
    ("/a/1", {"answer": "6"}), ("/a/1", {"answer": "0"}), ("/a/1", {"answer": "1 OR 1=1"}),
    ("/a/999", {"answer": "3"}), ("/a/21", {"answer": "3"}), ("/a/-1", {"answer": "3"}),
    ("/q/1", {"answer": "3", "go": "elsewhere"}), ("/a/1", {}),
])
def test_every_respondent_input_is_validated(shared, path, data):
    app, _boss, respondent = shared
    reply = respondent.client.post(path, data={**data, "csrf": respondent.csrf})
    assert reply.status_code in (404, 422), (path, data, reply.status_code)
    assert _count(app, Answer) == 0


@pytest.mark.parametrize("form", [
    {"title": "x" * 121, "organisations": "A", "lang": "nl"},
    {"title": "  ", "organisations": "A", "lang": "nl"},
    {"title": "t", "organisations": "\n".join(f"O{i}" for i in range(13)), "lang": "nl"},
    {"title": "t", "organisations": "A\na", "lang": "nl"},
    {"title": "t", "organisations": "A" * 81, "lang": "nl"},
    {"title": "t", "organisations": "", "lang": "nl"},
    {"title": "t", "organisations": "A", "lang": "de"},
])
def test_every_facilitator_input_is_validated(shared, form):
    app, boss, _respondent = shared
    reply = boss.post("/f/workshops", data={**form, "csrf": csrf_of(boss, "/f/")})
    assert reply.status_code == 422
    assert _count(app, Workshop) == 1


def test_pages_carry_a_strict_content_security_policy(scan):
    app, boss, workshop, _code = scan
    for client, path in ((TestClient(app), "/"), (boss, f"/f/w/{workshop}")):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"


def test_what_people_type_is_escaped(tmp_path):
    """A workshop's title and an organisation's name are shown as text, never as markup (the
    templates are .html.j2, which Starlette did not escape until autoescape was set)."""
    app = make_app(tmp_path)
    client = facilitator(app)
    workshop, code = start_workshop(client, ['<b id="org">Gemeente</b>', "Welzijn"],
                                    title='<img src=x id="title">')
    page = client.get(f"/f/w/{workshop}").text
    assert '<img src=x id="title">' not in page and "<h1>&lt;img src=x id=&#34;title" in page
    respondent = TestClient(app)
    reply = respondent.post("/join", data={"csrf": csrf_of(respondent, "/"), "code": code})
    assert reply.url.path == "/org"
    assert '<b id="org">' not in reply.text and "&lt;b id=&#34;org&#34;&gt;" in reply.text
