"""Devices and catalogs pages over real HTTP: an enrollment token that really enrolls a laptop,
revoking it (the laptop is refused afterwards), publishing a catalog version and refusing a bad
file with a Vietnamese message, each recorded in the audit log."""

from __future__ import annotations

import re

import pytest

from inspector.errors import UserError
from inspector.paths import resources_dir
from inspector.workspace import Workspace
from tests.console.conftest import Office, csrf_of


def test_token_enrolls_a_laptop_and_revoke_refuses_it(office: Office) -> None:
    admin = office.login("admin")
    token = csrf_of(admin.get("/devices").text)
    page = admin.post("/devices/token", data={"csrf": token, "team": "doan-9"}).text
    code = re.search(r'id="enroll-token">([A-Z2-7-]+)<', page)
    assert code and "<svg" in page
    ws = Workspace.open(office.root / "new-laptop")
    try:
        ws.services.sync.enroll(office.url, code.group(1))
        device_id = ws.services.ctx.device.device_id
        devices = admin.get("/devices").text
        assert device_id[:16] in devices
        answer = admin.post(f"/devices/{device_id}/revoke", data={"csrf": token, "reason": "Máy bị mất"})
        assert answer.status_code == 200 and "Đã thu hồi thiết bị" in answer.text
        with pytest.raises(UserError):
            ws.services.sync.sync()
    finally:
        ws.close()
    answer = admin.post("/devices/file", data={"csrf": token, "team": "doan-8", "days": "3"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    offline = office.root / "offline-laptop"
    enrollment = office.root / "dang-ky.inspector-enroll"
    enrollment.write_bytes(answer.content)
    ws = Workspace.open(offline)
    try:
        ws.services.sync.enroll_from_file(enrollment)  # no network: the file carries the server's keys
    finally:
        ws.close()
    assert admin.post("/devices/file", data={"csrf": token, "team": "doan-8", "days": "99"}).status_code == 400
    audit = admin.get("/audit").text
    assert "device.token" in audit and "device.revoke" in audit and "device.file" in audit


def test_publish_catalog(office: Office) -> None:
    admin = office.login("admin")
    token = csrf_of(admin.get("/catalogs").text)
    path = resources_dir() / "checklists" / "ct24-mot-cua.v1.json"
    answer = admin.post("/catalogs", data={"csrf": token}, files={"file": (path.name, path.read_bytes())})
    assert answer.status_code == 200 and ("Đã công bố" in answer.text or "đã được công bố" in answer.text)
    bad = admin.post("/catalogs", data={"csrf": token}, files={"file": ("x.json", b"{not json")})
    assert bad.status_code == 400 and 'class="message"' in bad.text
    assert "Traceback" not in bad.text and "Error" not in bad.text
    assert "catalog.publish" in admin.get("/audit").text
