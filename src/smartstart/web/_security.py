"""Login (one-time admin token, scrypt password), CSRF tokens, and the join-code rate limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque

#: scrypt's cost: OWASP's recommendation (n=2**17, r=8, p=1: 128 MiB, a fraction of a second)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
SCRYPT_MAXMEM = 256 * 1024 * 1024
#: join codes and logins: at most this many failures per client address per window
FAILURES_ALLOWED, FAILURE_WINDOW = 30, 600.0  # seconds
#: wrong join codes from all addresses together per window: a guesser with many addresses
#: (a botnet, IPv6 ranges) gets no more than this; a room of 200 people mistyping now and then
#: stays far below it
GLOBAL_JOIN_FAILURES, GLOBAL_JOIN_WINDOW = 300, 60.0  # seconds
#: the key of FailureLimit under which all addresses' failures count together
EVERYONE = "*"
LOGIN_HOURS = 12


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=SCRYPT_MAXMEM, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        again = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                               p=int(p), maxmem=SCRYPT_MAXMEM, dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(again.hex(), digest)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(key: str, client_id: str) -> str:
    """The CSRF token of a browser: an HMAC of its random client cookie under the server's key.

    A page of another site cannot read the cookie or the token, so it cannot forge a form."""
    return hmac.new(key.encode(), client_id.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(key: str, client_id: str | None, token: str | None) -> bool:
    if not client_id or not token:
        return False
    return hmac.compare_digest(csrf_token(key, client_id), token)


class FailureLimit:
    """Counts failures (a wrong join code, a wrong login) per client address in a sliding
    window; a client over the limit is refused until its oldest failure leaves the window."""

    def __init__(self, allowed: int = FAILURES_ALLOWED, window: float = FAILURE_WINDOW) -> None:
        self.allowed, self.window = allowed, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client)) >= self.allowed

    def fail(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(time.monotonic())
            if len(self._failures) > 10_000:  # forget clients whose failures have expired
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures
