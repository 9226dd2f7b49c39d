"""Staff accounts: creating them (the CLI's ``staff add``), passwords (argon2), logging in and
ending an account's sessions (its ``session_epoch``).

Used by the command line and by the staff console's login (``bot.web.staff``), so neither
depends on the other. Cookies, CSRF tokens and login throttling are the console's
(``bot.web.staff.auth``).
"""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.db.models import utc_now
from bot.db.staff_models import StaffUser

MIN_PASSWORD_LENGTH = 12
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
#: Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked (message is safe to print)."""


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
