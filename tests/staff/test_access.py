"""Who gets in: login, logout, wrong passwords, throttling, CSRF, cookies, every route's guard."""

from __future__ import annotations

from typing import Iterator, Tuple

import pytest
from starlette.routing import Route

from bot.web.staff.auth import SESSION_COOKIE
from tests.staff.conftest import EMAIL, PASSWORD, Console, csrf_of, make_console

SAMPLE_PARAMS = {"sender_id": "alice-0001", "reference": "MIBG-AAAAAA"}


def staff_routes(console: Console) -> Iterator[Tuple[str, str, str]]:
    """(method, path, access) for every route of the console, read from the app itself."""
    staff_app = console.app.routes[0].app
    for route in staff_app.routes:
        if not isinstance(route, Route):
            continue
        path = route.path_format.format(**SAMPLE_PARAMS)
        access = getattr(route.endpoint, "access", "public")
        for method in sorted(route.methods - {"HEAD"}):
            yield method, "/staff" + path, access


def test_every_route_but_the_login_is_guarded(console: Console) -> None:
    routes = list(staff_routes(console))
    public = {(method, path) for method, path, access in routes if access == "public"}
    assert public == {("GET", "/staff/login"), ("POST", "/staff/login")}
    assert {access for _, _, access in routes} == {"public", "page", "data"}
    client = console.client()
    for method, path, access in routes:
        if access == "public":
            continue
        reply = client.request(method, path, data={"csrf_token": "x"} if method == "POST" else None)
        if access == "page":
            assert reply.status_code == 303, (method, path, reply.status_code)
            assert reply.headers["location"].startswith("/staff/login"), (method, path)
        else:
            assert reply.status_code == 401, (method, path, reply.status_code)
            assert reply.json() == {"error": "login required"}


