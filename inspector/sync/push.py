"""Pushing events: from the server's head of each chain, in log order, in batches.

Batches are prefixes of the unsent events in (hlc, device, epoch, seq) order, so every batch
refers only to things the server already has or receives in the same batch. This device's own
chains may be cut anywhere (it signs a fresh head statement); a relayed chain (another device's
events carried by a team leader) is sent up to a head statement its owner signed, so a batch is
extended until every relayed chain in it ends exactly there.

If the server refuses a chain (403: its device may not write what it holds, see
docs/sync-protocol.md), the chain is recorded as refused and no longer sent; for this device's
own chain that stops the sync with the server's reason, for a relayed chain the push goes on
without it.
"""

from __future__ import annotations

import threading
from typing import Any

from inspector import canonical
from inspector.errors import UserError
from inspector.store.events import GENESIS, Event
from inspector.sync import state, steps
from inspector.sync.merge import chain_events, chain_head, sort_key, stored_hash
from inspector.sync.progress import Progress, SyncProgress, check_cancel
from inspector.sync.receipts import ChainAck
from inspector.sync.steps import SyncContext, fork_error
from inspector.sync.transport import Transport, TransportError
from inspector.sync.wire import PROTOCOL, ChainKey, HeadStatement, Range, WireError, encode_batch


def _acks(items: list[dict[str, Any]]) -> list[ChainAck]:
    try:
        return [ChainAck(str(a["device"]), int(a["epoch"]), int(a["seq"]), str(a["hash"])) for a in items]
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError("Máy chủ trả lời không đúng định dạng.") from exc


class _Replan(Exception):
    """A relayed chain was refused: plan the push again without it."""


