"""The staff console's routes: pages (HTML, redirect to the login) and data (JSON/CSV, 401).

Every POST carries a CSRF token checked here; every transcript view, export and erasure is
written to the audit log. Database work runs in the thread pool (SQLAlchemy is synchronous).
"""

from __future__ import annotations

import functools
import io
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from bot import audit
from bot.db.engine import get_engine, session_factory
from bot.db.models import RequestStatus, TreatmentRequest, utc_now
from bot.db.requests import as_dict, write_csv
from bot.db.staff_models import ConversationReview, ConversationSummary, ReviewStatus
from bot.privacy.erasure import erase_person
from bot.staff_accounts import authenticate, end_sessions
from bot.web.staff import (
    charts,
    conversations,
    languages,
    overview,
    request_queries,
    summaries,
)
from bot.web.staff.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    SessionSigner,
    StaffIdentity,
    tokens_match,
)
from bot.web.staff.config import StaffConfig
from bot.web.staff.filters import ConversationFilters, RequestFilters, normalise_tag
from bot.web.staff.tracker import has_sender

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "staff"
NOTICES = {
    "saved": "Review saved.",
    "status": "Request status updated.",
    "erased": "The person's conversation and request(s) were erased.",
    "nothing": "There was nothing left to erase.",
    "logged-out": "You are logged out.",
}
MAX_NOTES = 5000
MAX_TAGS = 12

Handler = Callable[..., Awaitable[Response]]