def test_a_page_redirects_to_the_login_and_back(console: Console) -> None:
    client = console.client()
    reply = client.get("/staff/conversations?request=yes")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/staff/login?next=%2Fstaff%2Fconversations%3Frequest%3Dyes"
    login_page = client.get(reply.headers["location"])
    reply = client.post(
        "/staff/login",
        data={
            "email": EMAIL,
            "password": PASSWORD,
            "csrf_token": csrf_of(login_page.text),
            "next": "/staff/conversations?request=yes",
        },
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/staff/conversations?request=yes"
    assert client.get("/staff/conversations?request=yes").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/elsewhere"])
def test_login_never_redirects_outside_the_console(console: Console, target: str) -> None:
    client = console.client()
    token = csrf_of(client.get("/staff/login").text)
    reply = client.post(
        "/staff/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert reply.headers["location"] == "/staff/"


def test_session_cookie_flags(console: Console) -> None:
    client = console.client()
    token = csrf_of(client.get("/staff/login").text)
    reply = client.post(
        "/staff/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    cookie = next(
        value
        for value in reply.headers.get_list("set-cookie")
        if value.startswith(SESSION_COOKIE + "=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/staff"} <= flags
    assert "secure" not in flags


def test_secure_cookie_when_configured(tmp_path) -> None:
    made = make_console(
        f"sqlite:///{tmp_path / 'r.db'}",
        f"sqlite:///{tmp_path / 't.db'}",
        "sqlite",
        cookie_secure=True,
    )
    client = made.client(base_url="https://testserver")
    token = csrf_of(client.get("/staff/login").text)
    reply = client.post(
        "/staff/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    cookies = reply.headers.get_list("set-cookie")
    session = next(value for value in cookies if value.startswith(SESSION_COOKIE + "="))
    assert "secure" in {part.strip().lower() for part in session.split(";")}


def test_wrong_password_and_unknown_account_are_refused_alike(console: Console) -> None:
    client = console.client()
    token = csrf_of(client.get("/staff/login").text)
    for email, password in [(EMAIL, "wrong password 123"), ("nobody@example.org", PASSWORD)]:
        reply = client.post(
            "/staff/login", data={"email": email, "password": password, "csrf_token": token}
        )
        assert reply.status_code == 401
        assert "Wrong e-mail or password." in reply.text
        assert SESSION_COOKIE not in client.cookies
    assert client.get("/staff/").status_code == 303


def test_login_is_case_insensitive_for_the_email(console: Console) -> None:
    client = console.login(email=EMAIL.upper())
    assert client.get("/staff/").status_code == 200


def test_rate_limit_after_five_failures_even_with_the_right_password(console: Console) -> None:
    client = console.client()
    token = csrf_of(client.get("/staff/login").text)

    def attempt(email: str, password: str) -> int:
        return client.post(
            "/staff/login", data={"email": email, "password": password, "csrf_token": token}
        ).status_code

    assert [attempt(EMAIL, f"wrong password {n}") for n in range(5)] == [401] * 5
    blocked = client.post(
        "/staff/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert SESSION_COOKIE not in client.cookies
    # The limit is per e-mail and address: another account from here is not locked out.
    assert attempt("other@example.org", "wrong password x") == 401


def failed_logins(client, email: str, count: int) -> list:
    """Status codes of ``count`` logins to ``email`` with wrong passwords."""
    token = csrf_of(client.get("/staff/login").text)
    return [
        client.post(
            "/staff/login",
            data={"email": email, "password": f"wrong password {n}", "csrf_token": token},
        ).status_code
        for n in range(count)
    ]


def throttle_of(console: Console):
    """The staff app's login throttle (to move its clock)."""
    (mount,) = console.app.routes
    return mount.app.state.console.throttle


def test_one_address_trying_30_accounts_once_each_is_throttled(console: Console) -> None:
    client = console.client()
    token = csrf_of(client.get("/staff/login").text)
    codes = [
        client.post(
            "/staff/login",
            data={"email": f"guess{n}@example.org", "password": "x" * 12, "csrf_token": token},
        ).status_code
        for n in range(30)
    ]
    assert codes[:20] == [401] * 20
    assert codes[20:] == [429] * 10
    # The right password from that address waits too (until the window has passed).
    assert failed_logins(client, EMAIL, 1) == [429]


def test_one_account_tried_from_many_addresses_is_locked_then_unlocks(console: Console) -> None:
    now = [1000.0]
    throttle_of(console).clock = lambda: now[0]
    for n in range(10):  # 10 addresses, one failure each: under every per-address limit
        assert failed_logins(console.client(client=(f"10.0.0.{n}", 4000)), EMAIL, 1) == [401]
    elsewhere = console.client(client=("192.0.2.7", 4000))
    token = csrf_of(elsewhere.get("/staff/login").text)
    locked = elsewhere.post(
        "/staff/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 429  # locked for everyone, even with the right password
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60 + 1
    now[0] += 15 * 60 - 1
    assert failed_logins(elsewhere, EMAIL, 1) == [429]
    now[0] += 2  # the delay has passed since the failures: unlocked
    console.login(elsewhere)
    assert elsewhere.get("/staff/").status_code == 200


def test_cookies_are_secure_over_https_and_not_over_plain_http(console: Console) -> None:
    secure = console.client(base_url="https://testserver")
    token_reply = secure.get("/staff/login")
    assert "secure" in token_reply.headers["set-cookie"].lower()
    reply = secure.post(
        "/staff/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(token_reply.text)},
    )
    assert reply.status_code == 303
    session_cookie = [c for c in reply.headers.get_list("set-cookie") if SESSION_COOKIE in c]
    assert session_cookie and "secure" in session_cookie[0].lower()
    plain = console.client()
    assert "secure" not in plain.get("/staff/login").headers["set-cookie"].lower()


def test_login_form_needs_its_csrf_token(console: Console) -> None:
    client = console.client()
    client.get("/staff/login")
    reply = client.post("/staff/login", data={"email": EMAIL, "password": PASSWORD})
    assert reply.status_code == 403
    reply = client.post(
        "/staff/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert reply.status_code == 403
    fresh = console.client()  # a token without the cookie it belongs to
    token = csrf_of(client.get("/staff/login").text)
    reply = fresh.post(
        "/staff/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 403


def test_posts_without_the_session_csrf_token_are_rejected(console: Console, people) -> None:
    client = console.login()
    page = client.get("/staff/conversations/alice-0001")
    token = csrf_of(page.text)
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": token + "x"}):
        reply = client.post("/staff/review/alice-0001", data={"status": "reviewed", **data})
        assert reply.status_code == 403
        reply = client.post("/staff/erase/alice-0001", data=data)
        assert reply.status_code == 403
    # Nothing happened: still unreviewed, still there.
    assert client.get("/staff/api/conversations/alice-0001").status_code == 200
    row = client.get("/staff/api/conversations?q=cost").json()["conversations"][0]
    assert row["status"] == "unreviewed"
    reply = client.post(
        "/staff/review/alice-0001", data={"status": "reviewed", "csrf_token": token}
    )
    assert reply.status_code == 303


def test_logout_ends_the_session_and_old_cookies(console: Console) -> None:
    client = console.login()
    stolen = client.cookies[SESSION_COOKIE]
    token = csrf_of(client.get("/staff/").text)
    reply = client.post("/staff/logout", data={"csrf_token": token})
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/staff/login")
    assert client.get("/staff/").status_code == 303
    replay = console.client(cookies={SESSION_COOKIE: stolen})
    assert replay.get("/staff/").status_code == 303
    assert replay.get("/staff/api/overview").status_code == 401


def test_tampered_cookie_is_ignored(console: Console) -> None:
    client = console.login()
    value = client.cookies[SESSION_COOKIE]
    forged = console.client(
        cookies={SESSION_COOKIE: value[:-2] + ("A" if value[-1] != "A" else "B")}
    )
    assert forged.get("/staff/api/overview").status_code == 401


def test_security_headers_on_pages(console: Console) -> None:
    client = console.login()
    reply = client.get("/staff/")
    assert reply.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    css = client.get("/staff/static/staff.css")
    assert css.status_code == 200
    assert "cache-control" not in css.headers or css.headers["cache-control"] != "no-store"


def test_no_external_resources_in_pages(console: Console, people) -> None:
    client = console.login()
    for path in ("/staff/", "/staff/conversations", "/staff/requests", "/staff/login"):
        html = client.get(path).text
        assert "http://" not in html and "https://" not in html, path


def test_app_py_mounts_the_console(monkeypatch, tmp_path) -> None:
    made = make_console(f"sqlite:///{tmp_path / 'r.db'}", f"sqlite:///{tmp_path / 't.db'}", "x")
    monkeypatch.setenv("DATABASE_URL", made.config.database_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", made.config.tracker_url)
    monkeypatch.setenv("STAFF_SECRET_KEY", "s" * 48)
    from starlette.testclient import TestClient

    from bot.web.app import create_app

    client = TestClient(create_app(), follow_redirects=False)
    assert client.get("/staff/login").status_code == 200
    assert client.get("/staff/conversations").headers["location"].startswith("/staff/login")
    assert client.get("/staff").status_code in (307, 308)
