"""Recording realistic data on a device for the sync tests."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx

from inspector import canonical
from inspector.domain import Inspection
from inspector.sync.httpsig import sign_request
from inspector.sync.keys import Signer
from inspector.workspace import Workspace
from tests.factories import make_inspection


def record(ws: Workspace, findings: int, *, photos: int = 0, photo_size: int = 20_000,
           seed: int = 1, subjects: int = 5, inspection: Inspection | None = None) -> Inspection:
    """An inspection with `findings` finding edits and `photos` evidence files (random bytes)."""
    s = ws.services
    insp = inspection or make_inspection(s, subjects=subjects)
    items = [i.code for i in s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version).items]
    cells = [(code, subj.id) for code in items for subj in insp.subjects]
    rand = random.Random(seed)
    with s.ctx.store.batch():
        for n in range(findings):
            code, subject = cells[n % len(cells)]
            s.findings.record(insp.id, code, subject, level=rand.randrange(4), note=f"ghi chú {n}")
    for n in range(photos):
        data = b"\x89PNG\r\n\x1a\n" + rand.randbytes(photo_size) + n.to_bytes(4, "big")
        s.evidence.attach_bytes(insp.id, data, f"anh-{n}.png")
    return insp


def signed(ws: Workspace, url: str, method: str, path: str, body: bytes = b"", *,
           created: int | None = None, nonce: str | None = None, signer: Signer | None = None,
           send_body: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """A hand-made signed request (to test what the server refuses)."""
    who = signer or Signer.of(ws.services.ctx.device)
    auth = sign_request(who, method, path, body, created=created or int(time.time()), nonce=nonce)
    return httpx.request(method, url + path, content=body if send_body is None else send_body,
                         headers={**auth, **(headers or {})}, timeout=30)


def session_body(chains: list[list[Any]] | None = None) -> bytes:
    return canonical.encode({"protocol": 1, "chains": chains or []})