class StaffConsole:
    """Routes bound to one configuration (databases, secret, time zone)."""

    def __init__(self, config: StaffConfig) -> None:
        self.config = config
        self.sessions = session_factory(config.database_url)
        self.tracker = get_engine(config.tracker_url)
        self.signer = SessionSigner(config.secret_key, config.session_seconds)
        self.throttle = LoginThrottle(
            config.login_max_failures,
            config.login_window_seconds,
            account_max_failures=config.login_account_max_failures,
            address_max_failures=config.login_address_max_failures,
        )
        self.jinja = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.jinja.filters.update(
            when=self._format_when,
            clock=lambda value: self._local(value).strftime("%H:%M"),
            day=lambda value: value.strftime("%d %b"),
            percent=lambda value: f"{value * 100:.1f}%",
            quote=lambda value: quote(str(value), safe=""),
            number=lambda value: f"{value:,}",
        )
        # Display names of the languages (list column, filter, transcript, overview).
        self.jinja.globals["language_names"] = languages.names()

    # ------------------------------------------------------------------ plumbing

    def _local(self, value: datetime) -> datetime:
        return request_queries.as_utc(value).astimezone(self.config.tz)

    def _format_when(self, value: datetime | None) -> str:
        return "–" if value is None else self._local(value).strftime("%d %b %Y, %H:%M")

    def render(
        self,
        request: Request,
        template: str,
        context: Dict[str, Any],
        status_code: int = 200,
        staff: StaffIdentity | None = None,
    ) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        notice = NOTICES.get(request.query_params.get("notice", ""))
        page = self.jinja.get_template(template).render(
            root=root, staff=staff, notice=notice, path=request.url.path, **context
        )
        return HTMLResponse(page, status_code=status_code)

    @staticmethod
    def root(request: Request) -> str:
        return request.scope.get("root_path", "")

    def refresh(self) -> None:
        summaries.refresh(
            self.sessions,
            self.tracker,
            self.config.tracker_url,
            self.config.fallback_threshold,
            self.config.reconcile_seconds,
        )

    async def identify(self, request: Request) -> StaffIdentity | None:
        return await run_in_threadpool(
            self.signer.identify, self.sessions, request.cookies.get(SESSION_COOKIE)
        )

    def _safe_next(self, request: Request, target: str | None) -> str:
        """Only a path inside the console: no open redirect to another site."""
        root = self.root(request)
        if (
            target
            and target.startswith(root + "/")
            and not target.startswith("//")
            and "\\" not in target
            and "://" not in target
        ):
            return target
        return root + "/"

    def page(self, handler: Handler) -> Handler:
        """An HTML route: without a session, redirect to the login; POSTs need the CSRF token."""

        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            staff = await self.identify(request)
            if staff is None:
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                target = self.root(request) + "/login"
                if request.method == "GET":
                    target += "?" + urlencode({"next": wanted})
                return RedirectResponse(target, status_code=303)
            if request.method == "POST":
                form = await request.form()
                if not tokens_match(staff.csrf_token, form.get("csrf_token")):
                    return PlainTextResponse("invalid or missing CSRF token", status_code=403)
            return await handler(request, staff)

        endpoint.access = "page"  # type: ignore[attr-defined]  # read by tests/staff/test_access
        return endpoint

    def data(self, handler: Handler) -> Handler:
        """A JSON/CSV route: without a session, 401 (scripts must not follow a redirect)."""

        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            staff = await self.identify(request)
            if staff is None:
                return JSONResponse({"error": "login required"}, status_code=401)
            return await handler(request, staff)

        endpoint.access = "data"  # type: ignore[attr-defined]
        return endpoint

    def not_found(self, request: Request, staff: StaffIdentity, what: str) -> HTMLResponse:
        return self.render(request, "not_found.html", {"what": what}, 404, staff)

    # ------------------------------------------------------------------ login / logout

    async def login_form(self, request: Request) -> Response:
        if await self.identify(request):
            return RedirectResponse(
                self._safe_next(request, request.query_params.get("next")), status_code=303
            )
        return self._login_page(request, error=None, status_code=200)

    def _login_page(
        self, request: Request, error: str | None, status_code: int, email: str = ""
    ) -> Response:
        token, cookie = self.signer.login_token(request.cookies.get(LOGIN_CSRF_COOKIE))
        response = self.render(
            request,
            "login.html",
            {
                "csrf_token": token,
                "error": error,
                "email": email,
                "next": self._safe_next(request, request.query_params.get("next")),
            },
            status_code,
        )
        if cookie:
            self._set_cookie(request, response, LOGIN_CSRF_COOKIE, cookie)
        return response

    def _set_cookie(self, request: Request, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            max_age=self.config.session_seconds,
            path=self.root(request) or "/",
            httponly=True,
            samesite="lax",
            # Over HTTPS always (the scheme is the proxy's only if TRUSTED_PROXIES names it).
            secure=self.config.cookie_secure or request.url.scheme == "https",
        )

    async def login(self, request: Request) -> Response:
        form = await request.form()
        email = str(form.get("email", ""))[:254]
        password = str(form.get("password", ""))[:1024]
        expected, _ = self.signer.login_token(request.cookies.get(LOGIN_CSRF_COOKIE))
        if not request.cookies.get(LOGIN_CSRF_COOKIE) or not tokens_match(
            expected, form.get("csrf_token")
        ):
            return PlainTextResponse("invalid or missing CSRF token", status_code=403)
        address = request.client.host if request.client else "unknown"
        wait = self.throttle.retry_after(email, address)
        if wait:
            response = self._login_page(
                request,
                f"Too many failed attempts. Try again in {max(1, wait // 60)} minute(s).",
                429,
                email,
            )
            response.headers["Retry-After"] = str(wait)
            return response
        user = await run_in_threadpool(authenticate, self.sessions, email, password)
        if user is None:
            self.throttle.failed(email, address)
            return self._login_page(request, "Wrong e-mail or password.", 401, email)
        self.throttle.succeeded(email, address)
        await run_in_threadpool(audit.record, self.sessions, user.email, audit.LOGIN)
        target = self._safe_next(request, str(form.get("next") or ""))
        response = RedirectResponse(target, status_code=303)
        self._set_cookie(request, response, SESSION_COOKIE, self.signer.issue(user))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=self.root(request) or "/")
        return response

    async def logout(self, request: Request, staff: StaffIdentity) -> Response:
        def work() -> None:
            end_sessions(self.sessions, staff.id)
            audit.record(self.sessions, staff.email, audit.LOGOUT)

        await run_in_threadpool(work)
        response = RedirectResponse(
            self.root(request) + "/login?notice=logged-out", status_code=303
        )
        response.delete_cookie(SESSION_COOKIE, path=self.root(request) or "/")
        return response

    # ------------------------------------------------------------------ overview

    def _overview(self, request: Request) -> overview.Overview:
        try:
            days = int(request.query_params.get("days", 30))
        except ValueError:
            days = 30
        days = days if days in overview.PERIODS else 30
        self.refresh()
        return overview.overview(self.sessions, self.config.tz, days)

    async def overview_page(self, request: Request, staff: StaffIdentity) -> Response:
        figures = await run_in_threadpool(self._overview, request)
        labels = [day.strftime("%d %b") for day in figures.days]
        context = {
            "o": figures,
            "periods": overview.PERIODS,
            "days": len(figures.days),
            "conversation_chart": charts.column_chart(
                list(zip(labels, figures.conversations_per_day, strict=True)),
                "Conversations per day",
            ),
            "request_chart": charts.column_chart(
                list(zip(labels, figures.requests_per_day, strict=True)),
                "Treatment requests per day",
            ),
            "topic_chart": charts.bar_list(figures.top_topics, "Top topics"),
            "threshold": self.config.fallback_threshold,
            "request_status": await run_in_threadpool(request_queries.status_counts, self.sessions),
        }
        return self.render(request, "overview.html", context, staff=staff)

    async def overview_json(self, request: Request, staff: StaffIdentity) -> Response:
        figures = await run_in_threadpool(self._overview, request)
        return JSONResponse(figures.as_json())

    # ------------------------------------------------------------------ conversations

    def _conversations(self, filters: ConversationFilters) -> conversations.Page:
        self.refresh()
        return conversations.list_conversations(
            self.sessions, filters, self.config.tz, self.config.page_size
        )

    async def conversation_list(self, request: Request, staff: StaffIdentity) -> Response:
        filters = ConversationFilters.from_query(request.query_params)
        page = await run_in_threadpool(self._conversations, filters)
        tags = await run_in_threadpool(conversations.known_tags, self.sessions)
        context = {"page": page, "filters": filters, "tags": tags}
        return self.render(request, "conversations.html", context, staff=staff)

    async def conversation_list_json(self, request: Request, staff: StaffIdentity) -> Response:
        filters = ConversationFilters.from_query(request.query_params)
        page = await run_in_threadpool(self._conversations, filters)
        return JSONResponse(
            {
                "total": page.total,
                "page": page.page,
                "pages": page.pages,
                "page_size": page.page_size,
                "conversations": [row.as_json() for row in page.rows],
            }
        )

    def _transcript(self, staff: StaffIdentity, sender_id: str, form: str):
        found = conversations.transcript(self.tracker, sender_id, self.config.fallback_threshold)
        if found is not None:
            audit.record(
                self.sessions, staff.email, audit.VIEW_TRANSCRIPT, sender_id, {"format": form}
            )
        return found

    async def conversation_page(self, request: Request, staff: StaffIdentity) -> Response:
        sender_id = request.path_params["sender_id"]
        found = await run_in_threadpool(self._transcript, staff, sender_id, "html")
        if found is None:
            return self.not_found(request, staff, "conversation")
        review = await run_in_threadpool(conversations.review_of, self.sessions, sender_id)
        linked = await run_in_threadpool(request_queries.of_sender, self.sessions, sender_id)
        context = {
            "t": found,
            "review": review,
            "tags": conversations.split_tags(review.tags if review else ""),
            "requests": linked,
            "csrf_token": staff.csrf_token,
        }
        return self.render(request, "conversation.html", context, staff=staff)

    async def conversation_json(self, request: Request, staff: StaffIdentity) -> Response:
        sender_id = request.path_params["sender_id"]
        found = await run_in_threadpool(self._transcript, staff, sender_id, "json")
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse({"sender_id": sender_id, "items": found.as_json()})

    async def review(self, request: Request, staff: StaffIdentity) -> Response:
        sender_id = request.path_params["sender_id"]
        form = await request.form()
        status = ReviewStatus.reviewed
        if form.get("status") == ReviewStatus.unreviewed.value:
            status = ReviewStatus.unreviewed
        tags = []
        for raw in str(form.get("tags", "")).split(","):
            tag = normalise_tag(raw)
            if tag and tag not in tags:
                tags.append(tag)
        notes = str(form.get("notes", "")).strip()[:MAX_NOTES] or None

        def work() -> bool:
            # A review always has a summary: the check for erased senders then finds it too.
            self.refresh()
            with self.sessions.begin() as session:
                if session.get(ConversationSummary, sender_id) is None:
                    return False
                review = session.get(ConversationReview, sender_id)
                if review is None:
                    review = ConversationReview(sender_id=sender_id)
                    session.add(review)
                review.status = status
                review.tags = "," + ",".join(tags[:MAX_TAGS]) + "," if tags else ""
                review.notes = notes
                review.reviewed_by = staff.email
                review.reviewed_at = utc_now()
                audit.add(
                    session,
                    staff.email,
                    audit.REVIEW_CONVERSATION,
                    sender_id,
                    {"status": status.value, "tags": len(tags)},
                )
                return True

        if not await run_in_threadpool(work):
            return self.not_found(request, staff, "conversation")
        target = f"{self.root(request)}/conversations/{quote(sender_id, safe='')}?notice=saved"
        return RedirectResponse(target, status_code=303)

    # ------------------------------------------------------------------ erasure

    def _erasure_preview(self, sender_id: str) -> Dict[str, Any]:
        self.refresh()
        with self.sessions() as session:
            summary = session.get(ConversationSummary, sender_id)
            requests = session.execute(
                select(func.count()).where(TreatmentRequest.sender_id == sender_id)
            ).scalar_one()
        return {"summary": summary, "request_count": requests}

    async def erase_confirm(self, request: Request, staff: StaffIdentity) -> Response:
        sender_id = request.path_params["sender_id"]
        preview = await run_in_threadpool(self._erasure_preview, sender_id)
        if preview["summary"] is None and not preview["request_count"]:
            return self.not_found(request, staff, "conversation or request")
        context = {"sender_id": sender_id, "csrf_token": staff.csrf_token, **preview}
        return self.render(request, "erase.html", context, staff=staff)

    async def erase(self, request: Request, staff: StaffIdentity) -> Response:
        sender_id = request.path_params["sender_id"]

        def work():
            result = erase_person(sender_id, self.config.database_url, self.config.tracker_url)
            with self.sessions.begin() as session:
                audit.add(
                    session,
                    staff.email,
                    audit.ERASE_PERSON,
                    sender_id,
                    {"requests": result.requests, "events": result.events},
                )
            return result

        result = await run_in_threadpool(work)
        notice = "erased" if result.requests or result.events else "nothing"
        return RedirectResponse(
            f"{self.root(request)}/conversations?notice={notice}", status_code=303
        )

    # ------------------------------------------------------------------ requests

    async def request_list(self, request: Request, staff: StaffIdentity) -> Response:
        filters = RequestFilters.from_query(request.query_params)
        page = await run_in_threadpool(
            request_queries.list_page, self.sessions, filters, self.config.tz, self.config.page_size
        )
        counts = await run_in_threadpool(request_queries.status_counts, self.sessions)
        context = {"page": page, "filters": filters, "counts": counts, "statuses": RequestStatus}
        return self.render(request, "requests.html", context, staff=staff)

    async def request_list_json(self, request: Request, staff: StaffIdentity) -> Response:
        filters = RequestFilters.from_query(request.query_params)
        page = await run_in_threadpool(
            request_queries.list_page, self.sessions, filters, self.config.tz, self.config.page_size
        )
        return JSONResponse(
            {
                "total": page.total,
                "page": page.page,
                "pages": page.pages,
                "requests": [as_dict(record) for record in page.rows],
            }
        )

    async def request_page(self, request: Request, staff: StaffIdentity) -> Response:
        reference = request.path_params["reference"]
        record = await run_in_threadpool(request_queries.by_reference, self.sessions, reference)
        if record is None:
            return self.not_found(request, staff, "request")
        await run_in_threadpool(
            audit.record, self.sessions, staff.email, audit.VIEW_REQUEST, reference
        )
        has_conversation = await run_in_threadpool(has_sender, self.tracker, record.sender_id)
        context = {
            "r": record,
            "statuses": RequestStatus,
            "csrf_token": staff.csrf_token,
            "has_conversation": has_conversation,
        }
        return self.render(request, "request.html", context, staff=staff)

    async def request_status(self, request: Request, staff: StaffIdentity) -> Response:
        reference = request.path_params["reference"]
        form = await request.form()
        try:
            status = RequestStatus(str(form.get("status", "")))
        except ValueError:
            return PlainTextResponse("unknown status", status_code=400)

        def work() -> bool:
            with self.sessions.begin() as session:
                record = session.execute(
                    select(TreatmentRequest).where(TreatmentRequest.reference == reference)
                ).scalar_one_or_none()
                if record is None:
                    return False
                before = getattr(record.status, "value", record.status)
                record.status = status
                if status is RequestStatus.closed and before != RequestStatus.closed.value:
                    record.closed_at = utc_now()
                elif status is not RequestStatus.closed:
                    record.closed_at = None
                audit.add(
                    session,
                    staff.email,
                    audit.UPDATE_REQUEST_STATUS,
                    reference,
                    {"from": before, "to": status.value},
                )
                return True

        if not await run_in_threadpool(work):
            return self.not_found(request, staff, "request")
        return RedirectResponse(
            f"{self.root(request)}/requests/{quote(reference, safe='')}?notice=status",
            status_code=303,
        )

    async def export_csv(self, request: Request, staff: StaffIdentity) -> Response:
        filters = RequestFilters.from_query(request.query_params)

        def work() -> str:
            records = request_queries.matching(self.sessions, filters, self.config.tz)
            buffer = io.StringIO()
            # A byte-order mark: Excel then reads names such as "Müller" as UTF-8.
            buffer.write("\ufeff")
            count = write_csv(records, buffer)
            audit.record(
                self.sessions,
                staff.email,
                audit.EXPORT_REQUESTS,
                "treatment_requests",
                {**filters.describe(), "rows": count},
            )
            return buffer.getvalue()

        body = await run_in_threadpool(work)
        stamp = datetime.now(self.config.tz).strftime("%Y%m%d-%H%M")
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="requests-{stamp}.csv"'},
        )

    # ------------------------------------------------------------------ audit

    async def audit_page(self, request: Request, staff: StaffIdentity) -> Response:
        entries = await run_in_threadpool(audit.recent, self.sessions, 300)
        return self.render(request, "audit.html", {"entries": entries}, staff=staff)
