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
from typing import Deque, Dict, Tuple

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
    """At most ``max_failures`` failed logins per e-mail and client address per window.

    Kept in memory: the console runs as one process; a restart forgets the counts, which an
    attacker cannot trigger from outside. Keys are hashed so no e-mail sits in memory dumps.
    """

    def __init__(self, max_failures: int, window_seconds: float) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    @staticmethod
    def _key(email: str, address: str) -> str:
        return hashlib.sha256(f"{normalise_email(email)}\0{address}".encode()).hexdigest()

    def _recent(self, key: str, now: float) -> Deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, email: str, address: str, now: float | None = None) -> int:
        """Seconds until the next attempt is allowed; 0 if allowed now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            failures = self._recent(self._key(email, address), now)
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, email: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(self._key(email, address), now).append(now)
            if len(self._failures) > 10_000:  # drop idle keys so memory stays bounded
                for key in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[key]

    def succeeded(self, email: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._key(email, address), None)
