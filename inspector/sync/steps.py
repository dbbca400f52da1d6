"""The only places where sync writes to this device's database, each one short transaction.

Long operations (a sync over the network, a bundle import) read through the store they are
given, which may be a read-only connection, and hand every write to a `Writer`: in the desktop
app that is the one writer thread (`inspector.ops.Committer`), in the command line the same
thread. A step never waits for the network. Each step marks `Changes(sync=True)` so the views
that show sync state refresh after it commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from inspector.changes import Changes
from inspector.clock import Clock, to_rfc3339
from inspector.errors import UserError
from inspector.services.context import Identity, ServiceContext
from inspector.store.db import Store
from inspector.store.device import DeviceIdentity
from inspector.sync import state
from inspector.sync.bundle import Envelope, record_import
from inspector.sync.keys import Signer
from inspector.sync.merge import KeyResolver, foreign_transaction, ingest
from inspector.sync.receipts import ChainAck, Receipt
from inspector.sync.wire import ChainKey, EventBatch, WireError
from inspector.vault import Vault

if TYPE_CHECKING:
    from inspector.ops import Committer

T = TypeVar("T")


class Writer(Protocol):
    """Runs a short database step with the writer's context and returns its result."""

    def __call__(self, fn: Callable[[ServiceContext], T], /) -> T: ...


def writer_for(commit: Committer | None, own: ServiceContext) -> Writer:
    """Writes go through `commit` (the app's writer), or run inline on `own` (the CLI, tests)."""

    class _Through:
        def __call__(self, fn: Callable[[ServiceContext], T], /) -> T:
            if commit is None:
                return fn(own)
            return commit(lambda services: fn(services.ctx))

    return _Through()


@dataclass(frozen=True)
class SyncContext:
    """What every sync step needs: where to read, where to write, who this device is."""

    store: Store  # reads only (possibly a query_only connection)
    vault: Vault
    device: DeviceIdentity
    identity: Identity
    clock: Clock
    write: Writer

    def now(self) -> str:
        return to_rfc3339(self.clock.now())

    @property
    def signer(self) -> Signer:
        return Signer.of(self.device)


def not_enrolled() -> UserError:
    return UserError("Thiết bị chưa đăng ký với máy chủ trung tâm.",
                     hint="Đăng ký thiết bị bằng mã đăng ký hoặc tệp đăng ký (trên USB, không cần mạng) do văn"
                          " phòng trung tâm cấp, rồi thử lại.")


def fork_error(chain: ChainKey, seq: int) -> UserError:
    return UserError(
        "Phát hiện rẽ nhánh dữ liệu: máy chủ giữ thay đổi số {seq} của thiết bị này khác với dữ liệu"
        " trong máy (có thể máy đã được khôi phục từ bản sao lưu cũ). Không có gì bị ghi đè.",
        hint="Ngừng ghi nhận trên máy này và đăng ký lại thiết bị với mã hoặc tệp đăng ký mới;"
             " phần dữ liệu khác biệt được máy chủ cách ly để xem xét.", seq=seq)


def _sync_changed(ctx: ServiceContext) -> None:
    ctx.touch(Changes(sync=True))


# -- the steps ----------------------------------------------------------------------------------
def save_enrollment(ctx: ServiceContext, link: state.ServerLink, epoch: int,
                    pending: state.PendingEnrollment | None = None) -> DeviceIdentity:
    """Pin the server and, on re-enrollment, start this device's new chain (epoch). `pending`: an
    enrollment from a file, completed by the central when it imports this device's first bundle."""
    with ctx.store.transaction() as conn:
        state.save_pending(conn, pending)
        old = state.load_link(conn)
        fork = old.fork if old is not None and old.server_id == link.server_id else None
        if old is not None and old.server_id != link.server_id:  # another server: it holds nothing yet
            conn.execute("DELETE FROM sync_acks")
            conn.execute("DELETE FROM sync_blobs")
            conn.execute("DELETE FROM sync_refused")
        if epoch != ctx.device.epoch:  # re-enrollment: a new incarnation of this device's log
            conn.execute("UPDATE device SET epoch = ? WHERE singleton = 1", (epoch,))
            fork = {**fork, "resolved": True} if fork else None
        state.save_link(conn, replace(link, fork=fork))
    device = replace(ctx.device, epoch=epoch)
    ctx.device = device  # the shared session: new events of every thread go to the new chain
    _sync_changed(ctx)
    return device


def pin_certificate(ctx: ServiceContext, pem: str) -> None:
    """The server's certificate, seen with the fingerprint the enrollment carried (`sync.tls`)."""
    with ctx.store.transaction() as conn:
        conn.execute("UPDATE sync_server SET tls_certificate = ? WHERE singleton = 1", (pem,))
    _sync_changed(ctx)


