"""Enrollment, request authentication, push semantics, forks, reference data and receipts —
against a real server on loopback, over real HTTP, with real SQLite files."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.central import admin
from inspector.central.storage.audit import verify_central_store
from inspector.clock import to_rfc3339
from inspector.errors import UserError
from inspector.store.events import iter_events
from inspector.sync.client import SyncCancelled, SyncProgress
from inspector.sync.keys import Signer
from inspector.sync.wire import HeadStatement, Range, encode_batch
from inspector.workspace import Workspace
from tests.sync.conftest import DeviceFactory, ShiftClock
from tests.sync.data import record, session_body, signed
from tests.sync.harness import LiveServer, device_events, server_state


def _state(server: LiveServer) -> str:
    return server_state(server.database, server.data_dir / "blobs")


def _verify(server: LiveServer, *devices: Workspace) -> None:
    report = server.call(lambda c: verify_central_store(c.store))
    assert report.ok, report.chain_problems + report.projection_problems
    for ws in devices:
        local = ws.services.verify_events()
        assert local.ok, local.chain_problems + local.projection_problems
        assert ws.store.scalar("PRAGMA integrity_check") == "ok"


def test_inspection_goes_local_partial_complete(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    insp = record(ws, 12, photos=2)
    assert ws.services.sync.inspection_status(insp.id).state == "local"
    cancel = threading.Event()

    def stop_at_blobs(p: SyncProgress) -> None:
        if p.phase == "blobs":
            cancel.set()

    with pytest.raises(SyncCancelled):
        ws.services.sync.sync(stop_at_blobs, cancel)
    assert ws.services.sync.inspection_status(insp.id).state == "partial"
    ws.services.sync.sync()
    status = ws.services.sync.inspection_status(insp.id)
    assert status.state == "complete" and status.last_receipt_at
    report = {r.inspection_id: r for r in server.call(admin.inspections)}[insp.id]
    assert report.complete and report.missing_evidence == 0
    assert report.devices == (ws.services.ctx.device.device_id,)
    _verify(server, ws)


def test_events_arrive_before_evidence_and_status_is_partial(server: LiveServer,
                                                             make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    insp = record(ws, 3, photos=1)
    cancel = threading.Event()
    with pytest.raises(SyncCancelled):
        ws.services.sync.sync(lambda p: cancel.set() if p.phase == "blobs" else None, cancel)
    report = {r.inspection_id: r for r in server.call(admin.inspections)}[insp.id]
    assert report.events > 0 and report.missing_evidence == 1 and not report.complete
    receipt = server.call(lambda c: c.build_receipt(ws.services.ctx.device.device_id, {}))
    assert [i.missing_blobs for i in receipt.inspections if i.inspection_id == insp.id] == [1]


def test_token_is_single_use_expires_and_is_checked(server: LiveServer, server_clock: ShiftClock,
                                                    make_device: DeviceFactory) -> None:
    first, second, third = make_device("a"), make_device("b"), make_device("c")
    token = server.token()
    first.services.sync.enroll(server.url, token)
    with pytest.raises(UserError, match="đã được dùng"):
        second.services.sync.enroll(server.url, token)
    with pytest.raises(UserError, match="không đúng"):
        second.services.sync.enroll(server.url, "AAAA-BBBB-CCCC")
    late = server.token()
    server_clock.offset = timedelta(hours=25)
    with pytest.raises(UserError, match="hết hạn"):
        third.services.sync.enroll(server.url, late)
    assert [d.device_id for d in server.call(admin.devices)] == [first.services.ctx.device.device_id]
    assert second.services.sync.link() is None and third.services.sync.link() is None


def test_enrollment_attempts_are_rate_limited(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    for _ in range(10):
        with pytest.raises(UserError, match="không đúng"):
            ws.services.sync.enroll(server.url, "SAI-MA")
    with pytest.raises(UserError, match="Quá nhiều lần"):
        ws.services.sync.enroll(server.url, server.token())


def _batch(ws: Workspace) -> bytes:
    events = list(iter_events(ws.store.conn, "WHERE device_id = ?", (ws.services.ctx.device.device_id,)))
    signer = Signer.of(ws.services.ctx.device)
    last = events[-1]
    head = HeadStatement(last.device_id, last.epoch, last.seq, last.hash).signed_by(signer)
    return encode_batch([Range(head, 1, events)])


def test_refused_requests_change_nothing(server: LiveServer, make_device: DeviceFactory) -> None:
    ws, stranger = make_device("enrolled"), make_device("stranger")
    server.enroll(ws)
    record(ws, 5)
    record(stranger, 5)
    body = _batch(ws)
    before = _state(server)
    cases = {
        "unknown device": signed(stranger, server.url, "POST", "/sync/v1/events", _batch(stranger)),
        "wrong key": signed(ws, server.url, "POST", "/sync/v1/events", body, signer=Signer(
            ws.services.ctx.device.device_id, stranger.services.ctx.device.public_key,
            stranger.services.ctx.device.private_key)),
        "body changed after signing": signed(ws, server.url, "POST", "/sync/v1/events", body,
                                             send_body=body.replace(b"ghi ch", b"GHI CH")),
        "created 6 minutes ago": signed(ws, server.url, "POST", "/sync/v1/events", body,
                                        created=int(server.call(lambda c: c.auth.now_s())) - 360),
        "unsigned": __import__("httpx").post(server.url + "/sync/v1/events", content=body),
    }
    for name, response in cases.items():
        assert response.status_code == 401, (name, response.status_code, response.text)
        assert json.loads(response.text)["message"], name
    assert _state(server) == before
    ok = signed(ws, server.url, "POST", "/sync/v1/events", body, nonce="n" * 24)
    assert ok.status_code == 200, ok.text
    after_first = _state(server)
    replay = signed(ws, server.url, "POST", "/sync/v1/events", body, nonce="n" * 24)
    assert replay.status_code == 401 and replay.json()["error"] == "replay"
    assert _state(server) == after_first
    server.call(lambda c: admin.revoke(c, ws.services.ctx.device.device_id, "mất máy"))
    revoked_state = _state(server)
    refused = signed(ws, server.url, "POST", "/sync/v1/session", session_body())
    assert refused.status_code == 403 and refused.json()["error"] == "revoked"
    with pytest.raises(UserError, match="thu hồi"):
        ws.services.sync.sync()
    assert _state(server) == revoked_state


def test_push_is_idempotent(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    record(ws, 20)
    body = _batch(ws)
    first = signed(ws, server.url, "POST", "/sync/v1/events", body)
    again = signed(ws, server.url, "POST", "/sync/v1/events", body)
    assert first.status_code == again.status_code == 200
    assert first.json()["acked"] == again.json()["acked"] and again.json()["inserted"] == 0
    device_id = ws.services.ctx.device.device_id
    assert device_events(server.database, device_id) == device_events(
        ws.store.path, device_id)


def test_wrong_clock_is_learned_and_reported(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device(clock=ShiftClock(timedelta(hours=-2)))
    server.enroll(ws)
    record(ws, 4)
    result = ws.services.sync.sync()
    assert result.events_sent > 0 and abs(result.clock_skew_s - 7200) < 60
    assert any("lệch" in w for w in result.warnings)
    assert abs(ws.store.scalar("SELECT clock_offset_ms FROM sync_server") - 7_200_000) < 60_000


def test_fork_is_refused_quarantined_and_never_overwrites(server: LiveServer, tmp_path: Path,
                                                         make_device: DeviceFactory) -> None:
    ws = make_device("laptop")
    server.enroll(ws)
    insp = record(ws, 6)
    ws.services.sync.sync()
    ws.close()
    shutil.copytree(tmp_path / "laptop", tmp_path / "backup")
    ws = make_device("laptop")
    ws.services.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=3, note="sau sao lưu")
    ws.services.sync.sync()
    device_id = ws.services.ctx.device.device_id
    held = device_events(server.database, device_id)
    ws.close()
    shutil.rmtree(tmp_path / "laptop")
    shutil.copytree(tmp_path / "backup", tmp_path / "laptop")  # the laptop is restored from backup
    ws = make_device("laptop")
    for n in range(10):
        ws.services.findings.record(insp.id, "LD-02", insp.subjects[1].id, level=n % 4, note=f"mới {n}")
    with pytest.raises(UserError, match="rẽ nhánh"):
        ws.services.sync.sync()
    assert device_events(server.database, device_id) == held
    assert ws.services.sync.overview().fork
    direct = signed(ws, server.url, "POST", "/sync/v1/events", _batch(ws))
    assert direct.status_code == 409 and direct.json()["error"] == "fork", direct.text
    assert server.call(lambda c: c.store.scalar("SELECT count(*) FROM quarantine")) >= 1
    ws.services.sync.enroll(server.url, server.token())  # re-enrollment: a new epoch
    assert ws.services.ctx.device.epoch == 2
    ws.services.findings.record(insp.id, "LD-03", insp.subjects[2].id, level=1, note="kỷ nguyên 2")
    ws.services.sync.sync()
    assert device_events(server.database, device_id)[:len(held)] == held
    _verify(server, ws)
    # The 10 changes made on the refused branch are not on the server: the inspection never
    # reads "complete", the device says how many, and the office sees them in quarantine.
    assert ws.services.sync.overview().stranded_events == 10
    status = ws.services.sync.inspection_status(insp.id)
    assert status.state == "partial" and status.stranded == 10
    held_back = server.call(admin.quarantined)
    assert {(q.type, q.inspection_id) for q in held_back} == {("finding.set", insp.id)}
    assert len(held_back) >= 1 and all(q.device_id == device_id and q.epoch == 1 for q in held_back)


def test_upload_needs_a_referencing_event_first(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    response = signed(ws, server.url, "POST", "/sync/v1/uploads",
                      json.dumps({"sha256": "ab" * 32, "size": 10}).encode())
    assert response.status_code == 409 and response.json()["error"] == "not_expected"


def test_openapi_health_and_json_logs(server: LiveServer, make_device: DeviceFactory) -> None:
    import httpx

    from inspector.central.console.routes import console_routes

    described = httpx.get(server.url + "/openapi.json").json()["paths"]
    app = server.server.config.app.app  # JsonLog → Starlette
    console = {r.path for r in console_routes()}  # the office's HTML pages: not the device API
    for route in app.routes:
        template = route.path
        if template in console:
            continue
        for method in route.methods - {"HEAD"} or {"HEAD"}:
            assert method.lower() in described[template], (method, template)
    assert httpx.get(server.url + "/health").json()["status"] == "ok"
    ws = make_device()
    server.enroll(ws)
    ws.services.sync.sync()
    line = server.logs[-1]
    assert set(line) >= {"method", "path", "status", "device", "duration_ms"}
    assert line["device"] == ws.services.ctx.device.device_id and line["status"] == 200


def test_reference_data_roster_and_revocations_reach_devices(server: LiveServer, tmp_path: Path,
                                                            make_device: DeviceFactory) -> None:
    source = json.loads(Path("resources/checklists/ct24-mot-cua.v1.json").read_text(encoding="utf-8"))
    source["version"] = 7
    path = tmp_path / "mot-cua-v7.json"
    path.write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(UserError, match="chưa có"):  # validated exactly like a device import
        server.call(lambda c: admin.publish_catalog(c, path))
    catalog = Path("resources/catalogs/ct24-hn.v1.json")
    assert server.call(lambda c: admin.publish_catalog(c, catalog)).imported
    assert server.call(lambda c: admin.publish_catalog(c, path)).imported
    a, b = make_device("a"), make_device("b")
    server.enroll(a)
    server.enroll(b)
    result = a.services.sync.sync()
    assert result.refdata_events >= 3
    assert a.services.catalogs.checklist("ct24-mot-cua", 7).version == 7
    roster = dict(a.store.conn.execute("SELECT device_id, revoked FROM team_devices"))
    assert roster == {a.services.ctx.device.device_id: 0, b.services.ctx.device.device_id: 0}
    server.call(lambda c: admin.revoke(c, b.services.ctx.device.device_id, "thất lạc"))
    a.services.sync.sync()
    assert a.store.scalar("SELECT revoked FROM team_devices WHERE device_id = ?",
                          (b.services.ctx.device.device_id,)) == 1
    with pytest.raises(UserError, match="thu hồi"):
        b.services.sync.sync()
    _verify(server, a)


def test_unreachable_server_is_a_clear_message(make_device: DeviceFactory, server: LiveServer) -> None:
    ws = make_device()
    server.enroll(ws)
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UserError, match="Không kết nối được máy chủ"):
        ws.services.sync.sync(server_url=f"http://127.0.0.1:{port}", retries=0)
    fresh = make_device("fresh")
    with pytest.raises(UserError, match="chưa đăng ký"):
        fresh.services.sync.sync()


def test_an_event_that_cannot_be_applied_is_refused_not_a_crash(server: LiveServer,
                                                                make_device: DeviceFactory) -> None:
    """A buggy or hostile device sends a well-formed, signed event whose projection fails: 422,
    nothing stored (the whole batch rolls back)."""
    from inspector.store.events import GENESIS, Event

    ws = make_device()
    server.enroll(ws)
    device = ws.services.ctx.device
    identity = ws.services.ctx.identity
    now = datetime.now(UTC)
    draft = Event(device.device_id, device.epoch, 1, GENESIS, int(now.timestamp() * 1000) << 16, to_rfc3339(now),
                  identity.id, identity.name, "finding.removed", "khong-ton-tai",
                  {"inspection_id": "khong-ton-tai", "parent": None})
    event = Event(**{**draft.__dict__, "hash": draft.computed_hash()})
    head = HeadStatement(device.device_id, device.epoch, 1, event.hash).signed_by(Signer.of(device))
    before = _state(server)
    response = signed(ws, server.url, "POST", "/sync/v1/events", encode_batch([Range(head, 1, [event])]))
    assert response.status_code == 422 and response.json()["error"] == "invalid", response.text
    assert _state(server) == before


def test_one_sync_at_a_time_per_data_directory(server: LiveServer, make_device: DeviceFactory) -> None:
    from inspector.sync.lock import sync_lock

    ws = make_device()
    server.enroll(ws)
    with sync_lock(ws.store.path.with_name("sync.lock")), pytest.raises(UserError, match="khác chạy"):
        ws.services.sync.sync()
    assert ws.services.sync.sync().attempts == 1  # released
