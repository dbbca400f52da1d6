"""Hostile bundles: every byte of the header, manifest, signature and trailer flipped, random
payload bytes flipped, truncations — all rejected before any durable write. Path tricks in every
name-like field: no name from a bundle ever becomes a file path."""

from __future__ import annotations

import os
import random
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.central.bundles import import_bundle
from inspector.central.storage.audit import verify_central_store
from inspector.errors import UserError
from inspector.ids import uuid7
from inspector.sync import state
from inspector.sync.bundle import new_manifest, read_envelope, write_file
from inspector.sync.bundle_keys import encryption
from inspector.sync.wire import encode_batch
from inspector.workspace import Workspace
from tests.sync.conftest import DeviceFactory
from tests.sync.data import record
from tests.sync.harness import LiveServer, server_state

TRICKS = ["../../x", "/etc/x", "C:\\Windows\\x", "\\\\host\\share\\x", "a\x00b", "CON", "AUX",
          "x" * 300, "\u2024\u2024/x", "\u202etxt.exe", "blobs/tmp/../../evil"]
CAS_PATH = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


def _try_import(server: LiveServer, path: Path) -> None:
    server.call(lambda c: import_bundle(c, path))


def _changes(server: LiveServer) -> int:
    return int(server.call(lambda c: c.store.conn.total_changes))


def _files(root: Path, skip: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if skip not in p.parents and p != skip}


@pytest.fixture
def enrolled(server: LiveServer, make_device: DeviceFactory) -> Workspace:
    ws = make_device()
    server.enroll(ws)
    # Photos larger than an age chunk (64 KiB): a flip late in the payload must still leave no
    # blob written from the chunks before it (verify everything, then write).
    record(ws, 2, photos=2, photo_size=80_000)
    return ws


def test_flipped_and_truncated_bundles_are_rejected_before_any_write(
        server: LiveServer, enrolled: Workspace, tmp_path: Path, rng: random.Random) -> None:
    good = tmp_path / "good.inspb"
    enrolled.services.sync.export_bundle(good)
    data = good.read_bytes()
    env = read_envelope(good)
    before = server_state(server.database, server.data_dir / "blobs")
    changes = _changes(server)
    positions = list(range(env.payload_offset)) + list(range(len(data) - 44, len(data)))
    positions += [rng.randrange(env.payload_offset, len(data) - 44) for _ in range(300)]
    bad = tmp_path / "bad.inspb"
    for pos in positions:
        mutated = bytearray(data)
        mutated[pos] ^= 0xFF
        bad.write_bytes(bytes(mutated))
        with pytest.raises(UserError):
            _try_import(server, bad)
        assert _changes(server) == changes, f"byte {pos}: the database changed"
    cuts = sorted(set(range(0, len(data), 256)) | {rng.randrange(len(data)) for _ in range(200)})
    for cut in cuts:
        bad.write_bytes(data[:cut])
        with pytest.raises(UserError, match=r"không đầy đủ|bị cắt|không phải gói|vượt|không khớp"):
            _try_import(server, bad)
        assert _changes(server) == changes, f"cut at {cut}: the database changed"
    assert server_state(server.database, server.data_dir / "blobs") == before
    assert not list((server.data_dir / "blobs" / "tmp").iterdir())
    print(f"{len(positions)} flipped bytes, {len(cuts)} truncations rejected")
    _try_import(server, good)  # the intact file still imports
    assert _changes(server) > changes


def _handmade(ws: Workspace, path: Path, mutate: Callable[[dict[str, Any]], None]) -> None:
    """A bundle built like `bundle export`, with one manifest field replaced, properly signed."""
    transfer = ws.services.sync.transfer()
    link = state.load_link(ws.store.conn)
    assert link is not None
    ranges = transfer._ranges(link, for_peer=False)
    events = [e for r in ranges for e in r.events]
    blobs = transfer._blobs(events, for_peer=False)
    bundle_id = uuid.uuid4().hex
    events_bytes = encode_batch(ranges)
    manifest = new_manifest(
        bundle_id=bundle_id, kind="device-to-server", created_at="2026-11-22T08:00:00.000Z",
        source=transfer.signer, epoch=1, audience=[link.server_id],
        encryption=encryption([(link.server_id, link.server_x25519)]),
        ranges=[{"device": r.head.device_id, "epoch": r.head.epoch, "from": r.first_seq,
                 "to": r.head.seq, "head_hash": r.head.hash} for r in ranges],
        event_count=len(events), events=events_bytes, blobs=blobs)
    mutate(manifest)
    write_file(path, manifest, transfer.signer, events_bytes, blobs)


FIELDS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "bundle_id": lambda m, t: m.__setitem__("bundle_id", t),
    "kind": lambda m, t: m.__setitem__("kind", t),
    "created_at": lambda m, t: m.__setitem__("created_at", t),
    "source device": lambda m, t: m["source"].__setitem__("device", t),
    "audience": lambda m, t: m.__setitem__("audience", [t]),
    "recipient": lambda m, t: m["encryption"]["recipients"][0].__setitem__("id", t),
    "range device": lambda m, t: m["event_ranges"][0].__setitem__("device", t),
    "blob sha256": lambda m, t: m["blobs"][0].__setitem__("sha256", t),
}


