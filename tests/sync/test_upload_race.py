"""Issue 11, defect 2: concurrent chunk requests for one upload must never corrupt evidence.

Three requests race on one upload: A sends the first half slowly; B (the second half) arrives
while A holds the upload; C (garbage for the second half, with a correct chunk checksum) arrives
just after A finished, while B is still streaming (the old server dropped A's lock from its dict
with B waiting, so C wrote alongside B and a corrupt file was stored under the blob's hash).
A blob may be stored under a hash only if the file on disk has exactly that hash, no request may
keep writing into a stored file, B is refused at once (423: the lock is held, nobody waits) and
C's file fails the whole-file check on the bytes read back (422)."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from inspector.errors import UserError
from inspector.sync.httpsig import sign_request
from inspector.sync.keys import Signer
from inspector.workspace import Workspace
from tests.sync.conftest import DeviceFactory
from tests.sync.data import record
from tests.sync.forge import raw_request, status_of
from tests.sync.harness import LiveServer, wait_until

HALF = 64 * 1024
PIECE = 4096


def _patch_head(ws: Workspace, upload_id: str, offset: int, body: bytes) -> bytes:
    path = f"/sync/v1/uploads/{upload_id}"
    auth = sign_request(Signer.of(ws.services.ctx.device), "PATCH", path, body, created=int(time.time()))
    lines = [f"PATCH {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}",
             f"Upload-Offset: {offset}", "Content-Type: application/offset+octet-stream", "Connection: close",
             *(f"{k}: {v}" for k, v in auth.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _pieces(data: bytes) -> list[bytes]:
    return [data[i:i + PIECE] for i in range(0, len(data), PIECE)]


def _stored_blobs_are_intact(server: LiveServer) -> None:
    for sha, size in server.call(lambda c: c.store.conn.execute(
            "SELECT sha256, size FROM blobs WHERE state = 'ok'").fetchall()):
        data = server.central.vault.path_for(sha).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha, f"blob {sha[:12]} corrupt"


def test_racing_chunks_never_store_a_corrupt_blob(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    insp = record(ws, 1)
    for round_ in range(3):
        ws.services.evidence.attach_bytes(insp.id, bytes([round_]) * 16 + __import__("os").urandom(2 * HALF - 16),
                                          f"anh-{round_}.png")
        cancel = threading.Event()
        with pytest.raises(UserError):  # the event goes up and the upload starts; no chunk sent
            ws.services.sync.sync(lambda p, stop=cancel: stop.set() if p.phase == "blobs" else None, cancel)
        sha = ws.store.scalar("SELECT sha256 FROM evidence ORDER BY added_at DESC, id DESC LIMIT 1")
        data = ws.services.ctx.vault.path_for(sha).read_bytes()
        upload_id = server.call(lambda c, sha=sha: c.store.scalar(
            "SELECT upload_id FROM uploads WHERE sha256 = ?", (sha,)))
        garbage = b"\xee" * HALF
        answers: dict[str, bytes] = {}

        def send(name: str, offset: int, body: bytes, pause: float, uid: str = upload_id,
                 out: dict[str, bytes] = answers) -> None:
            out[name] = raw_request(server.port, _patch_head(ws, uid, offset, body), iter(_pieces(body)),
                                        pause=pause)

        a = threading.Thread(target=send, args=("a", 0, data[:HALF], 0.05))
        b = threading.Thread(target=send, args=("b", HALF, data[HALF:], 0.15))
        part = server.central.vault.tmp / f"upload-{upload_id}.part"
        a.start()  # A streams 16 pieces 50 ms apart: it holds the upload's lock for ~0.8 s
        assert wait_until(lambda part=part: part.exists() and part.stat().st_size > 0, 10), "A never wrote"
        b.start()
        a.join()
        c = threading.Thread(target=send, args=("c", HALF, garbage, 0.15))
        c.start()
        b.join()
        c.join()
        _stored_blobs_are_intact(server)
        assert status_of(answers["a"]) == 204, answers["a"][:300]
        # B came while A held the upload: refused at once, it never waited and never wrote
        assert status_of(answers["b"]) == 423, answers["b"][:300]
        # C wrote garbage with a correct chunk checksum: the whole file, read back, is not the blob
        assert status_of(answers["c"]) == 422 and b"whole_mismatch" in answers["c"], answers["c"][:300]
        # An absence check, so a fixed time: nothing may keep writing into a stored file after the answers.
        time.sleep(0.5)
        _stored_blobs_are_intact(server)
        ws.services.sync.sync()  # the device finishes the upload properly
        assert server.call(lambda c, sha=sha: c.vault.verify(sha, 2 * HALF))
        _stored_blobs_are_intact(server)
    assert not list(server.central.vault.tmp.glob("upload-*.part"))