def learn_clock(ctx: ServiceContext, offset_ms: int) -> None:
    with ctx.store.transaction() as conn:
        conn.execute("UPDATE sync_server SET clock_offset_ms = ? WHERE singleton = 1", (offset_ms,))
    _sync_changed(ctx)


def record_acks(ctx: ServiceContext, acks: list[ChainAck], now: str) -> None:
    """Remember what the server holds; a divergence is recorded as a fork and raised."""
    try:
        with ctx.store.transaction() as conn:
            state.record_acks(conn, acks, now)
    except state.DivergedError as exc:
        diverged(ctx, exc.chain, exc.seq, {"server_hash": exc.server_hash})
        raise fork_error(exc.chain, exc.seq) from exc
    _sync_changed(ctx)


def diverged(ctx: ServiceContext, chain: ChainKey, seq: int, detail: dict[str, object]) -> None:
    with ctx.store.transaction() as conn:
        state.set_fork(conn, {"device": chain[0], "epoch": chain[1], "seq": seq, **detail})
    _sync_changed(ctx)


def refused(ctx: ServiceContext, chain: ChainKey, seq: int, code: str, message: str, now: str,
            own: bool) -> None:
    """The server refused a chain from `seq` (a write this device may not make): it is not sent
    again. For this device's own chain that is like a fork: recording stops until re-enrollment."""
    with ctx.store.transaction() as conn:
        conn.execute("INSERT INTO sync_refused (device_id, epoch, seq, code, message, refused_at)"
                     " VALUES (?,?,?,?,?,?) ON CONFLICT (device_id, epoch) DO NOTHING",
                     (chain[0], chain[1], seq, code, message[:500], now))
        if own:
            state.set_fork(conn, {"device": chain[0], "epoch": chain[1], "seq": seq, "refused": code})
    _sync_changed(ctx)


def mark_blobs(ctx: ServiceContext, shas: list[str], now: str) -> None:
    if shas:
        with ctx.store.transaction() as conn:
            state.mark_blobs(conn, shas, now)
        _sync_changed(ctx)


def store_page(ctx: ServiceContext, batch: EventBatch, keys: KeyResolver, server_id: str) -> None:
    """One page of reference data and its cursor (the stored server chain itself), together."""
    with foreign_transaction(ctx.store) as conn:
        ingest(conn, batch, keys=keys, server_id=server_id)
        state.store_heads(conn, batch.ranges)
    merged = any(e.type.endswith(".merged") for e in batch.events())
    ctx.touch(Changes(sync=True, inspection_list=merged))


def apply_receipt(ctx: ServiceContext, receipt: Receipt, signature: bytes, via: str) -> None:
    """Verify a receipt with the pinned server key and mark exactly what it says the server holds."""
    link = state.load_link(ctx.store.conn)
    if link is None:
        raise not_enrolled()
    if receipt.server_id != link.server_id or not receipt.verify(signature, link.server_public_key):
        raise WireError("Biên nhận không có chữ ký hợp lệ của máy chủ đã đăng ký; không dùng.",
                        code="receipt", hint="Kiểm tra lại tệp biên nhận.")
    if receipt.device_id != ctx.device.device_id:
        raise WireError("Biên nhận này dành cho thiết bị khác.", code="receipt")
    now = to_rfc3339(ctx.clock.now())
    try:
        with ctx.store.transaction() as conn:
            state.record_acks(conn, [c for c in receipt.chains
                                     if (c.device_id, c.epoch) != link.forked_chain], now)
            state.mark_blobs(conn, receipt.blobs, now)
            state.store_receipt(conn, receipt, signature, via, now)
            pending = state.load_pending(conn)
            if pending is not None and pending.server_id == receipt.server_id:
                state.save_pending(conn, None)  # the central registered this device
    except state.DivergedError as exc:
        diverged(ctx, exc.chain, exc.seq, {"server_hash": exc.server_hash})
        raise fork_error(exc.chain, exc.seq) from exc
    _sync_changed(ctx)


def merge_peer(ctx: ServiceContext, env: Envelope, batch: EventBatch, keys: KeyResolver, server_id: str | None,
               stored: list[tuple[str, int]], now: datetime) -> int:
    """A team member's bundle, checked already and its blobs in the vault: events, signed heads
    and the bundle as imported, in one transaction (the same `ingest` as every receiver)."""
    with foreign_transaction(ctx.store) as conn:
        result = ingest(conn, batch, keys=keys, server_id=server_id, now=now)
        state.store_heads(conn, batch.ranges)
        record_import(conn, env, stored, to_rfc3339(ctx.clock.now()))
    _sync_changed(ctx)
    return result.count


def peer_now(store: Store, clock: Clock) -> datetime:
    """This device's clock corrected by what it learned from the server (bounds peers' times)."""
    link = state.load_link(store.conn)
    return clock.now() + timedelta(milliseconds=link.clock_offset_ms if link else 0)

