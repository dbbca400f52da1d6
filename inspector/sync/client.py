"""The device's sync client: enroll, then push events, upload evidence, pull reference data and
fetch a signed receipt — every step idempotent, so any failure is fixed by running it again.

`sync()` is meant for a worker thread. It reads through the store it is given (which may be a
read-only connection) and hands every database write to its `Writer` in short steps
(`sync.steps`), never holding the writer during network I/O. It checks `cancel` between batches
and chunks; progress figures never go backwards.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from inspector import canonical
from inspector.errors import UserError
from inspector.store.device import load_device
from inspector.sync import state, steps
from inspector.sync.enrollment import Enrollment
from inspector.sync.keys import fingerprint
from inspector.sync.lock import sync_lock
from inspector.sync.merge import KeyResolver, chain_head
from inspector.sync.progress import Progress, SyncCancelled, SyncProgress, check_cancel
from inspector.sync.push import EventPusher
from inspector.sync.receipts import Receipt
from inspector.sync.retry import RetryPolicy
from inspector.sync.steps import SyncContext, fork_error, not_enrolled
from inspector.sync.tls import (
    CertificateError,
    UnreachableError,
    fetch_certificate,
    fingerprint_of_pem,
    is_https,
    parse_fingerprint,
)
from inspector.sync.transport import Transport, TransportError
from inspector.sync.uploads import BlobUploader
from inspector.sync.wire import PROTOCOL, REFDATA_TYPES, EventBatch, WireError, decode_batch

CLOCK_WARNING_S = 300

__all__ = ["Enrollment", "Progress", "SyncCancelled", "SyncClient", "SyncProgress", "SyncResult"]


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


class SyncClient:
    def __init__(self, ctx: SyncContext, *, url: str | None = None, timeout: float = 60.0, retries: int = 3,
                 chunk_size: int | None = None, batch_events: int | None = None,
                 transport: httpx.BaseTransport | None = None, backoff_s: float = 0.5,
                 page_size: int = 500) -> None:
        self.ctx = ctx
        self.url = url
        self.retries = retries
        self.policy = RetryPolicy(attempts=retries + 1, initial_s=backoff_s, jitter_s=backoff_s / 2)
        self.chunk_size = chunk_size
        self.batch_events = batch_events
        self.backoff_s = backoff_s
        self.page_size = page_size
        self._timeout = timeout
        self._transport = transport
        self._lock = threading.Lock()

    def _transport_for(self, url: str, link: state.ServerLink | None, pinned: str | None = None) -> Transport:
        def persist(offset_ms: int) -> None:
            if link is not None:
                self.ctx.write(lambda c: steps.learn_clock(c, offset_ms))

        return Transport(url, self.ctx.signer, self.ctx.clock, timeout=self._timeout, transport=self._transport,
                         offset_ms=link.clock_offset_ms if link else 0, on_clock=persist, pinned=pinned)

    def _certificate(self, url: str, fingerprint_hex: str | None, known: str | None) -> str | None:
        """The pinned certificate for an HTTPS server whose fingerprint this device was given: the
        one it holds, or the one the server shows now if it has that fingerprint (else refused)."""
        if fingerprint_hex is None or not is_https(url):
            return None
        if known is not None and fingerprint_of_pem(known) == fingerprint_hex:
            return known
        try:
            return fetch_certificate(url, fingerprint_hex, timeout=min(self._timeout, 10.0))
        except UnreachableError as exc:
            raise TransportError(exc, retryable=True) from exc

    # -- enrollment ---------------------------------------------------------------------------
    def enroll(self, url: str, token: str, label: str | None = None,
               tls_fingerprint: str | None = None) -> Enrollment:
        """`token` may carry the certificate fingerprint after a "#" (as the QR code does)."""
        device, identity = self.ctx.device, self.ctx.identity
        token, _, embedded = token.strip().partition("#")
        pin = parse_fingerprint(tls_fingerprint or embedded) if (tls_fingerprint or embedded) else None
        if pin is not None and not is_https(url):
            raise CertificateError("Mã đăng ký có vân tay chứng chỉ TLS nhưng địa chỉ máy chủ {url} không dùng"
                                   " https://.", hint="Nhập địa chỉ bắt đầu bằng https:// do văn phòng trung"
                                                      " tâm cung cấp.", url=url)
        try:
            pem = self._certificate(url, pin, None)  # before anything is sent
        except TransportError as exc:
            raise exc.user_error() from exc
        body = canonical.encode({
            "token": token.strip(), "public_key": device.public_key.hex(),
            "x25519_public": self.ctx.signer.x25519_public().hex(), "label": canonical.nfc(label or device.label),
            "epoch": device.epoch, "protocol": PROTOCOL,
            "person": {"id": identity.id, "name": canonical.nfc(identity.name)}})
        try:
            with self._transport_for(url, None, pem) as http:
                data = http.json("POST", "/sync/v1/enroll", body)
        except TransportError as exc:
            raise exc.user_error() from exc
        try:
            server_key = bytes.fromhex(data["server_public_key"])
            x25519 = bytes.fromhex(data["server_x25519"])
            epoch, server_id, team = int(data["epoch"]), str(data["server_id"]), str(data["team"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError("Máy chủ trả lời đăng ký không đúng định dạng.") from exc
        if data.get("device_id") != device.device_id:
            raise WireError("Máy chủ trả lời đăng ký cho một thiết bị khác.")
        link = state.ServerLink(url.rstrip("/"), server_id, server_key, x25519, team, self.ctx.now(), 0, None,
                                pin, pem)
        self.ctx.write(lambda c: steps.save_enrollment(c, link, epoch))
        return Enrollment(server_id, device.device_id, epoch, team, fingerprint(server_key), tls_fingerprint=pin)

    # -- sync ---------------------------------------------------------------------------------
    def sync(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> SyncResult:
        """One complete sync, retried from where the server is after transient failures."""
        if not self._lock.acquire(blocking=False):
            raise UserError("Đang có một lần đồng bộ khác chạy.", hint="Chờ lần đồng bộ đó kết thúc.")
        try:
            with sync_lock(self.ctx.store.path.with_name("sync.lock")):
                return self._sync_with_retries(progress or (lambda p: None), cancel or threading.Event())
        finally:
            self._lock.release()

    def _sync_with_retries(self, progress: Progress, cancel: threading.Event) -> SyncResult:
        """Every step is idempotent: a transient failure runs the sync again from the server's state."""
        result = SyncResult()

        def once(attempt: int) -> SyncResult:
            result.attempts = attempt
            self._sync_once(result, progress, cancel)
            return result

        try:
            return self.policy.call(once, cancel=cancel,
                                    retry_if=lambda exc: isinstance(exc, TransportError) and exc.retryable)
        except TransportError as exc:
            raise exc.user_error() from exc

    def _link(self) -> state.ServerLink:
        link = state.load_link(self.ctx.store.conn)
        if link is None:
            raise not_enrolled()
        return link

    def _sync_once(self, result: SyncResult, progress: Progress, cancel: threading.Event) -> None:
        link = self._link()
        if link.fork_open and link.forked_chain is not None:
            raise fork_error(link.forked_chain, int((link.fork or {}).get("seq", 0)))
        device = load_device(self.ctx.store)
        if device is not None and device != self.ctx.device:  # enrolled again since: a new epoch
            self.ctx = SyncContext(self.ctx.store, self.ctx.vault, device, self.ctx.identity, self.ctx.clock,
                                   self.ctx.write)
        url = (self.url or link.url).rstrip("/")
        if state.load_pending(self.ctx.store.conn) is not None:
            raise UserError("Thiết bị được đăng ký bằng tệp và máy chủ chưa xác nhận đăng ký này, nên chưa"
                            " đồng bộ qua mạng được.",
                            hint="Dùng “Xuất gói dữ liệu ra USB”, mang gói đến văn phòng trung tâm, rồi nhập"
                                 " biên nhận mang về.")
        if not url:
            raise UserError("Chưa có địa chỉ máy chủ trung tâm để đồng bộ qua mạng.",
                            hint="Nhập địa chỉ máy chủ do văn phòng trung tâm cung cấp, hoặc dùng"
                                 " “Xuất gói dữ liệu ra USB”.")
        progress(SyncProgress("session", f"Đang kết nối máy chủ {url}…"))
        pem = self._certificate(url, link.tls_fingerprint, link.tls_certificate)
        if pem is not None and pem != link.tls_certificate:
            self.ctx.write(lambda c: steps.pin_certificate(c, pem))
        with self._transport_for(url, link, pem) as http:
            pusher = EventPusher(self.ctx, http, link, batch_events=self.batch_events)
            session = pusher.open_session()
            result.clock_skew_s = int(session["server_time"]) - int(self.ctx.clock.now().timestamp())
            if abs(result.clock_skew_s) > CLOCK_WARNING_S:
                result.warnings.append(
                    f"Đồng hồ của máy lệch {result.clock_skew_s} giây so với máy chủ; nên chỉnh lại giờ.")
            check_cancel(cancel)
            sent, missing = pusher.push(session, progress, cancel)
            result.events_sent += sent
            uploader = BlobUploader(self.ctx, http, chunk_size=self.chunk_size or int(session["limits"]["chunk"]))
            done, size, warnings = uploader.upload_all(missing, progress, cancel)
            result.blobs_uploaded += done
            result.bytes_uploaded += size
            result.warnings += [w for w in warnings if w not in result.warnings]
            check_cancel(cancel)
            result.refdata_events += self._pull(http, link, progress, cancel)
            progress(SyncProgress("receipt", "Đang nhận biên nhận từ máy chủ…"))
            receipt = self._receipt(http, pusher.chain_refs())
        result.receipt_at = receipt.issued_at
        statuses = state.inspection_statuses(self.ctx.store.conn, self.ctx.device, link)
        result.complete_inspections = sum(1 for s in statuses.values() if s.state == state.COMPLETE)
        result.partial_inspections = sum(1 for s in statuses.values() if s.state == state.PARTIAL)
        result.local_inspections = sum(1 for s in statuses.values() if s.state == state.LOCAL)
        progress(SyncProgress("done", "Đồng bộ xong.", result.events_sent, result.events_sent,
                              result.blobs_uploaded, result.blobs_uploaded, result.bytes_uploaded,
                              result.bytes_uploaded))

    def _pull(self, http: Transport, link: state.ServerLink, progress: Progress, cancel: threading.Event) -> int:
        """Reference data, page by page; each page and its cursor commit together."""
        def keys(device_id: str) -> bytes | None:
            return link.server_public_key if device_id == link.server_id else None

        received = 0
        while True:
            check_cancel(cancel)
            chains = [c for c in state.local_chains(self.ctx.store.conn) if c[0] == link.server_id]
            cursor = chain_head(self.ctx.store.conn, chains[0])[0] if chains else 0
            response = http.request("GET", f"/sync/v1/changes?since={cursor}&limit={self.page_size}", b"")
            if not response.content:
                return received
            batch = decode_batch(response.content)
            if (len(batch.ranges) != 1 or batch.ranges[0].head.device_id != link.server_id
                    or batch.ranges[0].first_seq != cursor + 1
                    or any(e.type not in REFDATA_TYPES for e in batch.events())):
                raise WireError("Dữ liệu danh mục từ máy chủ không hợp lệ; không áp dụng.")
            self._store_page(batch, keys, link.server_id)
            received += batch.event_count
            progress(SyncProgress("refdata", f"Đã nhận {received} thay đổi danh mục từ máy chủ."))
            if response.headers.get("x-more") != "1":
                return received

    def _store_page(self, batch: EventBatch, keys: KeyResolver, server_id: str) -> None:
        self.ctx.write(lambda c: steps.store_page(c, batch, keys, server_id))

    def _receipt(self, http: Transport, chains: list[list[Any]]) -> Receipt:
        data = http.json("POST", "/sync/v1/receipt", canonical.encode({"chains": chains}))
        try:
            receipt = Receipt.from_body(data["receipt"])
            signature = bytes.fromhex(data["sig"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError("Biên nhận từ máy chủ không đúng định dạng.") from exc
        self.ctx.write(lambda c: steps.apply_receipt(c, receipt, signature, "http"))
        return receipt
