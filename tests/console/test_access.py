"""Authorisation of every console page and file URL, over real HTTP: no session, another team's
scope, a viewer writing, posts without the session's CSRF token, login throttling at constant
cost, sessions ending at logout / disable / reset, and the security headers and cookies."""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

import httpx
import pytest

from inspector.central.console.accounts import Accounts
from tests.central.fixtures import DatabaseFactory
from tests.console.conftest import PASSWORD, Office, csrf_of
from tests.sync.harness import LiveServer


def _urls(office: Office, client: httpx.Client) -> dict[str, str]:
    """One URL of each kind, found as an admin would (ids taken from the pages themselves)."""
    detail = client.get(f"/inspections/{office.signed_inspection}").text
    requirement = re.search(r'href="/requirements/([0-9a-f-]{36})"', detail)
    assert requirement
    photo = office.server.call(lambda c: c.store.conn.execute(
        "SELECT e.inspection_id, e.sha256 FROM evidence e JOIN entity_owners o ON o.entity_id = e.inspection_id"
        " WHERE o.team = 'doan-1' AND e.removed = 0 LIMIT 1").fetchone())
    return {
        "evidence": f"/inspections/{photo[0]}/evidence/{photo[1]}",
        "dashboard": "/", "inspections": "/inspections", "inspection": f"/inspections/{office.signed_inspection}",
        "document": f"/inspections/{office.signed_inspection}/documents/{office.signed_document}",
        "requirements": "/requirements", "requirement": f"/requirements/{requirement.group(1)}",
        "statistics": "/statistics", "devices": "/devices", "catalogs": "/catalogs", "audit": "/audit",
        "export": "/export/inspections.xlsx", "export_requirements": "/export/requirements.xlsx",
        "export_devices": "/export/devices.xlsx", "report_xlsx": "/report.xlsx", "report_pdf": "/report.pdf",
        "password": "/password",
    }


def test_every_page_and_file_needs_a_session(office: Office) -> None:
    admin = office.login("admin")
    urls = _urls(office, admin)
    anonymous = office.client()
    for name, url in urls.items():
        answer = anonymous.get(url)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), name
        assert admin.get(url).status_code == 200, name
    for url in ("/logout", urls["requirement"], "/devices/token", "/catalogs", "/password"):
        answer = anonymous.post(url, data={"csrf": "x", "action": "reported", "text": "x"})
        assert answer.status_code == 403, url
    forged = office.client()
    forged.cookies.set("inspector_console", "not-a-session")
    assert forged.get("/").status_code == 303


def test_another_teams_inspection_is_invisible(office: Office) -> None:
    admin = office.login("admin")
    urls = _urls(office, admin)
    other = office.login("other")  # team doan-2; the signed inspection came from doan-1
    for name in ("inspection", "document", "requirement", "evidence"):
        answer = other.get(urls[name])
        assert answer.status_code == 404, name
        assert "12/QĐ-ĐKT" not in answer.text
    listing = other.get("/inspections").text
    assert "12/QĐ-ĐKT" not in listing and office.signed_inspection not in listing
    assert "12/QĐ-ĐKT" not in other.get("/requirements?view=all").text
    assert "12/QĐ-ĐKT" not in _xlsx_text(other.get("/export/inspections.xlsx").content)
    clerk = office.login("clerk")  # doan-1 sees it
    assert clerk.get(urls["inspection"]).status_code == 200
    assert "12/QĐ-ĐKT" in _xlsx_text(clerk.get("/export/inspections.xlsx").content)


def _xlsx_text(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for row in book.active.iter_rows(values_only=True) for v in row if v is not None)