def test_names_in_a_bundle_never_become_paths(server: LiveServer, enrolled: Workspace,
                                             tmp_path: Path) -> None:
    work = tmp_path / "tricks"
    work.mkdir()
    before = _files(tmp_path, work)
    cwd_before = set(os.listdir(Path.cwd()))
    changes = _changes(server)
    for name, mutate in FIELDS.items():
        for n, trick in enumerate(TRICKS):
            path = work / f"{n}.inspb"
            _handmade(enrolled, path, lambda m, mutate=mutate, trick=trick: mutate(m, trick))
            with pytest.raises(UserError):
                _try_import(server, path)
            assert _changes(server) == changes, (name, trick)
    assert _files(tmp_path, work) == before
    # A device that does not validate its own input: evidence named with every trick is only
    # metadata; the blob is stored under the hash the server computed, nowhere else.
    ws = enrolled
    tricks = TRICKS
    if server.database.postgres:  # PostgreSQL text cannot hold U+0000: such data is refused whole
        tricks = [t for t in TRICKS if "\x00" not in t]
    for trick in tricks:
        data = b"%PDF-1.4 " + trick.encode("utf-8", "replace")
        blob = ws.services.ctx.vault.put_bytes(data)
        inspection = ws.store.scalar("SELECT id FROM inspections")
        with ws.store.transaction() as conn:
            ws.services.ctx.record(conn, "evidence.added", uuid7(), {
                "inspection_id": inspection, "finding_id": None, "sha256": blob.sha256,
                "size": blob.size, "file_name": trick, "media_type": trick, "kind": "document",
                "caption": trick, "captured_at": None})
    ws.services.sync.export_bundle(work / "names.inspb")
    server_files = _files(server.data_dir, work)
    _try_import(server, work / "names.inspb")
    created = _files(server.data_dir, work) - server_files
    blob_files = {f for f in created if f.startswith("blobs/") and (server.data_dir / f).is_file()}
    assert blob_files and all(CAS_PATH.match(f.removeprefix("blobs/")) for f in blob_files), created
    assert not {f for f in created if not f.startswith("blobs/") and not f.startswith("central.db")}
    assert set(os.listdir(Path.cwd())) == cwd_before
    names = {r[0] for r in server.call(lambda c: c.store.conn.execute(
        "SELECT file_name FROM evidence").fetchall())}
    assert set(tricks) <= names
    assert server.call(lambda c: verify_central_store(c.store)).ok
    if server.database.postgres:
        nul = ws.services.ctx.vault.put_bytes(b"%PDF-1.4 nul")
        with ws.store.transaction() as conn:
            ws.services.ctx.record(conn, "evidence.added", uuid7(), {
                "inspection_id": ws.store.scalar("SELECT id FROM inspections"), "finding_id": None,
                "sha256": nul.sha256, "size": nul.size, "file_name": "a\x00b", "media_type": "x",
                "kind": "document", "caption": "", "captured_at": None})
        ws.services.sync.export_bundle(work / "nul.inspb")
        # the database is unchanged (the verified blob may already be in the content store, as
        # with any import refused at commit: it is unreferenced and collected like any orphan)
        state = server_state(server.database, work / "no-blobs")
        with pytest.raises(UserError):
            _try_import(server, work / "nul.inspb")
        assert server_state(server.database, work / "no-blobs") == state


def _resigned(ws: Workspace, good: Path, out: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """The same bundle with its manifest changed and signed again by its device (a valid signature)."""
    import hashlib
    import struct

    from inspector import canonical
    from inspector.sync.bundle import SIG_DOMAIN
    from inspector.sync.keys import Signer

    env = read_envelope(good)
    manifest = dict(env.manifest)
    change(manifest)
    body = canonical.encode(manifest)
    digest = hashlib.sha256(body).digest()
    data = good.read_bytes()
    payload = data[env.payload_offset:len(data) - 44]
    head = data[:13] + struct.pack(">I", len(body)) + body + Signer.of(ws.services.ctx.device).sign(
        SIG_DOMAIN + digest)
    total = len(head) + len(payload) + 44
    out.write_bytes(head + payload + b"END\x00" + digest + struct.pack(">Q", total))


def test_the_payload_is_a_standard_age_file(server: LiveServer, enrolled: Workspace, tmp_path: Path) -> None:
    import pyrage

    from inspector.sync.bundle_keys import identity

    good = tmp_path / "good.inspb"
    enrolled.services.sync.export_bundle(good)
    env = read_envelope(good)
    age_file = good.read_bytes()[env.payload_offset:env.payload_offset + env.payload_length]
    assert age_file.startswith(b"age-encryption.org/v1\n")
    plain = pyrage.decrypt(age_file, [server.call(lambda c: identity(c.signer))])  # any age reader opens it
    assert len(plain) == env.manifest["payload_bytes"]
    assert plain[:env.manifest["events_bytes"]].startswith(b"{")
    recipients = {r["id"] for r in env.manifest["encryption"]["recipients"]}
    assert recipients == {server.call(lambda c: c.server_id), enrolled.services.ctx.device.device_id}
    changes = _changes(server)
    # Signed again by the device itself, but the server is no longer a recipient: refused, unread.
    _resigned(enrolled, good, tmp_path / "not-for-us.inspb", lambda m: m.__setitem__("encryption", {
        **m["encryption"], "recipients": [r for r in m["encryption"]["recipients"]
                                          if r["id"] == enrolled.services.ctx.device.device_id]}))
    with pytest.raises(UserError, match="không được gửi cho máy này"):
        _try_import(server, tmp_path / "not-for-us.inspb")
    # The encryption of the first test builds (never released): a clear message.
    _resigned(enrolled, good, tmp_path / "old.inspb", lambda m: m.__setitem__("encryption", {
        "alg": "x25519-hkdf-sha256+aes-256-gcm", "ephemeral": "0" * 64, "chunk_size": 1 << 20,
        "recipients": [{"id": server.call(lambda c: c.server_id), "wrap": "0" * 120}]}))
    with pytest.raises(UserError, match="phiên bản thử nghiệm cũ"):
        _try_import(server, tmp_path / "old.inspb")
    assert _changes(server) == changes
