"""Treatment requests in the console: list, filters, detail, status workflow, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.db.models import TreatmentRequest
from bot.db.requests import EXPORT_FIELDS, RequestDetails, save_request
from bot.db.staff_models import AuditEntry
from tests.staff.conftest import FORMULA_NAME, NOW, Console, csrf_of

BERLIN = ZoneInfo("Europe/Berlin")


def add_request(console: Console, sender: str, days_ago: float, **fields) -> str:
    details = {
        "full_name": "Test Person",
        "email": f"{sender}@example.org",
        "phone": "+49 30 1234567",
        "country": "Poland",
        "diagnosis": "neuroblastoma",
        "destination": "Germany",
        "message": None,
        **fields,
    }
    consent = NOW - timedelta(days=days_ago)
    reference = save_request(
        console.sessions,
        RequestDetails(
            sender_id=sender,
            channel="socketio",
            consent_at=consent,
            notice_version="2026-11-24",
            **details,
        ),
    )
    with console.sessions.begin() as session:  # created_at as if it came in back then
        session.execute(
            update(TreatmentRequest)
            .where(TreatmentRequest.reference == reference)
            .values(created_at=consent)
        )
    return reference


def references(client, query: str = "") -> list:
    reply = client.get(f"/staff/api/requests?{query}")
    assert reply.status_code == 200
    return [row["reference"] for row in reply.json()["requests"]]


def test_list_filters_and_search(console: Console) -> None:
    old = add_request(console, "s-old", 20, full_name="Olga Old", country="Ukraine")
    mid = add_request(console, "s-mid", 5, full_name="Max Mid", diagnosis="pheochromocytoma")
    new = add_request(console, "s-new", 0.1, full_name="Nina New", email="nina@clinic.example")
    client = console.login()
    assert references(client) == [new, mid, old]
    token = csrf_of(client.get(f"/staff/requests/{mid}").text)
    client.post(f"/staff/requests/{mid}/status", data={"csrf_token": token, "status": "contacted"})
    assert references(client, "status=contacted") == [mid]
    assert references(client, "status=new") == [new, old]
    day = lambda days: (NOW - timedelta(days=days)).astimezone(BERLIN).date().isoformat()  # noqa: E731
    assert references(client, f"from={day(6)}&to={day(4)}") == [mid]
    assert references(client, f"to={day(10)}") == [old]
    assert references(client, "q=ukraine") == [old]
    assert references(client, "q=PHEO") == [mid]
    assert references(client, "q=nina%40clinic") == [new]
    assert references(client, f"q={new.lower()}") == [new]
    assert references(client, "q=nina+ukraine") == []
    assert references(client, "q=%25") == []
    html = client.get("/staff/requests?status=new").text
    assert new in html and old in html and mid not in html.split("<tbody>")[1]


def test_status_workflow_is_audited(console: Console) -> None:
    reference = add_request(console, "s-1", 1)
    client = console.login()
    page = client.get(f"/staff/requests/{reference}")
    assert page.status_code == 200 and "Test Person" in page.text
    token = csrf_of(page.text)
    for status in ("contacted", "closed"):
        reply = client.post(
            f"/staff/requests/{reference}/status", data={"csrf_token": token, "status": status}
        )
        assert reply.status_code == 303
        assert client.get(f"/staff/api/requests?status={status}").json()["total"] == 1
    bad = client.post(
        f"/staff/requests/{reference}/status", data={"csrf_token": token, "status": "lost"}
    )
    assert bad.status_code == 400
    with console.sessions() as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    changes = [(e.action, e.target, e.detail) for e in entries if e.action.startswith("update")]
    assert changes == [
        ("update_request_status", reference, '{"from": "new", "to": "contacted"}'),
        ("update_request_status", reference, '{"from": "contacted", "to": "closed"}'),
    ]
    assert ("view_request", reference) in [(e.action, e.target) for e in entries]
    assert client.get("/staff/requests/MIBG-NOPE99").status_code == 404


def test_closing_starts_the_retention_period_and_reopening_stops_it(console: Console) -> None:
    reference = add_request(console, "s-1", 1)
    client = console.login()
    token = csrf_of(client.get(f"/staff/requests/{reference}").text)

    def closed_at():
        with console.sessions() as session:
            return session.execute(
                select(TreatmentRequest.closed_at).where(TreatmentRequest.reference == reference)
            ).scalar_one()

    def set_status(status: str) -> None:
        reply = client.post(
            f"/staff/requests/{reference}/status", data={"csrf_token": token, "status": status}
        )
        assert reply.status_code == 303

    assert closed_at() is None
    set_status("closed")
    first = closed_at()
    assert first is not None
    set_status("closed")  # closing again does not move the date
    assert closed_at() == first
    set_status("contacted")
    assert closed_at() is None


def test_request_links_to_its_conversation(console: Console, people) -> None:
    client = console.login()
    reference = client.get("/staff/api/requests").json()["requests"][0]["reference"]
    html = client.get(f"/staff/requests/{reference}").text
    assert 'href="/staff/conversations/alice-0001"' in html
    transcript = client.get("/staff/conversations/alice-0001").text
    assert f'href="/staff/requests/{reference}"' in transcript


def parse_csv(body: bytes) -> list:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_is_the_filtered_set_and_safe_for_spreadsheets(console: Console, people) -> None:
    add_request(console, "s-2", 2, full_name="@SUM(A1:A9)", country="Ukraine")
    add_request(console, "s-3", 40, full_name="Plain Name", country="Ukraine")
    client = console.login()
    reply = client.get("/staff/requests/export.csv")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["content-disposition"].startswith('attachment; filename="requests-')
    exported = parse_csv(reply.content)
    assert list(exported[0]) == EXPORT_FIELDS
    names = {row["full_name"] for row in exported}
    assert names == {"'" + FORMULA_NAME, "'@SUM(A1:A9)", "Plain Name"}
    alice = next(row for row in exported if row["sender_id"] == "alice-0001")
    assert alice["message"] == "'+49 call after 5pm"  # a leading + is a formula too
    assert alice["email"] == "alice@example.org" and alice["country"] == "Poland"
    for row in exported:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", value
    filtered = parse_csv(
        client.get(
            "/staff/requests/export.csv?q=ukraine&from="
            + ((NOW - timedelta(days=10)).astimezone(BERLIN).date().isoformat())
        ).content
    )
    assert [row["full_name"] for row in filtered] == ["'@SUM(A1:A9)"]


def test_export_neutralises_invisible_and_full_width_formula_starts(
    console: Console, people
) -> None:
    sneaky = ["\u200b=1+1", "\ufeff@SUM(A1)", "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20A1"]
    for number, name in enumerate(sneaky):
        add_request(console, f"sneaky-{number}", 1, full_name=name)
    client = console.login()
    exported = parse_csv(client.get("/staff/requests/export.csv").content)
    names = {row["sender_id"]: row["full_name"] for row in exported}
    for number, name in enumerate(sneaky):
        assert names[f"sneaky-{number}"] == "'" + name, repr(name)


def test_export_is_audited_without_personal_data(console: Console, people) -> None:
    client = console.login()
    client.get("/staff/requests/export.csv?q=Poland&status=new")
    with console.sessions() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "export_requests")
        ).scalar_one()
    assert entry.actor == "coordinator@example.org"
    assert '"rows": 1' in entry.detail and '"search": "yes"' in entry.detail
    assert "Poland" not in entry.detail and '"status": "new"' in entry.detail
