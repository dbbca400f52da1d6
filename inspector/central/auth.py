"""Enrollment tokens, signed-request checks and the enrollment rate limit."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from inspector.central.errors import refuse
from inspector.central.schema import DeviceRecord, device_record
from inspector.clock import Clock, to_rfc3339
from inspector.store.db import Store
from inspector.sync.enrollment import normalise_token as normalise_token  # re-exported
from inspector.sync.enrollment import token_digest as token_digest
from inspector.sync.httpsig import MAX_SKEW_S, NonceCache, ParsedSignature, parse_signature

TOKEN_BYTES = 20  # 160 bits
TOKEN_LIFETIME = timedelta(hours=24)
ENROLL_FAILURES_PER_MINUTE = 10


@dataclass(frozen=True)
class EnrollToken:
    token: str  # shown once, never stored (the database keeps its SHA-256)
    team: str
    expires_at: datetime


def create_token(store: Store, team: str, clock: Clock, lifetime: timedelta = TOKEN_LIFETIME) -> EnrollToken:
    raw = base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii")
    token = "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    now = clock.now()
    expires = now + lifetime
    with store.transaction() as conn:
        conn.execute("INSERT INTO enroll_tokens (token_sha256, team, created_at, expires_at)"
                     " VALUES (?,?,?,?)", (token_digest(token), team, to_rfc3339(now), to_rfc3339(expires)))
    return EnrollToken(token, team, expires)


@dataclass
class RateLimiter:
    """At most `limit` refused enrollment attempts per client address per minute (token guessing).
    Successful enrollments are never counted: an office enrolling forty laptops from one address
    is not slowed down; once an address has failed `limit` times, it waits the minute out."""

    limit: int = ENROLL_FAILURES_PER_MINUTE
    window_s: float = 60.0
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, address: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(address, deque())
        while hits and hits[0] < now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[address]
        return hits

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now)
            self._hits.setdefault(address, deque()).append(now)
            if len(self._hits) > 100_000:  # a flood of addresses: forget the oldest
                self._hits.pop(next(iter(self._hits)))


class NonceLog(Protocol):
    def add(self, nonce: str, now_s: int) -> bool: ...


class Limiter(Protocol):
    def blocked(self, address: str) -> bool: ...

    def failed(self, address: str) -> None: ...


class Authenticator:
    """Checks a signed request: known device, not revoked, fresh, never seen, valid signature.

    With nonces kept in this process (`NonceCache`), a signature created before the server
    started is refused (a restart empties the cache). With nonces in the database (`durable`,
    shared by every server process) there is no such window and no such refusal."""

    def __init__(self, clock: Clock, nonces: NonceLog | None = None, *, durable: bool = False) -> None:
        self.clock = clock
        self.nonces: NonceLog = nonces or NonceCache()
        self.started_s = 0 if durable else int(clock.now().timestamp())

    def now_s(self) -> int:
        return int(self.clock.now().timestamp())

    def check_fresh(self, sig: ParsedSignature) -> None:
        now = self.now_s()
        if abs(sig.created - now) > MAX_SKEW_S:
            raise refuse(401, "clock_skew", "Đồng hồ của máy lệch quá 5 phút so với máy chủ.",
                         hint="Chỉnh lại giờ của máy tính rồi đồng bộ lại.",
                         extra={"server_time": now})
        if self.started_s and sig.created < self.started_s - 1:
            raise refuse(401, "stale", "Yêu cầu được ký trước khi máy chủ khởi động lại.",
                         hint="Thử đồng bộ lại.", extra={"server_time": now})

    def signature(self, headers: Mapping[str, str]) -> ParsedSignature:
        sig = parse_signature(headers)
        if sig is None:
            raise refuse(401, "unsigned", "Yêu cầu không có chữ ký hợp lệ của thiết bị.",
                         hint="Đăng ký thiết bị với máy chủ bằng lệnh “inspector enroll”.")
        return sig

    def remember(self, sig: ParsedSignature) -> None:
        if not self.nonces.add(sig.nonce, self.now_s()):
            raise refuse(401, "replay", "Yêu cầu này đã được gửi trước đó (phát lại); bị từ chối.")

    def check(self, store: Store, method: str, target: str,
              headers: Mapping[str, str]) -> DeviceRecord:
        sig = self.signature(headers)
        device = device_record(store.conn, sig.keyid)
        if device is None:
            raise refuse(401, "unknown_device", "Máy chủ không nhận ra thiết bị này.",
                         hint="Đăng ký thiết bị với máy chủ bằng lệnh “inspector enroll”.")
        if not device.active:
            raise refuse(403, "revoked", "Thiết bị này đã bị thu hồi quyền đồng bộ.",
                         hint="Liên hệ văn phòng trung tâm.")
        self.check_fresh(sig)
        if not sig.verify(method, target, device.public_key):
            raise refuse(401, "bad_signature", "Chữ ký của yêu cầu không hợp lệ.",
                         hint="Đăng ký lại thiết bị nếu lỗi lặp lại.")
        self.remember(sig)
        return device