def test_viewer_and_clerk_cannot_write_beyond_their_role(office: Office) -> None:
    admin = office.login("admin")
    urls = _urls(office, admin)
    viewer = office.login("viewer")
    page = viewer.get(urls["requirement"])
    assert "Ghi báo cáo" not in page.text  # no form offered
    token = csrf_of(viewer.get("/").text)
    answer = viewer.post(urls["requirement"], data={"csrf": token, "action": "reported", "text": "Đã xong"})
    assert answer.status_code == 403
    assert viewer.post("/devices/token", data={"csrf": token, "team": "x"}).status_code == 403
    assert viewer.post("/catalogs", data={"csrf": token}, files={"file": ("a.json", b"{}")}).status_code == 403
    clerk = office.login("clerk")
    token = csrf_of(clerk.get("/").text)
    assert clerk.get("/audit").status_code == 403
    assert clerk.post("/devices/token", data={"csrf": token, "team": "doan-1"}).status_code == 403
    assert "Chưa báo cáo" in viewer.get(urls["requirement"]).text or "Quá hạn" in viewer.get(urls["requirement"]).text


def test_posts_without_the_sessions_csrf_token_change_nothing(office: Office) -> None:
    admin = office.login("admin")
    urls = _urls(office, admin)
    clerk = office.login("clerk")
    before = clerk.get(urls["requirement"]).text
    for data in ({"action": "reported", "text": "Đã xong"},
                 {"action": "reported", "text": "Đã xong", "csrf": csrf_of(admin.get("/").text)},  # another session's
                 {"action": "reported", "text": "Đã xong", "csrf": ""}):
        answer = clerk.post(urls["requirement"], data=data)
        assert answer.status_code == 403
        assert "Biểu mẫu đã hết hạn" in answer.text
    assert clerk.get(urls["requirement"]).text.count("Đã xong") == before.count("Đã xong")
    # the login form has its own token: a post from elsewhere (no cookie) is refused
    bare = office.client()
    answer = bare.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": "x", "next": "/"})
    assert answer.status_code == 403 and "inspector_console" not in answer.headers.get("set-cookie", "")


def _attempt(client: httpx.Client, name: str, password: str) -> tuple[int, float]:
    token = csrf_of(client.get("/login").text)
    start = time.perf_counter()
    answer = client.post("/login", data={"username": name, "password": password, "csrf": token, "next": "/"})
    return answer.status_code, time.perf_counter() - start


def test_ten_wrong_passwords_do_not_make_the_eleventh_faster_or_successful(office: Office) -> None:
    office.server.call(lambda c: Accounts(c.clock).add(c.store, "victim", PASSWORD, "clerk", None))
    client = office.client()
    wrong = [_attempt(client, "victim", f"sai-mat-khau-{n}") for n in range(10)]
    assert [status for status, _ in wrong[:5]] == [401] * 5
    assert all(status == 429 for status, _ in wrong[5:])  # locked after five
    locked = [_attempt(client, "victim", PASSWORD) for _ in range(3)]  # the right password, while locked
    assert all(status == 429 for status, _ in locked)
    first = statistics.median(t for _, t in wrong[:5])
    eleventh = statistics.median(t for _, t in locked)
    print(f"wrong password: median {first * 1000:.1f} ms; right password while locked: {eleventh * 1000:.1f} ms")
    assert eleventh >= 0.6 * first, "a locked account answers faster: the lock-out skips the hash"
    status, unknown = _attempt(client, "khong-co-ai", "bat-ky")
    assert status == 401 and unknown >= 0.6 * first, "an unknown name answers faster than a known one"
    office.server.call(lambda c: Accounts(c.clock).reset(c.store, "victim", PASSWORD + "-moi"))
    assert _attempt(client, "victim", PASSWORD + "-moi")[0] == 303  # the reset lifts the lock


