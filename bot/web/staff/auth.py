"""The console's signed session cookies, CSRF tokens and login throttling.

Accounts and passwords are ``bot.staff_accounts`` (the command line creates them too).

The session cookie is signed (itsdangerous), not encrypted: it carries only the account id, the
account's ``session_epoch`` and the CSRF token. Logging out bumps the epoch, so a copied cookie
stops working everywhere; each request re-reads the account (deactivation takes effect at once).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, List, Tuple

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import sessionmaker

from bot.constant_time import same_secret
from bot.db.staff_models import StaffUser
from bot.staff_accounts import normalise_email

SESSION_COOKIE = "mibg_staff"
LOGIN_CSRF_COOKIE = "mibg_staff_login"


@dataclass(frozen=True)
class StaffIdentity:
    """The logged-in coordinator, as the views need it."""

    id: int
    email: str
    csrf_token: str


class SessionSigner:
    """Signs and checks the session cookie and the pre-login CSRF cookie."""

    def __init__(self, secret_key: str, max_age: int) -> None:
        self._session = URLSafeTimedSerializer(secret_key, salt="mibg-staff-session")
        self._login = URLSafeTimedSerializer(secret_key, salt="mibg-staff-login-csrf")
        self.max_age = max_age

    def issue(self, user: StaffUser) -> str:
        payload = {"u": user.id, "e": user.session_epoch, "c": secrets.token_urlsafe(24)}
        return self._session.dumps(payload)

    def identify(self, sessions: sessionmaker, cookie: str | None) -> StaffIdentity | None:
        """The identity behind a valid cookie whose account is active and epoch current."""
        if not cookie:
            return None
        try:
            payload = self._session.loads(cookie, max_age=self.max_age)
            user_id, epoch, csrf = int(payload["u"]), int(payload["e"]), str(payload["c"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        with sessions() as session:
            user = session.get(StaffUser, user_id)
            if user is None or not user.is_active or user.session_epoch != epoch:
                return None
            return StaffIdentity(id=user.id, email=user.email, csrf_token=csrf)

    def login_token(self, cookie: str | None) -> Tuple[str, str | None]:
        """The login form's CSRF token and, if a new one was made, the cookie to set."""
        if cookie:
            try:
                return str(self._login.loads(cookie, max_age=self.max_age)), None
            except BadSignature:
                pass
        token = secrets.token_urlsafe(24)
        return token, self._login.dumps(token)


def tokens_match(expected: str | None, given: object) -> bool:
    """``given`` is a form value as Starlette parses it: a str, or an UploadFile when a file
    was posted (no token); any text, non-ASCII too, is compared (bot/constant_time.py)."""
    return same_secret(given, expected)


class LoginThrottle:
    """Failed logins counted three ways, each in a sliding window of ``window_seconds``:

    - per e-mail and client address: at most ``max_failures`` (a typo-prone coordinator is
      slowed down, other accounts from the same office are not);
    - per account, from any address: at most ``account_max_failures``; then the account is
      locked, also for the right password, until the window has passed since its failures
      (one guesser behind many addresses, or behind a proxy that forges X-Forwarded-For);
    - per client address, over all e-mails: at most ``address_max_failures`` (one address
      trying many accounts).

    Kept in memory: the console runs as one process; a restart forgets the counts, which an
    attacker cannot trigger from outside. Keys are hashed so no e-mail sits in memory dumps.
    ``clock`` (default ``time.monotonic``) can be replaced in tests.
    """

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        account_max_failures: int = 10,
        address_max_failures: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.account_max_failures = account_max_failures
        self.address_max_failures = address_max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    @staticmethod
    def _hash(*parts: str) -> str:
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _keys(self, email: str, address: str) -> List[Tuple[str, int]]:
        email = normalise_email(email)
        return [
            (self._hash("pair", email, address), self.max_failures),
            (self._hash("account", email), self.account_max_failures),
            (self._hash("address", address), self.address_max_failures),
        ]

    def _recent(self, key: str, now: float) -> Deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, email: str, address: str, now: float | None = None) -> int:
        """Seconds until the next attempt is allowed; 0 if allowed now."""
        now = self.clock() if now is None else now
        wait = 0.0
        with self._lock:
            for key, limit in self._keys(email, address):
                failures = self._recent(key, now)
                if len(failures) >= limit:
                    # Allowed again once enough of these failures have left the window.
                    wait = max(wait, failures[len(failures) - limit] + self.window - now)
        return max(1, int(wait) + 1) if wait > 0 else 0

    def failed(self, email: str, address: str, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        with self._lock:
            for key, _limit in self._keys(email, address):
                self._recent(key, now).append(now)
            if len(self._failures) > 30_000:  # drop idle keys so memory stays bounded
                for key in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[key]

    def succeeded(self, email: str, address: str) -> None:
        """A good login clears its own e-mail-and-address count (not the others)."""
        with self._lock:
            self._failures.pop(self._keys(email, address)[0][0], None)
