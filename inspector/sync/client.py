"""The device's sync client: enroll, then push events, upload evidence, pull reference data and
fetch a signed receipt — every step idempotent, so any failure is fixed by running it again.

Call `sync()` from a worker thread; the client uses its own database connection (`SyncClient.open`)
and checks `cancel` between batches and chunks. Progress figures never go backwards.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from inspector import canonical
from inspector.clock import Clock, SystemClock, to_rfc3339
from inspector.errors import CancelledByUser, UserError
from inspector.keys import DataKeys
from inspector.store.db import Store, open_store
from inspector.store.device import DeviceIdentity, ensure_device, load_device
from inspector.sync import state
from inspector.sync.keys import Signer
from inspector.sync.lock import sync_lock
from inspector.sync.push import EventPusher, fork_error, not_enrolled
from inspector.sync.receipts import Receipt
from inspector.sync.transport import Transport, TransportError
from inspector.sync.uploads import BlobUploader
from inspector.sync.wire import PROTOCOL, REFDATA_TYPES, WireError, decode_batch
from inspector.vault import Vault

Progress = Callable[["SyncProgress"], None]


class SyncCancelled(CancelledByUser):
    def __init__(self) -> None:
        super().__init__("Đã dừng đồng bộ theo yêu cầu; phần đã gửi được máy chủ giữ lại.",
                         hint="Chạy đồng bộ lại để tiếp tục từ chỗ đã dừng.")


@dataclass(frozen=True)
class SyncProgress:
    phase: str  # session | events | blobs | refdata | receipt | done
    message: str
    events_sent: int = 0
    events_total: int = 0
    blobs_done: int = 0
    blobs_total: int = 0
    bytes_sent: int = 0
    bytes_total: int = 0


@dataclass
class SyncResult:
    events_sent: int = 0
    blobs_uploaded: int = 0
    bytes_uploaded: int = 0
    refdata_events: int = 0
    receipt_at: str | None = None
    complete_inspections: int = 0
    partial_inspections: int = 0
    local_inspections: int = 0
    clock_skew_s: int = 0
    attempts: int = 1
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Enrollment:
    server_id: str
    device_id: str
    epoch: int
    team: str
    server_fingerprint: str


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransportError) and exc.retryable


class SyncClient:
    def __init__(self, store: Store, vault: Vault, device: DeviceIdentity, clock: Clock | None = None,
                 *, url: str | None = None, timeout: float = 60.0, retries: int = 3,
                 chunk_size: int | None = None, batch_events: int | None = None,
                 transport: httpx.BaseTransport | None = None, backoff_s: float = 0.5,
                 page_size: int = 500) -> None:
        self.store = store
        self.vault = vault
        self.device = device
        self.clock = clock or SystemClock()
        self.url = url
        self.retries = retries
        self.chunk_size = chunk_size
        self.batch_events = batch_events
        self.backoff_s = backoff_s
        self.page_size = page_size
        self._timeout = timeout
        self._transport = transport
        self._lock = threading.Lock()
        self._owned: Store | None = None

    @classmethod
    def open(cls, data_dir: Path, keys: DataKeys, **options: Any) -> SyncClient:
        """A client with its own connection, for the thread that will call `sync()` (`keys`: the
        workspace's, already unlocked)."""
        from inspector.at_rest import DB_NAME, sealed_vault

        store = open_store(data_dir / DB_NAME, key=keys.db)
        clock = options.pop("clock", None) or SystemClock()
        device = load_device(store) or ensure_device(store, clock)
        client = cls(store, sealed_vault(data_dir, keys), device, clock, **options)
        client._owned = store
        return client

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def now(self) -> str:
        return to_rfc3339(self.clock.now())

    def signer(self) -> Signer:
        return Signer.of(self.device)

    def _transport_for(self, url: str, link: state.ServerLink | None) -> Transport:
        return Transport(url, self.signer(), self.clock, self.store, timeout=self._timeout,
                         transport=self._transport,
                         offset_ms=link.clock_offset_ms if link else 0)

    # -- enrollment ---------------------------------------------------------------------------
    def enroll(self, url: str, token: str, label: str | None = None) -> Enrollment:
        signer = self.signer()
        body = canonical.encode({
            "token": token.strip(), "public_key": self.device.public_key.hex(),
            "x25519_public": signer.x25519_public().hex(), "label": canonical.nfc(label or self.device.label),
            "epoch": self.device.epoch, "protocol": PROTOCOL})
        try:
            with self._transport_for(url, None) as http:
                data = http.json("POST", "/sync/v1/enroll", body)
        except TransportError as exc:
            raise exc.user_error() from exc
        try:
            server_key = bytes.fromhex(data["server_public_key"])
            x25519 = bytes.fromhex(data["server_x25519"])
            epoch, server_id, team = int(data["epoch"]), str(data["server_id"]), str(data["team"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError("Máy chủ trả lời đăng ký không đúng định dạng.") from exc
        if data.get("device_id") != self.device.device_id:
            raise WireError("Máy chủ trả lời đăng ký cho một thiết bị khác.")
        with self.store.transaction() as conn:
            old = state.load_link(conn)
            fork = old.fork if old is not None and old.server_id == server_id else None
            if old is not None and old.server_id != server_id:  # another server: it holds nothing yet
                conn.execute("DELETE FROM sync_acks")
                conn.execute("DELETE FROM sync_blobs")
            if epoch != self.device.epoch:  # re-enrollment: a new incarnation of this device's log
                conn.execute("UPDATE device SET epoch = ? WHERE singleton = 1", (epoch,))
                fork = {**fork, "resolved": True} if fork else None
            state.save_link(conn, state.ServerLink(url.rstrip("/"), server_id, server_key, x25519, team,
                                                   self.now(), 0, fork))
        self.device = replace(self.device, epoch=epoch)
        from inspector.sync.keys import fingerprint

        return Enrollment(server_id, self.device.device_id, epoch, team, fingerprint(server_key))

    # -- sync ---------------------------------------------------------------------------------
    def sync(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> SyncResult:
        """One complete sync, retried from where the server is after transient failures."""
        if not self._lock.acquire(blocking=False):
            raise UserError("Đang có một lần đồng bộ khác chạy.", hint="Chờ lần đồng bộ đó kết thúc.")
        try:
            with sync_lock(self.store.path.with_name("sync.lock")):
                return self._sync_with_retries(progress, cancel)
        finally:
            self._lock.release()

    def _sync_with_retries(self, progress: Progress | None, cancel: threading.Event | None) -> SyncResult:
        result = SyncResult()
        attempt = 0
        while True:
            attempt += 1
            try:
                self._sync_once(result, progress or (lambda p: None), cancel or threading.Event())
                result.attempts = attempt
                return result
            except TransportError as exc:
                if not _retryable(exc) or attempt > self.retries:
                    raise exc.user_error() from exc
                time.sleep(self.backoff_s * attempt)

    def _link(self) -> state.ServerLink:
        link = state.load_link(self.store.conn)
        if link is None:
            raise not_enrolled()
        return link

    def _sync_once(self, result: SyncResult, progress: Progress, cancel: threading.Event) -> None:
        link = self._link()
        if link.fork_open and link.forked_chain is not None:
            raise fork_error(link.forked_chain, int((link.fork or {}).get("seq", 0)))
        device = load_device(self.store)
        if device is not None:
            self.device = device
        url = (self.url or link.url).rstrip("/")
        progress(SyncProgress("session", f"Đang kết nối máy chủ {url}…"))
        with self._transport_for(url, link) as http:
            pusher = EventPusher(self, http, link, batch_events=self.batch_events)
            session = pusher.open_session()
            result.clock_skew_s = int(session["server_time"]) - int(self.clock.now().timestamp())
            if abs(result.clock_skew_s) > 300:
                result.warnings.append(
                    f"Đồng hồ của máy lệch {result.clock_skew_s} giây so với máy chủ; nên chỉnh lại giờ.")
            self._check_cancel(cancel)
            sent, missing = pusher.push(session, progress, cancel)
            result.events_sent += sent
            uploader = BlobUploader(self, http, chunk_size=self.chunk_size or int(session["limits"]["chunk"]))
            done, size, warnings = uploader.upload_all(missing, progress, cancel)
            result.blobs_uploaded += done
            result.bytes_uploaded += size
            result.warnings += [w for w in warnings if w not in result.warnings]
            self._check_cancel(cancel)
            result.refdata_events += self._pull(http, link, progress, cancel)
            progress(SyncProgress("receipt", "Đang nhận biên nhận từ máy chủ…"))
            receipt = self._receipt(http, link, pusher.chain_refs())
        result.receipt_at = receipt.issued_at
        statuses = state.inspection_statuses(self.store.conn, self.device, link)
        result.complete_inspections = sum(1 for s in statuses.values() if s.state == state.COMPLETE)
        result.partial_inspections = sum(1 for s in statuses.values() if s.state == state.PARTIAL)
        result.local_inspections = sum(1 for s in statuses.values() if s.state == state.LOCAL)
        progress(SyncProgress("done", "Đồng bộ xong.", result.events_sent, result.events_sent,
                              result.blobs_uploaded, result.blobs_uploaded, result.bytes_uploaded,
                              result.bytes_uploaded))

    @staticmethod
    def _check_cancel(cancel: threading.Event) -> None:
        if cancel.is_set():
            raise SyncCancelled()

    def _pull(self, http: Transport, link: state.ServerLink, progress: Progress,
              cancel: threading.Event) -> int:
        """Reference data, page by page; each page and its cursor commit together."""
        from inspector.sync.merge import chain_head, foreign_transaction, ingest

        received = 0
        while True:
            self._check_cancel(cancel)
            chains = [c for c in state.local_chains(self.store.conn) if c[0] == link.server_id]
            cursor = chain_head(self.store.conn, chains[0])[0] if chains else 0
            response = http.request("GET", f"/sync/v1/changes?since={cursor}&limit={self.page_size}", b"")
            if not response.content:
                return received
            batch = decode_batch(response.content)
            if (len(batch.ranges) != 1 or batch.ranges[0].head.device_id != link.server_id
                    or batch.ranges[0].first_seq != cursor + 1
                    or any(e.type not in REFDATA_TYPES for e in batch.events())):
                raise WireError("Dữ liệu danh mục từ máy chủ không hợp lệ; không áp dụng.")

            def keys(device_id: str) -> bytes | None:
                return link.server_public_key if device_id == link.server_id else None

            with foreign_transaction(self.store) as conn:
                ingest(conn, batch, keys=keys, server_id=link.server_id)
                state.store_heads(conn, batch.ranges)
            received += batch.event_count
            progress(SyncProgress("refdata", f"Đã nhận {received} thay đổi danh mục từ máy chủ."))
            if response.headers.get("x-more") != "1":
                return received

    def _receipt(self, http: Transport, link: state.ServerLink, chains: list[list[Any]]) -> Receipt:
        data = http.json("POST", "/sync/v1/receipt", canonical.encode({"chains": chains}))
        try:
            receipt = Receipt.from_body(data["receipt"])
            signature = bytes.fromhex(data["sig"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError("Biên nhận từ máy chủ không đúng định dạng.") from exc
        apply_receipt(self.store, receipt, signature, link, self.device, "http", self.now())
        return receipt


def apply_receipt(store: Store, receipt: Receipt, signature: bytes, link: state.ServerLink,
                  device: DeviceIdentity, via: str, now: str) -> None:
    """Verify a receipt with the pinned server key and mark exactly what it says the server holds."""
    if receipt.server_id != link.server_id or not receipt.verify(signature, link.server_public_key):
        raise WireError("Biên nhận không có chữ ký hợp lệ của máy chủ đã đăng ký; không dùng.",
                        code="receipt", hint="Kiểm tra lại tệp biên nhận.")
    if receipt.device_id != device.device_id:
        raise WireError("Biên nhận này dành cho thiết bị khác.", code="receipt")
    with store.transaction() as conn:
        try:
            state.record_acks(conn, [c for c in receipt.chains
                                     if (c.device_id, c.epoch) != link.forked_chain], now)
        except state.DivergedError as exc:
            raise fork_error(exc.chain, exc.seq) from exc
        state.mark_blobs(conn, receipt.blobs, now)
        state.store_receipt(conn, receipt, signature, via, now)


def describe(result: SyncResult) -> str:
    return json.dumps(result.__dict__, ensure_ascii=False)
