"""An enrolled device turned hostile, and anyone on the network: what the server must refuse.

Each test reproduces one attack from issue 11 against a real server on loopback (real HTTP, real
SQLite files) and checks that it is refused with a reason, changes nothing it should not, and
leaves the office in control (enrollment, revocation and publishing keep working)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inspector import canonical
from inspector.central import admin
from inspector.central.storage import Database
from inspector.errors import UserError
from inspector.ids import uuid7
from inspector.store.device import device_id_for
from inspector.sync.httpsig import sign_request
from inspector.sync.keys import Signer
from inspector.sync.wire import PROTOCOL
from tests.sync.conftest import DeviceFactory, ShiftClock
from tests.sync.data import record, session_body, signed
from tests.sync.forge import batch, chain, finding_payload, next_event, store_own
from tests.sync.harness import LiveServer, server_state

CATALOG = Path("resources/catalogs/ct24-hn.v1.json")


def _state(server: LiveServer) -> str:
    return server_state(server.database, server.data_dir / "blobs")


def _fresh_signer() -> Signer:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    return Signer(device_id_for(public), public, private)


def raw_enroll(url: str, token: str, *, headers: dict[str, str] | None = None,
               signer: Signer | None = None) -> httpx.Response:
    """An enrollment as a laptop sends it, from a fresh key (no workspace needed)."""
    who = signer or _fresh_signer()
    fields = {"token": token, "public_key": who.public_key.hex(), "x25519_public": who.x25519_public().hex(),
              "label": "máy thử", "epoch": 1, "protocol": PROTOCOL}
    if PROTOCOL >= 2:  # protocol 2: the device's person (author of its events) is enrolled with it
        fields["person"] = {"id": uuid7(), "name": "Người thử"}
    body = canonical.encode(fields)
    auth = sign_request(who, "POST", "/sync/v1/enroll", body, created=int(time.time()))
    return httpx.post(url + "/sync/v1/enroll", content=body, headers={**auth, **(headers or {})}, timeout=30)


# -- defect 1: clock values ----------------------------------------------------------------------
def test_a_clock_value_at_the_end_of_time_is_refused_and_the_office_keeps_control(
        server: LiveServer, make_device: DeviceFactory) -> None:
    attacker = make_device("attacker")
    server.enroll(attacker)
    record(attacker, 2)
    attacker.services.sync.sync()
    last = next(e for e in reversed(chain(attacker)) if e.type == "finding.set")
    poisoned = next_event(attacker, "finding.set", last.entity_id,
                          {**last.payload, "level": 3, "note": "thắng mãi mãi", "parent": last.hash},
                          hlc=2**63 - 1)
    store_own(attacker, poisoned)
    before = _state(server)
    with pytest.raises(UserError, match=r"[Đđ]ồng hồ"):
        attacker.services.sync.sync()
    direct = signed(attacker, server.url, "POST", "/sync/v1/events", batch(attacker, [poisoned]))
    assert direct.status_code == 422 and direct.json()["error"] == "clock", direct.text
    assert "giờ" in direct.json()["hint"]
    assert _state(server) == before
    # the office keeps working: a new device enrolls, the attacker is revoked, a catalog published
    other = make_device("other")
    server.enroll(other)
    server.call(lambda c: admin.revoke(c, attacker.services.ctx.device.device_id, "đồng hồ giả"))
    assert server.call(lambda c: admin.publish_catalog(c, CATALOG)).imported
    other.services.sync.sync()
    assert server.call(lambda c: c.store.scalar("SELECT max(hlc) FROM events")) < 2**62


def test_clock_values_before_the_product_existed_are_refused(server: LiveServer,
                                                              make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    record(ws, 1)
    ws.services.sync.sync()
    last = next(e for e in reversed(chain(ws)) if e.type == "finding.set")
    for hlc, at in ((0, last.at), (last.hlc + 1, "1970-01-01T00:00:00.000Z"),
                    (last.hlc + 1, "2999-01-01T00:00:00.000Z")):
        forged = next_event(ws, "finding.set", last.entity_id, {**last.payload, "parent": last.hash},
                            hlc=hlc, at=at)
        answer = signed(ws, server.url, "POST", "/sync/v1/events", batch(ws, [forged]))
        assert answer.status_code == 422 and answer.json()["error"] == "clock", (hlc, at, answer.text)


def test_a_laptop_whose_clock_runs_ahead_is_told_to_fix_it(server: LiveServer, server_clock: ShiftClock,
                                                           make_device: DeviceFactory) -> None:
    ws = make_device(clock=ShiftClock(timedelta(hours=2)))
    server.enroll(ws)
    insp = record(ws, 3)
    with pytest.raises(UserError, match=r"[Đđ]ồng hồ") as refused:
        ws.services.sync.sync()
    assert "chỉnh" in refused.value.render().lower()
    assert ws.services.sync.inspection_status(insp.id).state != "complete"
    server_clock.offset = timedelta(hours=2, minutes=10)  # time catches up: the same events go in
    result = ws.services.sync.sync()
    assert result.events_sent > 0 and ws.services.sync.inspection_status(insp.id).state == "complete"


# -- defect 3: hostile JSON ---------------------------------------------------------------------
def _health_while(server: LiveServer, work: threading.Thread) -> list[float]:
    latencies = []
    with httpx.Client(timeout=30) as client:
        work.start()
        while work.is_alive():
            start = time.perf_counter()
            client.get(server.url + "/health").raise_for_status()
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)
    return latencies


def test_a_hostile_enrollment_body_is_refused_at_once_and_health_keeps_answering(server: LiveServer) -> None:
    body = b"[" * 40 + b'\\"' * 32_000  # 64 KiB: quadratic for a regex that strips strings
    signer = _fresh_signer()
    auth = sign_request(signer, "POST", "/sync/v1/enroll", body, created=int(time.time()))
    answers: list[httpx.Response] = []
    took: list[float] = []

    def send() -> None:
        start = time.perf_counter()
        answers.append(httpx.post(server.url + "/sync/v1/enroll", content=body, headers=auth, timeout=120))
        took.append(time.perf_counter() - start)

    latencies = _health_while(server, threading.Thread(target=send))
    assert answers and 400 <= answers[0].status_code < 500 and answers[0].json()["message"]
    assert took[0] < 2.0, f"hostile body took {took[0]:.1f} s"
    assert max(latencies, default=0) < 0.5, f"/health took {max(latencies):.2f} s"


def test_a_crafted_unsigned_bundle_manifest_is_refused_before_parsing(tmp_path: Path) -> None:
    import hashlib
    import struct
    import subprocess
    import sys

    from inspector.central.server import Central

    Central(tmp_path / "central").close()
    manifest = b"[" * 40 + b'\\"' * 128_000
    head = b"INSPBNDL\x00" + struct.pack(">HH", 1, 0) + struct.pack(">I", len(manifest)) + manifest
    head += b"\x01" * 64
    total = len(head) + 4 + 32 + 8
    (tmp_path / "evil.inspb").write_bytes(head + b"END\x00" + hashlib.sha256(manifest).digest()
                                          + struct.pack(">Q", total))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "inspector", "central", "import-bundle",
                           str(tmp_path / "evil.inspb"), "--data-dir", str(tmp_path / "central")],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "chữ ký" in done.stderr.lower()
    assert time.perf_counter() - start < 15


# -- defect 4: uploads belong to their device ------------------------------------------------------
def test_an_upload_cannot_be_taken_over_by_another_device(server: LiveServer, make_device: DeviceFactory) -> None:
    owner, teammate, stranger = make_device("owner"), make_device("teammate"), make_device("stranger")
    server.enroll(owner)
    server.enroll(teammate)
    server.enroll(stranger, team="doan-2")
    record(owner, 2, photos=1, photo_size=200_000)
    cancel = threading.Event()
    with pytest.raises(UserError):  # events pushed, the upload started, no chunk sent
        owner.services.sync.sync(lambda p: cancel.set() if p.phase == "blobs" else None, cancel)
    sha, size = owner.store.conn.execute("SELECT sha256, size FROM evidence").fetchone()
    upload_id = server.call(lambda c: c.store.scalar("SELECT upload_id FROM uploads WHERE sha256 = ?", (sha,)))
    assert upload_id
    body = json.dumps({"sha256": sha, "size": size}).encode()
    refused = signed(stranger, server.url, "POST", "/sync/v1/uploads", body)
    assert refused.status_code == 409 and refused.json()["error"] == "not_expected", refused.text
    own = signed(teammate, server.url, "POST", "/sync/v1/uploads", body)  # it may relay: its own upload
    assert own.status_code in (200, 201) and own.json()["upload_id"] != upload_id, own.text
    for who in (stranger, teammate):
        head = signed(who, server.url, "HEAD", f"/sync/v1/uploads/{upload_id}")
        assert head.status_code == 404
        garbage = signed(who, server.url, "PATCH", f"/sync/v1/uploads/{upload_id}", b"\x00" * 1000,
                         headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert garbage.status_code == 404, garbage.text
    owner.services.sync.sync()
    assert server.call(lambda c: c.vault.verify(sha, size))
    assert owner.services.sync.inspection_statuses() and all(
        s.state == "complete" for s in owner.services.sync.inspection_statuses().values())


# -- defect 5: writes tied to the writing device ----------------------------------------------------
def test_a_device_cannot_write_into_another_teams_inspection(server: LiveServer,
                                                             make_device: DeviceFactory) -> None:
    owner, intruder = make_device("owner"), make_device("intruder")
    server.enroll(owner, team="doan-A")
    server.enroll(intruder, team="doan-E")
    insp = record(owner, 3)
    owner.services.sync.sync()
    intruder.services.sync.sync()
    cell = finding_payload(owner)
    forged = next_event(intruder, "finding.set", uuid7(), {**cell, "level": 3, "note": "sửa trộm",
                                                           "parent": None})
    before = server.call(lambda c: list(c.store.conn.execute(
        "SELECT id, level, note FROM findings WHERE inspection_id = ? ORDER BY id", (insp.id,))))
    answer = signed(intruder, server.url, "POST", "/sync/v1/events", batch(intruder, [forged]))
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden", answer.text
    assert answer.json()["message"] and answer.json()["seq"] == forged.seq
    after = server.call(lambda c: list(c.store.conn.execute(
        "SELECT id, level, note FROM findings WHERE inspection_id = ? ORDER BY id", (insp.id,))))
    assert after == before
    held = server.call(admin.quarantined)
    assert [(q.device_id, q.seq, q.inspection_id) for q in held] == [
        (intruder.services.ctx.device.device_id, forged.seq, insp.id)]
    assert held[0].cause == "team"
    # a correction that supersedes the other team's inspection is refused the same way
    hijack = next_event(intruder, "inspection.created", uuid7(), {
        **next(e for e in chain(owner) if e.type == "inspection.created").payload, "supersedes": insp.id,
        "version_no": 2})
    answer = signed(intruder, server.url, "POST", "/sync/v1/events", batch(intruder, [hijack]))
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden", answer.text


def test_an_event_author_must_be_an_enrolled_person_of_the_team(server: LiveServer,
                                                                make_device: DeviceFactory) -> None:
    ws, teammate = make_device("ws"), make_device("teammate")
    server.enroll(ws)
    server.enroll(teammate)
    record(ws, 2)
    ws.services.sync.sync()
    cell = finding_payload(ws)
    stranger = next_event(ws, "finding.set", uuid7(), {**cell, "parent": None}, author_id=uuid7(),
                          author_name="Trưởng đoàn giả")
    answer = signed(ws, server.url, "POST", "/sync/v1/events", batch(ws, [stranger]))
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden", answer.text
    assert server.call(admin.quarantined)[0].cause == "author"
    mate = teammate.services.ctx.identity
    false_name = next_event(ws, "finding.set", uuid7(), {**cell, "parent": None}, author_id=mate.id,
                            author_name="Tên khác của đồng đội")
    answer = signed(ws, server.url, "POST", "/sync/v1/events", batch(ws, [false_name]))
    assert answer.status_code == 403, answer.text
    as_teammate = next_event(ws, "finding.set", uuid7(), {**cell, "parent": None}, author_id=mate.id,
                             author_name=mate.name)  # a teammate recording on this laptop: allowed
    answer = signed(ws, server.url, "POST", "/sync/v1/events", batch(ws, [as_teammate]))
    assert answer.status_code == 200, answer.text


# -- defect 8: every endpoint answers 4xx with a reason --------------------------------------------
def test_every_endpoint_answers_bad_input_with_a_reason(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    record(ws, 1)
    ws.services.sync.sync()
    own = ws.services.ctx.device.device_id
    huge = 2**70
    cases: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("POST", "/sync/v1/uploads", b"{not json", {}),
        ("POST", "/sync/v1/uploads", b"[1, 2]", {}),
        ("POST", "/sync/v1/uploads", b'{"sha256": 1, "size": "x"}', {}),
        ("POST", "/sync/v1/uploads", json.dumps({"sha256": "ab" * 32, "size": huge}).encode(), {}),
        ("POST", "/sync/v1/session", b"\xff\xfe\x00", {}),
        ("POST", "/sync/v1/session", session_body([[own, 1, huge]]), {}),
        ("POST", "/sync/v1/session", session_body([[own, huge, 1]]), {}),
        ("POST", "/sync/v1/receipt", canonical.encode({"chains": [[own, 1, huge]]}), {}),
        ("POST", "/sync/v1/blobs/missing", canonical.encode({"have": [["ab" * 32, huge]]}), {}),
        ("POST", "/sync/v1/events", b"garbage\n", {}),
        ("POST", "/sync/v1/events", b"", {}),
        ("GET", f"/sync/v1/changes?since={huge}&limit=5", b"", {}),
        ("GET", "/sync/v1/changes?since=-1", b"", {}),
        ("GET", "/sync/v1/changes?limit=abc", b"", {}),
        ("PATCH", "/sync/v1/uploads/" + "ab" * 16, b"x", {}),
        ("PATCH", "/sync/v1/uploads/" + "ab" * 16, b"x", {"Upload-Offset": str(huge)}),
        ("PATCH", "/sync/v1/uploads/zz", b"x", {"Upload-Offset": "0"}),
    ]
    for method, path, body, headers in cases:
        answer = signed(ws, server.url, method, path, body, headers=headers)
        assert 400 <= answer.status_code < 500, (method, path, body[:40], answer.status_code, answer.text)
        assert answer.json()["message"], (method, path)
    assert signed(ws, server.url, "HEAD", "/sync/v1/uploads/zz").status_code == 404
    unsigned = [httpx.post(server.url + "/sync/v1/enroll", content=b"{"),
                httpx.post(server.url + "/sync/v1/enroll", content=b"x" * 100_000),
                httpx.get(server.url + "/sync/v1/nothing-here"),
                httpx.delete(server.url + "/sync/v1/events")]
    for answer in unsigned:
        assert 400 <= answer.status_code < 500 and answer.json()["message"], answer.text
    assert server.call(lambda c: admin.verify(c, quick=True)).ok  # chains, tables, SQLite file check


# -- defect 10: the enrollment rate limit --------------------------------------------------------
def test_the_rate_limit_does_not_trust_forwarded_for_from_any_client(server: LiveServer) -> None:
    for n in range(10):
        answer = raw_enroll(server.url, "SAI-MA", headers={"X-Forwarded-For": f"10.1.2.{n}"})
        assert answer.status_code == 401, answer.text
    limited = raw_enroll(server.url, server.token(), headers={"X-Forwarded-For": "10.1.2.99"})
    assert limited.status_code == 429 and limited.json()["message"]


def test_an_office_enrolling_forty_laptops_from_one_address_is_not_limited(server: LiveServer) -> None:
    tokens = [server.token() for _ in range(40)]
    refused = [a.status_code for a in (raw_enroll(server.url, t) for t in tokens) if a.status_code != 200]
    assert refused == []
    assert len(server.call(admin.devices)) == 40


def test_forwarded_for_is_used_only_from_a_configured_proxy(tmp_path: Path, central_database: Database) -> None:
    with LiveServer(tmp_path / "server", trusted_proxies=("127.0.0.1",), database=central_database) as server:
        for n in range(12):  # each from another office behind the proxy: no one is limited
            answer = raw_enroll(server.url, "SAI-MA", headers={"X-Forwarded-For": f"10.1.2.{n}"})
            assert answer.status_code == 401, answer.text
        for _ in range(10):
            raw_enroll(server.url, "SAI-MA", headers={"X-Forwarded-For": "10.9.9.9"})
        assert raw_enroll(server.url, "SAI-MA", headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 429
        assert raw_enroll(server.url, server.token(), headers={"X-Forwarded-For": "10.9.9.8"}).status_code == 200