def test_sessions_end_at_logout_disable_and_reset(office: Office) -> None:
    office.server.call(lambda c: Accounts(c.clock).add(c.store, "tam", PASSWORD, "viewer", None))
    first = office.login("tam")
    cookie = first.cookies["inspector_console"]
    token = csrf_of(first.get("/").text)
    assert first.post("/logout", data={"csrf": token}).status_code == 303
    replay = office.client()
    replay.cookies.set("inspector_console", cookie)
    assert replay.get("/").status_code == 303  # the old cookie no longer opens anything
    second = office.login("tam")
    office.server.call(lambda c: Accounts(c.clock).disable(c.store, "tam"))
    assert second.get("/").status_code == 303
    office.server.call(lambda c: Accounts(c.clock).reset(c.store, "tam", "mat-khau-tam-thoi-1"))
    third = office.login("tam", "mat-khau-tam-thoi-1")
    assert third.get("/inspections").headers["location"] == "/password"  # must choose a password first
    token = csrf_of(third.get("/password").text)
    answer = third.post("/password", data={"csrf": token, "old": "mat-khau-tam-thoi-1", "new": "mat-khau-rieng-2026",
                                           "again": "mat-khau-rieng-2026"})
    assert answer.status_code == 303
    assert third.get("/inspections").status_code == 200


def test_security_headers_and_cookies(office: Office) -> None:
    client = office.client()
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    token = csrf_of(page.text)
    answer = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": token, "next": "/"})
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("inspector_console=")).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain HTTP here
    assert "content-security-policy" not in client.get("/health").headers  # the device API is unchanged
    # every script, style, image and link stays on this server
    for url in ("/", "/inspections", f"/inspections/{office.signed_inspection}", "/statistics", "/devices"):
        html = client.get(url).text
        for ref in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert ref.startswith(("/", "?", "#", "data:")), f"{url}: {ref}"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_only_returns_to_this_site(office: Office, target: str) -> None:
    client = office.client()
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": token, "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_cookies_are_secure_behind_a_trusted_tls_proxy(tmp_path: Path, make_database: DatabaseFactory) -> None:
    database = make_database(tmp_path / "srv")
    with LiveServer(tmp_path / "srv", trusted_proxies=("127.0.0.1",), database=database) as server:
        server.call(lambda c: Accounts(c.clock).add(c.store, "admin", PASSWORD, "admin", None))
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7"}
        with httpx.Client(base_url=server.url, headers=headers) as client:
            form = client.get("/login")
            login_cookie = form.headers["set-cookie"]
            assert "secure" in login_cookie.lower()  # httpx keeps a Secure cookie for https only: hand it back
            client.headers["cookie"] = login_cookie.split(";")[0]
            answer = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                                 "csrf": csrf_of(form.text), "next": "/"})
            cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("inspector_console="))
            assert "secure" in cookie.lower()
        audit = server.call(lambda c: c.store.conn.execute(
            "SELECT address FROM staff_audit WHERE action = 'login'").fetchone()[0])
        assert audit == "10.0.0.7"  # the browser's address, as the proxy reported it
    with LiveServer(tmp_path / "srv", database=database) as server, httpx.Client(base_url=server.url) as client:
        # not a trusted proxy: the header is ignored
        answer = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in answer.headers["set-cookie"].lower()


def test_unknown_addresses(office: Office) -> None:
    client = office.client()
    page = client.get("/khong-co-trang-nay")
    assert page.status_code == 404 and "Không có trang này" in page.text and page.headers["x-frame-options"] == "DENY"
    api = client.get("/sync/v1/khong-co")
    assert api.status_code in (401, 404) and api.headers["content-type"].startswith("application/json")
    assert client.put("/inspections").status_code == 405


def test_thumbnails_and_a_hostile_photo(office: Office) -> None:
    import io

    from PIL import Image

    from inspector.central.console.files import thumbnail

    admin = office.login("admin")
    urls = _urls(office, admin)
    small = admin.get(urls["evidence"] + "?thumb=1")
    assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(small.content)).size) <= 320
    assert office.login("other").get(urls["evidence"] + "?thumb=1").status_code == 404  # scope first
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 megapixels in a few kilobytes
    sha = office.server.central.vault.put_bytes(out.getvalue()).sha256
    assert thumbnail(office.server.central, sha) is None
