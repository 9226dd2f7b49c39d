"""Turn query-string filters into typed values; anything malformed is ignored, never an error.

Coordinators bookmark and share filtered lists, so filters live in the URL (GET forms).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Dict, Mapping, Tuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.i18n import locales

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

YES_NO = ("yes", "no")
MAX_QUERY_CHARS = 200


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def parse_choice(value: str | None, choices: Tuple[str, ...]) -> str:
    value = (value or "").strip()
    return value if value in choices else ""


def parse_page(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


def day_bounds(day_from: date | None, day_to: date | None, tz: ZoneInfo):
    """``[start, end)`` as aware datetimes for whole days in the console's time zone."""
    start = datetime.combine(day_from, time.min, tz) if day_from else None
    end = datetime.combine(day_to + timedelta(days=1), time.min, tz) if day_to else None
    return start, end


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE wildcards in ``text`` escaped (use with ``escape='\\\\'``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def normalise_tag(tag: str) -> str:
    """Tags are short lower-case words: commas separate them, so none may contain one."""
    return "-".join(tag.strip().lower().replace(",", " ").split())[:40]


def _as_query(
    filters: DataclassInstance,
    changes: Mapping[str, object],
    names: Dict[str, str],
    defaults: Mapping[str, object],
) -> str:
    """URL parameters of a filters dataclass, leaving out empty values and defaults."""
    names = {"date_from": "from", "date_to": "to", **names}
    defaults = {"page": 1, **defaults}
    values: Dict[str, str] = {}
    for item in fields(filters):
        value = changes.get(item.name, getattr(filters, item.name))
        if value and value != defaults.get(item.name):
            values[names.get(item.name, item.name)] = str(value)
    return urlencode(values)


@dataclass(frozen=True)
class ConversationFilters:
    date_from: date | None = None
    date_to: date | None = None
    has_request: str = ""  # "", "yes", "no"
    fallback: str = ""
    handoff: str = ""
    status: str = ""  # "", "unreviewed", "reviewed"
    tag: str = ""
    #: "" or one of ``bot.i18n.locales.languages()``: the conversation's language now.
    language: str = ""
    q: str = ""
    sort: str = "started"  # or "activity"
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ConversationFilters:
        return cls(
            date_from=parse_date(query.get("from")),
            date_to=parse_date(query.get("to")),
            has_request=parse_choice(query.get("request"), YES_NO),
            fallback=parse_choice(query.get("fallback"), YES_NO),
            handoff=parse_choice(query.get("handoff"), YES_NO),
            status=parse_choice(query.get("status"), ("unreviewed", "reviewed")),
            tag=normalise_tag(query.get("tag") or ""),
            language=parse_choice(query.get("language"), locales.languages()),
            q=(query.get("q") or "").strip()[:MAX_QUERY_CHARS],
            sort=parse_choice(query.get("sort"), ("started", "activity")) or "started",
            page=parse_page(query.get("page")),
        )

    def as_query(self, **changes: object) -> str:
        """The query string for these filters (e.g. another page), defaults left out."""
        return _as_query(self, changes, {"has_request": "request"}, {"sort": "started"})

    @property
    def active(self) -> bool:
        return any(
            [
                self.date_from,
                self.date_to,
                self.has_request,
                self.fallback,
                self.handoff,
                self.status,
                self.tag,
                self.language,
                self.q,
            ]
        )


@dataclass(frozen=True)
class RequestFilters:
    status: str = ""  # "", "new", "contacted", "closed"
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> RequestFilters:
        return cls(
            status=parse_choice(query.get("status"), ("new", "contacted", "closed")),
            date_from=parse_date(query.get("from")),
            date_to=parse_date(query.get("to")),
            q=(query.get("q") or "").strip()[:MAX_QUERY_CHARS],
            page=parse_page(query.get("page")),
        )

    def as_query(self, **changes: object) -> str:
        return _as_query(self, changes, {}, {})

    def describe(self) -> Dict[str, str]:
        """The filters for the audit trail; the search text may be a name, so only its use."""
        return {
            "status": self.status or "any",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "search": "yes" if self.q else "no",
        }
