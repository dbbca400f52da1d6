"""Forging what a hostile (or buggy) enrolled device could send: events with chosen fields in its
own chain, signed batches, raw requests with exact bytes on the wire."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from inspector.store import projection
from inspector.store.events import GENESIS, Event, insert_event, iter_events
from inspector.sync.keys import Signer
from inspector.sync.wire import HeadStatement, Range, encode_batch
from inspector.workspace import Workspace


def chain(ws: Workspace) -> list[Event]:
    device = ws.services.ctx.device
    events = iter_events(ws.store.conn, "WHERE device_id = ? AND epoch = ?", (device.device_id, device.epoch))
    return sorted(events, key=lambda e: e.seq)


def next_event(ws: Workspace, type_: str, entity: str, payload: dict[str, Any], *,
               after: Event | None = None, **fields: Any) -> Event:
    """The next event of this device's chain (or after `after`), with any field overridden."""
    device = ws.services.ctx.device
    own = chain(ws)
    prev = after or (own[-1] if own else None)
    author = ws.services.ctx.identity.author()
    draft = Event(device.device_id, device.epoch, (prev.seq if prev else 0) + 1,
                  prev.hash if prev else GENESIS, (prev.hlc + 1) if prev else int(time.time() * 1000) << 16,
                  prev.at if prev else "2026-11-22T08:00:00.000Z", author.id, author.name, type_, entity,
                  payload)
    draft = replace(draft, **fields)
    return replace(draft, hash=draft.computed_hash())


def store_own(ws: Workspace, event: Event) -> None:
    """Append a forged event to the device's own log and tables, as a modified client would."""
    with ws.store.transaction() as conn:
        insert_event(conn, event)
        projection.apply(conn, event)


def batch(ws: Workspace, events: list[Event]) -> bytes:
    signer = Signer.of(ws.services.ctx.device)
    last = events[-1]
    head = HeadStatement(last.device_id, last.epoch, last.seq, last.hash).signed_by(signer)
    return encode_batch([Range(head, events[0].seq, events)])


def finding_payload(ws: Workspace) -> dict[str, Any]:
    """A finding.set payload copied from this device's latest finding (a valid cell)."""
    for event in reversed(chain(ws)):
        if event.type == "finding.set":
            return dict(event.payload)
    raise AssertionError("no finding recorded on this device")


def raw_request(port: int, head: bytes, body: Iterator[bytes] | bytes = b"", *,
                pause: float = 0.0, timeout: float = 30.0) -> bytes:
    """Send exact bytes (headers, then the body piece by piece with pauses) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        pieces = [body] if isinstance(body, bytes) else body
        for piece in pieces:
            if pause:
                time.sleep(pause)
            sock.sendall(piece)
        data = b""
        while True:
            try:
                part = sock.recv(65536)
            except OSError:
                break
            if not part:
                break
            data += part
            if b"\r\n\r\n" in data:
                header, _, rest = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in header.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if len(rest) >= length:
                    break
        return data


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
