"""The central server's use cases, independent of HTTP: enroll, session, push, have/want,
reference-data pages and receipts. Every method runs on the one thread that owns the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector import canonical
from inspector.central.auth import Authenticator, RateLimiter, normalise_token, token_digest
from inspector.central.errors import ApiError, refuse
from inspector.central.schema import (
    DeviceRecord,
    device_record,
    held_blobs,
    missing_blobs,
    open_central_store,
    record_refs,
)
from inspector.central.uploads import MAX_BLOB, Uploads
from inspector.clock import Clock, SystemClock, parse_rfc3339, to_rfc3339
from inspector.services.context import Identity, ServiceContext, Session
from inspector.store.device import ensure_device
from inspector.store.events import GENESIS
from inspector.sync.httpsig import digest_matches
from inspector.sync.keys import Signer, check_device_key, is_hex
from inspector.sync.merge import (
    ForkError,
    chain_events,
    chain_head,
    foreign_transaction,
    ingest,
    stored_hash,
)
from inspector.sync.receipts import ChainAck, InspectionState, Receipt
from inspector.sync.wire import (
    MAX_BATCH_BYTES,
    PROTOCOL,
    ChainKey,
    EventBatch,
    HeadStatement,
    Range,
    WireError,
    decode_batch,
    encode_batch,
    parse_json,
)
from inspector.text import clean
from inspector.vault import Vault

DB_NAME = "central.db"
MAX_CHAINS = 1000
PAGE_LIMIT = 1000
BATCH_EVENTS = 2000
UPLOAD_CHUNK = 8 * 1024 * 1024
_WIRE_STATUS = {"untrusted": 403, "upgrade": 426, "fork": 409}


@dataclass(frozen=True)
class Sizes:
    batch_events: int = BATCH_EVENTS
    chunk: int = UPLOAD_CHUNK


def wire_refusal(exc: WireError) -> ApiError:
    status = _WIRE_STATUS.get(exc.code, 422)
    return ApiError(status, exc.code, exc)


class Central:
    """One server data directory: database, blob store, server key, and the request checks."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None, sizes: Sizes | None = None) -> None:
        self.clock = clock or SystemClock()
        self.data_dir = data_dir
        self.sizes = sizes or Sizes()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = open_central_store(data_dir / DB_NAME)
        try:
            self.identity = ensure_device(self.store, self.clock)
            self.vault = Vault(data_dir / "blobs", max_size=MAX_BLOB)
        except BaseException:
            self.store.close()
            raise
        self.signer = Signer.of(self.identity)
        self.ctx = ServiceContext(self.store, self.vault,
                                  Session(Identity("central", "Văn phòng trung tâm"), self.identity), self.clock)
        self.auth = Authenticator(self.clock)
        self.limiter = RateLimiter()
        self.uploads = Uploads(self.store, self.vault, self.clock)

    @property
    def server_id(self) -> str:
        return self.identity.device_id

    def close(self) -> None:
        self.store.close()

    def now(self) -> str:
        return to_rfc3339(self.clock.now())

    # -- trust --------------------------------------------------------------------------------
    def trusted_key(self, pusher: DeviceRecord | None, device_id: str, epoch: int) -> bytes | None:
        """Whose chains a request may carry: its own, the server's, and its team's devices'."""
        if device_id == self.server_id:
            return self.identity.public_key
        record = device_record(self.store.conn, device_id)
        if record is None or not record.active or epoch > record.epoch:
            return None
        if pusher is not None and record.team != pusher.team and device_id != pusher.device_id:
            return None
        return record.public_key

    # -- enrollment ---------------------------------------------------------------------------
    def enroll(self, headers: Mapping[str, str], body: bytes, address: str) -> dict[str, Any]:
        if not self.limiter.allow(address):
            raise refuse(429, "rate_limited", "Quá nhiều lần đăng ký thiết bị; thử lại sau một phút.")
        sig = self.auth.signature(headers)
        self.auth.check_fresh(sig)
        if not digest_matches(sig.digest_header, hashlib.sha256(body).digest()):
            raise refuse(400, "digest", "Nội dung yêu cầu không khớp chữ ký.")
        data = parse_json(body, what="đăng ký")
        shape = {"token", "public_key", "x25519_public", "label", "epoch", "protocol"}
        if not (isinstance(data, dict) and set(data) == shape and is_hex(data["public_key"], 64)
                and is_hex(data["x25519_public"], 64) and isinstance(data["token"], str)
                and isinstance(data["label"], str) and isinstance(data["epoch"], int)
                and 1 <= data["epoch"] < 2**31 and len(data["token"]) <= 200):
            raise refuse(422, "invalid", "Yêu cầu đăng ký không hợp lệ.")
        if data["protocol"] != PROTOCOL:
            raise refuse(426, "upgrade", "Phiên bản phần mềm không tương thích với máy chủ.",
                         hint="Cập nhật phần mềm lên phiên bản mới nhất.")
        public = bytes.fromhex(data["public_key"])
        if not check_device_key(sig.keyid, public) or not sig.verify("POST", "/sync/v1/enroll", public):
            raise refuse(401, "bad_signature", "Chữ ký của yêu cầu đăng ký không hợp lệ.")
        self.auth.remember(sig)
        token = self.store.conn.execute(
            "SELECT team, expires_at, used_at FROM enroll_tokens WHERE token_sha256 = ?",
            (token_digest(data["token"]),)).fetchone()
        if token is None or not normalise_token(data["token"]):
            raise refuse(401, "token_invalid", "Mã đăng ký không đúng.",
                         hint="Kiểm tra lại mã (hoặc quét lại mã QR) do văn phòng trung tâm cấp.")
        if token[2] is not None:
            raise refuse(401, "token_used", "Mã đăng ký này đã được dùng.",
                         hint="Xin văn phòng trung tâm cấp mã mới.")
        if parse_rfc3339(token[1]) < self.clock.now():
            raise refuse(401, "token_expired", "Mã đăng ký đã hết hạn (hiệu lực 24 giờ).",
                         hint="Xin văn phòng trung tâm cấp mã mới.")
        existing = device_record(self.store.conn, sig.keyid)
        if existing is not None and not existing.active:
            raise refuse(403, "revoked", "Thiết bị này đã bị thu hồi; không đăng ký lại được.",
                         hint="Liên hệ văn phòng trung tâm.")
        epoch = data["epoch"] if existing is None else max(existing.epoch, data["epoch"]) + 1
        label = clean(data["label"][:120], label="Tên thiết bị", max_length=120) or "thiết bị"
        now = self.now()
        with self.store.transaction() as conn:
            cur = conn.execute("UPDATE enroll_tokens SET used_at = ?, used_by = ? WHERE token_sha256 = ?"
                               " AND used_at IS NULL", (now, sig.keyid, token_digest(data["token"])))
            if cur.rowcount != 1:
                raise refuse(401, "token_used", "Mã đăng ký này đã được dùng.")
            conn.execute(
                "INSERT INTO central_devices (device_id, public_key, x25519_public, team, label, epoch,"
                " status, enrolled_at) VALUES (?,?,?,?,?,?, 'active', ?) ON CONFLICT (device_id) DO"
                " UPDATE SET epoch = excluded.epoch, team = excluded.team, label = excluded.label,"
                " x25519_public = excluded.x25519_public, enrolled_at = excluded.enrolled_at",
                (sig.keyid, public, bytes.fromhex(data["x25519_public"]), token[0], label, epoch, now))
            self.ctx.record(conn, "device.enrolled", sig.keyid, {
                "epoch": epoch, "team": token[0], "label": label, "public_key": data["public_key"],
                "x25519_public": data["x25519_public"]})
        return {"server_id": self.server_id, "server_public_key": self.identity.public_key.hex(),
                "server_x25519": self.signer.x25519_public().hex(), "device_id": sig.keyid,
                "epoch": epoch, "team": token[0], "server_time": self.auth.now_s()}

    # -- sync ---------------------------------------------------------------------------------
    def _chains(self, value: Any) -> dict[ChainKey, int]:
        """[[device, epoch, seq the client holds], …] → {chain: client seq}."""
        if not isinstance(value, list) or len(value) > MAX_CHAINS:
            raise refuse(422, "invalid", "Danh sách chuỗi sự kiện không hợp lệ.")
        out: dict[ChainKey, int] = {}
        for item in value:
            if not (isinstance(item, list) and len(item) == 3 and is_hex(item[0], 32)
                    and all(isinstance(v, int) and not isinstance(v, bool) for v in item[1:])
                    and item[1] >= 1 and item[2] >= 0):
                raise refuse(422, "invalid", "Danh sách chuỗi sự kiện không hợp lệ.")
            out[(item[0], item[1])] = item[2]
        return out

    def held_head(self, requester: str, chain: ChainKey, client_seq: int | None) -> tuple[int, str]:
        """The server's head of a chain. For a chain the requester only relays, capped at what the
        requester holds: the server being ahead of a relayer is normal, and only comparable there."""
        seq, hash_ = chain_head(self.store.conn, chain)
        if chain[0] != requester and client_seq is not None and client_seq < seq:
            at = stored_hash(self.store.conn, *chain, client_seq) if client_seq else GENESIS
            return client_seq, at or GENESIS
        return seq, hash_

    def own_chains(self, device_id: str) -> list[ChainKey]:
        rows = self.store.conn.execute("SELECT DISTINCT epoch FROM events WHERE device_id = ?"
                                       " ORDER BY epoch", (device_id,))
        return [(device_id, int(r[0])) for r in rows]

    def session(self, device: DeviceRecord, body: bytes) -> dict[str, Any]:
        data = parse_json(body, what="phiên đồng bộ")
        if not isinstance(data, dict) or set(data) != {"protocol", "chains"}:
            raise refuse(422, "invalid", "Yêu cầu mở phiên đồng bộ không hợp lệ.")
        if data["protocol"] != PROTOCOL:
            raise refuse(426, "upgrade", "Phiên bản phần mềm không tương thích với máy chủ.",
                         hint="Cập nhật phần mềm lên phiên bản mới nhất.")
        requested = self._chains(data["chains"])
        heads = []
        for chain in sorted(set(requested) | set(self.own_chains(device.device_id))):
            seq, hash_ = self.held_head(device.device_id, chain, requested.get(chain))
            heads.append({"device": chain[0], "epoch": chain[1], "seq": seq, "hash": hash_})
        refdata = chain_head(self.store.conn, (self.server_id, self.identity.epoch))
        return {"protocol": PROTOCOL, "server_id": self.server_id, "server_time": self.auth.now_s(),
                "device": {"device_id": device.device_id, "epoch": device.epoch, "team": device.team},
                "heads": heads, "refdata": {"seq": refdata[0], "hash": refdata[1]},
                "limits": {"batch_events": self.sizes.batch_events, "batch_bytes": MAX_BATCH_BYTES,
                           "chunk": self.sizes.chunk, "max_blob": MAX_BLOB}}

    def accept(self, conn: sqlite3.Connection, batch: EventBatch, pusher: DeviceRecord | None) -> int:
        """Ingest a batch inside the caller's transaction: events, refs, signed heads."""
        def keys(device_id: str) -> bytes | None:
            epochs = {r.chain[1] for r in batch.ranges if r.chain[0] == device_id}
            return self.trusted_key(pusher, device_id, max(epochs))

        result = ingest(conn, batch, keys=keys, server_id=self.server_id)
        record_refs(conn, result.inserted)
        for r in batch.ranges:
            conn.execute(
                "INSERT INTO chain_heads (device_id, epoch, seq, hash, signature) VALUES (?,?,?,?,?)"
                " ON CONFLICT (device_id, epoch) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
                " signature = excluded.signature WHERE excluded.seq > chain_heads.seq",
                (r.head.device_id, r.head.epoch, r.head.seq, r.head.hash, r.head.signature))
        return result.count

    def quarantine(self, batch: EventBatch, fork: ForkError, source: str) -> None:
        events = [e for r in batch.ranges for e in r.events
                  if (e.device_id, e.epoch) == (fork.device_id, fork.epoch) and e.seq >= fork.seq]
        with self.store.transaction() as conn:
            for event in events:
                conn.execute(
                    "INSERT INTO quarantine (device_id, epoch, seq, stored_hash, received_hash, reason,"
                    " source, received_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (received_hash)"
                    " DO NOTHING", (event.device_id, event.epoch, event.seq,
                                    fork.stored_hash if event.seq == fork.seq else "", event.hash,
                                    canonical.dumps(event.to_wire()), source, self.now()))

    def push(self, device: DeviceRecord, body: bytes) -> dict[str, Any]:
        try:
            batch = decode_batch(body)
            with foreign_transaction(self.store) as conn:
                inserted = self.accept(conn, batch, device)
                conn.execute("UPDATE central_devices SET last_seen = ? WHERE device_id = ?",
                             (self.now(), device.device_id))
        except ForkError as fork:
            self.quarantine(batch, fork, f"push:{device.device_id}")
            raise ApiError(409, "fork", fork, extra={
                "device": fork.device_id, "epoch": fork.epoch, "seq": fork.seq,
                "stored_hash": fork.stored_hash}) from fork
        except WireError as exc:
            raise wire_refusal(exc) from exc
        chains = sorted({r.chain for r in batch.ranges})
        acked = []
        for chain in chains:  # read after COMMIT: the acknowledgement never runs ahead of the disk
            seq, hash_ = chain_head(self.store.conn, chain)
            acked.append({"device": chain[0], "epoch": chain[1], "seq": seq, "hash": hash_})
        return {"acked": acked, "inserted": inserted,
                "missing_blobs": missing_blobs(self.store.conn, chains)}

    def want(self, device: DeviceRecord, body: bytes) -> dict[str, Any]:
        """Have/want: which of these blobs the server lacks — with an upload started (or resumed,
        at the server's offset) for each one it expects, so the client can send chunks at once."""
        data = parse_json(body, what="danh sách tệp")
        if not (isinstance(data, dict) and set(data) == {"have"} and isinstance(data["have"], list)
                and len(data["have"]) <= 10_000 and all(
                    isinstance(h, list) and len(h) == 2 and is_hex(h[0], 64) and isinstance(h[1], int)
                    and not isinstance(h[1], bool) and h[1] >= 0 for h in data["have"])):
            raise refuse(422, "invalid", "Danh sách tệp không hợp lệ.")
        have = sorted({(h[0], h[1]) for h in data["have"]})
        held = held_blobs(self.store.conn, [sha for sha, _ in have])
        want = [(sha, size) for sha, size in have if sha not in held]
        return {"want": [sha for sha, _ in want],
                "uploads": self.uploads.start_many(device.device_id, want)}

    def changes(self, device: DeviceRecord, since: int, limit: int) -> tuple[bytes, int, bool]:
        """One page of the server's reference-data chain, ending at a head it signs."""
        chain = (self.server_id, self.identity.epoch)
        limit = max(1, min(limit, PAGE_LIMIT))
        events = chain_events(self.store.conn, chain, since, since + limit)
        if not events:
            return b"", since, False
        last = events[-1]
        head = HeadStatement(last.device_id, last.epoch, last.seq, last.hash).signed_by(self.signer)
        more = chain_head(self.store.conn, chain)[0] > last.seq
        return encode_batch([Range(head, events[0].seq, events)]), last.seq, more

    # -- receipts -----------------------------------------------------------------------------
    def build_receipt(self, device_id: str, chains: dict[ChainKey, int],
                      bundle_id: str | None = None) -> Receipt:
        conn = self.store.conn
        acks = []
        for chain in sorted(set(chains) | set(self.own_chains(device_id))):
            seq, hash_ = self.held_head(device_id, chain, chains.get(chain))
            if seq:
                acks.append(ChainAck(chain[0], chain[1], seq, hash_))
        blobs: set[str] = set()
        inspections: set[str] = set()
        for ack in acks:
            key = (ack.device_id, ack.epoch)
            blobs |= {r[0] for r in conn.execute(
                "SELECT DISTINCT r.sha256 FROM blob_refs r JOIN blobs b ON b.sha256 = r.sha256"
                " AND b.state = 'ok' WHERE r.device_id = ? AND r.epoch = ?", key)}
            inspections |= {r[0] for r in conn.execute(
                "SELECT DISTINCT inspection_id FROM event_inspections WHERE device_id = ? AND epoch = ?",
                key)}
        missing = dict(conn.execute(
            "SELECT r.inspection_id, count(DISTINCT r.sha256) FROM blob_refs r LEFT JOIN blobs b"
            " ON b.sha256 = r.sha256 AND b.state = 'ok' WHERE b.sha256 IS NULL"
            " GROUP BY r.inspection_id").fetchall())
        states = tuple(InspectionState(i, missing.get(i, 0) == 0, int(missing.get(i, 0)))
                       for i in sorted(inspections))
        return Receipt(secrets.token_hex(16), self.server_id, device_id, self.now(), tuple(acks),
                       tuple(sorted(blobs)), states, bundle_id)

    def receipt(self, device: DeviceRecord, body: bytes) -> dict[str, Any]:
        data = parse_json(body, what="yêu cầu biên nhận")
        if not isinstance(data, dict) or set(data) != {"chains"}:
            raise refuse(422, "invalid", "Yêu cầu biên nhận không hợp lệ.")
        receipt = self.build_receipt(device.device_id, self._chains(data["chains"]))
        return {"receipt": receipt.body(), "sig": receipt.sign(self.signer).hex()}

    def health(self) -> dict[str, Any]:
        with contextlib.closing(self.store.conn.execute("SELECT 1")) as cur:
            cur.fetchone()
        return {"status": "ok", "server_id": self.server_id, "protocol": PROTOCOL}