class EventPusher:
    def __init__(self, ctx: SyncContext, http: Transport, link: state.ServerLink, *,
                 batch_events: int | None = None) -> None:
        self.ctx = ctx
        self.http = http
        self.link = link
        self.batch_events = batch_events
        self.conn = ctx.store.conn
        self.sent = 0
        self.missing: list[str] = []

    def chains(self) -> list[ChainKey]:
        return state.sent_chains(self.conn, self.link)

    def chain_refs(self) -> list[list[Any]]:
        """[device, epoch, local head seq] for each chain (the server caps relayed ones there)."""
        return [[d, e, chain_head(self.conn, (d, e))[0]] for d, e in self.chains()]

    def open_session(self) -> dict[str, Any]:
        body = canonical.encode({"protocol": PROTOCOL, "chains": self.chain_refs()})
        data = self.http.json("POST", "/sync/v1/session", body)
        if data.get("server_id") != self.link.server_id:
            raise UserError("Máy chủ trả lời không phải máy chủ mà thiết bị đã đăng ký (khóa khác).",
                            hint="Kiểm tra địa chỉ máy chủ; nếu máy chủ đã được cài lại, đăng ký lại thiết bị.")
        if not isinstance(data.get("heads"), list) or not isinstance(data.get("limits"), dict):
            raise WireError("Máy chủ trả lời không đúng định dạng.")
        return data

    def _diverged(self, chain: ChainKey, seq: int, detail: dict[str, Any]) -> UserError:
        self.ctx.write(lambda c: steps.diverged(c, chain, seq, detail))
        return fork_error(chain, seq)

    def _record(self, acks: list[ChainAck]) -> None:
        now = self.ctx.now()
        self.ctx.write(lambda c: steps.record_acks(c, acks, now))

    def _unsent(self, heads: dict[ChainKey, tuple[int, str]]) -> list[Event]:
        own = self.ctx.device.device_id
        out: list[Event] = []
        for chain in self.chains():
            server_seq, server_hash = heads.get(chain, (0, GENESIS))
            local_seq, _ = chain_head(self.conn, chain)
            if server_seq > local_seq or (server_seq and stored_hash(self.conn, *chain, server_seq)
                                          != server_hash):
                raise self._diverged(chain, min(server_seq, local_seq + 1), {"server_hash": server_hash})
            upto = None
            if chain[0] != own:
                head = state.signed_head(self.conn, chain)
                if head is None:
                    continue
                upto = head.seq
            out += chain_events(self.conn, chain, server_seq, upto)
        return sorted(out, key=sort_key)

    def _plan(self, unsent: list[Event], size: int) -> int:
        """How many of the unsent events the next batch takes (relayed chains end at signed heads)."""
        own = self.ctx.device.device_id
        where = {(e.device_id, e.epoch, e.seq): i for i, e in enumerate(unsent)}
        end = min(size, len(unsent))
        while True:
            last: dict[ChainKey, int] = {}
            for e in unsent[:end]:
                last[(e.device_id, e.epoch)] = e.seq
            grow = end
            for chain, seq in last.items():
                if chain[0] == own:
                    continue
                head = state.signed_head(self.conn, chain)
                if head is not None and head.seq > seq:
                    grow = max(grow, where[(*chain, head.seq)] + 1)
            if grow == end:
                return end
            end = grow

    def _ranges(self, events: list[Event]) -> list[Range]:
        by_chain: dict[ChainKey, list[Event]] = {}
        for e in events:
            by_chain.setdefault((e.device_id, e.epoch), []).append(e)
        ranges = []
        for chain, items in sorted(by_chain.items()):
            items.sort(key=lambda e: e.seq)
            last = items[-1]
            if chain[0] == self.ctx.device.device_id:
                head = HeadStatement(*chain, last.seq, last.hash).signed_by(self.ctx.signer)
            else:
                stored = state.signed_head(self.conn, chain)
                assert stored is not None and stored.seq == last.seq
                head = stored
            ranges.append(Range(head, items[0].seq, items))
        return ranges

    def push(self, session: dict[str, Any], progress: Progress, cancel: threading.Event) -> tuple[int, list[str]]:
        self.sent, self.missing = 0, []
        while True:
            try:
                self._push(session, progress, cancel)
                return self.sent, self.missing
            except _Replan:
                session = self.open_session()  # heads as the server has them now

    def _refused(self, exc: TransportError) -> None:
        """A 403 for a chain: recorded; raised for this device's own chain, skipped for a relayed one."""
        body = exc.body
        try:
            chain = (str(body["device"]), int(body["epoch"]))
            seq = int(body["seq"])
        except (KeyError, TypeError, ValueError):
            raise exc.user_error() from exc
        own = chain[0] == self.ctx.device.device_id
        code, message, now = str(body.get("cause", "")), exc.error.render(), self.ctx.now()
        self.ctx.write(lambda c: steps.refused(c, chain, seq, code, message, now, own))
        if own:
            raise exc.user_error() from exc
        raise _Replan() from exc

    def _push(self, session: dict[str, Any], progress: Progress, cancel: threading.Event) -> None:
        mine = set(self.chains())
        heads = {(a.device_id, a.epoch): (a.seq, a.hash) for a in _acks(session["heads"])
                 if (a.device_id, a.epoch) in mine}
        unsent = self._unsent(heads)
        self._record([ChainAck(*chain, *head) for chain, head in heads.items() if head[0]])
        size = max(1, min(self.batch_events or 10**9, int(session["limits"]["batch_events"])))
        total = self.sent + len(unsent)
        if unsent:
            progress(SyncProgress("events", f"Cần gửi {total} thay đổi.", self.sent, total))
        while unsent:
            check_cancel(cancel)
            take = self._plan(unsent, size)
            batch, unsent = unsent[:take], unsent[take:]
            try:
                response = self.http.request("POST", "/sync/v1/events", encode_batch(self._ranges(batch)),
                                             headers={"Content-Type": "application/x-ndjson"})
            except TransportError as exc:
                if exc.code == "fork":
                    chain = (str(exc.body.get("device")), int(exc.body.get("epoch", 0)))
                    raise self._diverged(chain, int(exc.body.get("seq", 0)), {"source": "push"}) from exc
                if exc.code == "forbidden":
                    self._refused(exc)
                raise
            data = response.json()
            self._record(_acks(data.get("acked", [])))
            self.missing += [s for s in data.get("missing_blobs", []) if isinstance(s, str)]
            self.sent += len(batch)
            progress(SyncProgress("events", f"Đã gửi {self.sent}/{total} thay đổi.", self.sent, total))
