"""Staff accounts, passwords (argon2), signed session cookies, CSRF tokens and login throttling.

The session cookie is signed (itsdangerous), not encrypted: it carries only the account id, the
account's ``session_epoch`` and the CSRF token. Logging out bumps the epoch, so a copied cookie
stops working everywhere; each request re-reads the account (deactivation takes effect at once).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, List, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.db.models import utc_now
from bot.db.staff_models import StaffUser

MIN_PASSWORD_LENGTH = 12
SESSION_COOKIE = "mibg_staff"
LOGIN_CSRF_COOKIE = "mibg_staff_login"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
#: Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked (message is safe to print)."""


@dataclass(frozen=True)
class StaffIdentity:
    """The logged-in coordinator, as the views need it."""

    id: int
    email: str
    csrf_token: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(sessions: sessionmaker, email: str, password: str, *, reset: bool = False) -> str:
    """Create the account (or, with ``reset``, set a new password and end its sessions)."""
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise AccountError("not a valid e-mail address")
    check_new_password(password)
    password_hash = _hasher.hash(password)
    with sessions.begin() as session:
        user = session.execute(
            select(StaffUser).where(StaffUser.email == email)
        ).scalar_one_or_none()
        if user is None:
            session.add(
                StaffUser(email=email, password_hash=password_hash, is_active=True, session_epoch=0)
            )
            return "created"
        if not reset:
            raise AccountError("an account with this e-mail exists (use --reset-password)")
        user.password_hash = password_hash
        user.is_active = True
        user.session_epoch = (user.session_epoch or 0) + 1
        return "updated"


def authenticate(sessions: sessionmaker, email: str, password: str) -> StaffUser | None:
    """The active account for these credentials, or None; upgrades outdated hashes."""
    email = normalise_email(email)
    with sessions.begin() as session:
        user = session.execute(
            select(StaffUser).where(StaffUser.email == email)
        ).scalar_one_or_none()
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.is_active:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = utc_now()
        session.flush()
        session.expunge(user)
        return user


def end_sessions(sessions: sessionmaker, user_id: int) -> None:
    """Invalidate every session cookie of the account (logout)."""
    with sessions.begin() as session:
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == user_id)
            .values(session_epoch=StaffUser.session_epoch + 1)
        )


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


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


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
