"""The central server's use cases, independent of HTTP: enroll, session, push, have/want,
reference-data pages and receipts. Every method runs on the one thread that owns the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector import canonical
from inspector.central.auth import Authenticator, Limiter, RateLimiter, normalise_token, token_digest
from inspector.central.errors import ApiError, refuse
from inspector.central.policy import Forbidden, WritePolicy, new_events
from inspector.central.registry import settle_proposals, unsettled
from inspector.central.schema import (
    DeviceRecord,
    device_record,
    held_blobs,
    missing_blobs,
    open_central_store,
    record_refs,
    remember_name,
)
from inspector.central.shared_state import DbNonces, DbRateLimiter
from inspector.central.storage import Database
from inspector.central.upload_locks import PgUploadLocks, ProcessUploadLocks, UploadLocks
from inspector.central.uploads import MAX_BLOB, Uploads
from inspector.clock import Clock, SystemClock, parse_rfc3339, to_rfc3339
from inspector.services.context import Identity, ServiceContext, Session
from inspector.store.device import ensure_device
from inspector.store.events import GENESIS, Event
from inspector.sync.httpsig import digest_matches
from inspector.sync.keys import Signer, check_device_key, is_hex
from inspector.sync.merge import (
    ForkError,
    chain_events,
    chain_head,
    foreign_transaction,
    ingest,
    precheck,
    stored_hash,
    verify_heads,
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
    check_times,
    decode_batch,
    encode_batch,
    parse_json,
)
from inspector.text import clean
from inspector.vault import Vault

MAX_CHAINS = 1000
MAX_EPOCH = 2**31
MAX_SEQ = 2**62
PAGE_LIMIT = 1000
BATCH_EVENTS = 2000
UPLOAD_CHUNK = 8 * 1024 * 1024
_WIRE_STATUS = {"untrusted": 403, "upgrade": 426, "fork": 409, "too_large": 413}


@dataclass(frozen=True)
class Sizes:
    batch_events: int = BATCH_EVENTS
    chunk: int = UPLOAD_CHUNK


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction around several queries, so they all see the same committed state."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def wire_refusal(exc: WireError) -> ApiError:
    status = _WIRE_STATUS.get(exc.code, 422)
    return ApiError(status, exc.code, exc)


class Central:
    """One server data directory: database, blob store, server key, and the request checks."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None, sizes: Sizes | None = None,
                 database: Database | None = None) -> None:
        self.clock = clock or SystemClock()
        self.data_dir = data_dir
        self.sizes = sizes or Sizes()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.database = database or Database.of(None, data_dir)
        self.store = open_central_store(self.database)
        try:
            self.identity = ensure_device(self.store, self.clock)
            self.vault = Vault(data_dir / "blobs", max_size=MAX_BLOB)
        except BaseException:
            self.store.close()
            raise
        self.signer = Signer.of(self.identity)
        self.ctx = ServiceContext(self.store, self.vault,
                                  Session(Identity("central", "Văn phòng trung tâm"), self.identity), self.clock)
        self.nonces: DbNonces | None = None
        self.limiter: Limiter
        if self.database.postgres:  # several processes may serve this store: share what matters
            self.nonces = DbNonces(self.database)
            self.auth = Authenticator(self.clock, self.nonces, durable=True)
            self.limiter = DbRateLimiter(self.store, self.clock)
        else:
            self.auth = Authenticator(self.clock)
            self.limiter = RateLimiter()
        locks: UploadLocks = PgUploadLocks(self.database.url) if self.database.url else ProcessUploadLocks()
        self.uploads = Uploads(self.store, self.vault, self.clock, locks)
        self._settle_earlier_proposals()

    def _settle_earlier_proposals(self) -> None:
        """Once per store: units and people laptops sent before the registry settled proposals
        (an earlier version kept every copy) are settled now, so duplicates merge."""
        if self.store.scalar("SELECT value FROM central_meta WHERE key = 'proposals_settled'"):
            return
        with self.store.transaction() as conn:
            conn.execute("PRAGMA defer_foreign_keys = ON")
            settle_proposals(self.ctx, conn, unsettled(conn, self.server_id), self.server_id, self.now())
            conn.execute("INSERT INTO central_meta (key, value) VALUES ('proposals_settled', '1')")

    @property
    def server_id(self) -> str:
        return self.identity.device_id

    def close(self) -> None:
        if self.nonces is not None:
            self.nonces.close()
        self.uploads.locks.close()
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
        """Exchange a one-time token for a registration. Refused attempts count against the
        client address (`RateLimiter`); an office enrolling many laptops is never slowed down."""
        if self.limiter.blocked(address):
            raise refuse(429, "rate_limited", "Quá nhiều lần đăng ký thiết bị không thành công; thử lại sau"
                         " một phút.", hint="Kiểm tra lại mã đăng ký do văn phòng trung tâm cấp.")
        try:
            return self._enroll(headers, body)
        except ApiError:
            self.limiter.failed(address)
            raise

    def _enroll(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        sig = self.auth.signature(headers)
        self.auth.check_fresh(sig)
        if not digest_matches(sig.digest_header, hashlib.sha256(body).digest()):
            raise refuse(400, "digest", "Nội dung yêu cầu không khớp chữ ký.")
        try:
            data = parse_json(body, what="đăng ký")
        except WireError as exc:
            raise wire_refusal(exc) from exc
        if isinstance(data, dict) and data.get("protocol") != PROTOCOL:
            raise refuse(426, "upgrade", "Phiên bản phần mềm không tương thích với máy chủ.",
                         hint="Cập nhật phần mềm lên phiên bản mới nhất.")
        shape = {"token", "public_key", "x25519_public", "label", "epoch", "protocol", "person"}
        if not (isinstance(data, dict) and set(data) == shape and is_hex(data["public_key"], 64)
                and is_hex(data["x25519_public"], 64) and isinstance(data["token"], str)
                and isinstance(data["label"], str) and isinstance(data["epoch"], int)
                and not isinstance(data["epoch"], bool) and 1 <= data["epoch"] < 2**31
                and len(data["token"]) <= 200 and isinstance(data["person"], dict)
                and set(data["person"]) == {"id", "name"} and isinstance(data["person"]["id"], str)
                and 0 < len(data["person"]["id"]) <= 64 and isinstance(data["person"]["name"], str)):
            raise refuse(422, "invalid", "Yêu cầu đăng ký không hợp lệ.")
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
        person_id = data["person"]["id"]
        person_name = clean(data["person"]["name"], label="Tên người dùng", max_length=120) or "người dùng"
        holder = self.store.scalar("SELECT device_id FROM central_devices WHERE person_id = ? AND device_id != ?"
                                   " AND status = 'active'", (person_id, sig.keyid))
        if holder is not None:
            raise refuse(409, "person_taken", "Người dùng của máy này đã được đăng ký với một thiết bị khác.",
                         hint="Mỗi người dùng đăng ký một thiết bị; liên hệ văn phòng trung tâm để thu hồi"
                              " thiết bị cũ.")
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
                " status, enrolled_at, person_id, person_name) VALUES (?,?,?,?,?,?, 'active', ?,?,?)"
                " ON CONFLICT (device_id) DO UPDATE SET epoch = excluded.epoch, team = excluded.team,"
                " label = excluded.label, x25519_public = excluded.x25519_public,"
                " enrolled_at = excluded.enrolled_at, person_id = excluded.person_id,"
                " person_name = excluded.person_name",
                (sig.keyid, public, bytes.fromhex(data["x25519_public"]), token[0], label, epoch, now,
                 person_id, person_name))
            remember_name(conn, person_id, person_name, sig.keyid, now)
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
                    and 1 <= item[1] <= MAX_EPOCH and 0 <= item[2] <= MAX_SEQ):
                raise refuse(422, "invalid", "Danh sách chuỗi sự kiện không hợp lệ.")
            out[(item[0], item[1])] = item[2]
        return out

    def held_head(self, conn: sqlite3.Connection, requester: str, chain: ChainKey,
                  client_seq: int | None) -> tuple[int, str]:
        """The server's head of a chain. For a chain the requester only relays, capped at what the
        requester holds: the server being ahead of a relayer is normal, and only comparable there."""
        seq, hash_ = chain_head(conn, chain)
        if chain[0] != requester and client_seq is not None and client_seq < seq:
            at = stored_hash(conn, *chain, client_seq) if client_seq else GENESIS
            return client_seq, at or GENESIS
        return seq, hash_

    @staticmethod
    def own_chains(conn: sqlite3.Connection, device_id: str) -> list[ChainKey]:
        rows = conn.execute("SELECT DISTINCT epoch FROM events WHERE device_id = ? ORDER BY epoch", (device_id,))
        return [(device_id, int(r[0])) for r in rows]

    def session(self, device: DeviceRecord, body: bytes, conn: sqlite3.Connection) -> dict[str, Any]:
        """Read only (a reader connection): heads, server time, limits."""
        data = parse_json(body, what="phiên đồng bộ")
        if isinstance(data, dict) and data.get("protocol") != PROTOCOL:
            raise refuse(426, "upgrade", "Phiên bản phần mềm không tương thích với máy chủ.",
                         hint="Cập nhật phần mềm lên phiên bản mới nhất.")
        if not isinstance(data, dict) or set(data) != {"protocol", "chains"}:
            raise refuse(422, "invalid", "Yêu cầu mở phiên đồng bộ không hợp lệ.")
        requested = self._chains(data["chains"])
        with snapshot(conn):
            heads = []
            for chain in sorted(set(requested) | set(self.own_chains(conn, device.device_id))):
                seq, hash_ = self.held_head(conn, device.device_id, chain, requested.get(chain))
                heads.append({"device": chain[0], "epoch": chain[1], "seq": seq, "hash": hash_})
            refdata = chain_head(conn, (self.server_id, self.identity.epoch))
        return {"protocol": PROTOCOL, "server_id": self.server_id, "server_time": self.auth.now_s(),
                "device": {"device_id": device.device_id, "epoch": device.epoch, "team": device.team},
                "heads": heads, "refdata": {"seq": refdata[0], "hash": refdata[1]},
                "limits": {"batch_events": self.sizes.batch_events, "batch_bytes": MAX_BATCH_BYTES,
                           "chunk": self.sizes.chunk, "max_blob": MAX_BLOB}}

    def accept(self, conn: sqlite3.Connection, batch: EventBatch, pusher: DeviceRecord | None) -> int:
        """Ingest a batch inside the caller's transaction: check what the sender may write,
        store and project the events, settle registry proposals, record refs and signed heads.
        Raises ForkError, Forbidden or WireError; the caller rolls back."""
        def keys(device_id: str) -> bytes | None:
            epochs = {r.chain[1] for r in batch.ranges if r.chain[0] == device_id}
            return self.trusted_key(pusher, device_id, max(epochs))

        now = self.now()
        verify_heads(batch, keys)  # before anything is looked at: only trusted chains are checked
        new = new_events(conn, batch)
        check_times((e for e in new if e.device_id != self.server_id), self.clock.now())
        policy = WritePolicy(conn, self.server_id, now)
        policy.check(new)
        result = ingest(conn, batch, keys=keys, server_id=self.server_id)
        policy.record_owners()
        settle_proposals(self.ctx, conn, result.inserted, self.server_id, now)
        record_refs(conn, result.inserted)
        for r in batch.ranges:
            conn.execute(
                "INSERT INTO chain_heads (device_id, epoch, seq, hash, signature) VALUES (?,?,?,?,?)"
                " ON CONFLICT (device_id, epoch) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
                " signature = excluded.signature WHERE excluded.seq > chain_heads.seq",
                (r.head.device_id, r.head.epoch, r.head.seq, r.head.hash, r.head.signature))
        return result.count

    def precheck(self, batch: EventBatch, pusher: DeviceRecord) -> None:
        """Everything `accept` would refuse, writing nothing (a bundle, before its blobs go in)."""
        conn = self.store.conn
        with snapshot(conn):
            verify_heads(batch, lambda device_id: self.trusted_key(pusher, device_id, max(
                r.chain[1] for r in batch.ranges if r.chain[0] == device_id)))
            new = new_events(conn, batch)
            check_times((e for e in new if e.device_id != self.server_id), self.clock.now())
            WritePolicy(conn, self.server_id, self.now(), write=False).check(new)
            precheck(conn, batch, keys=lambda _: None, server_id=self.server_id, heads_checked=True)

    def refused_events(self, batch: EventBatch, device_id: str, epoch: int, seq: int) -> list[Event]:
        return [e for r in batch.ranges for e in r.events
                if (e.device_id, e.epoch) == (device_id, epoch) and e.seq >= seq]

    def quarantine(self, events: list[Event], cause: str, detail: str, source: str,
                   stored_hash: str = "") -> None:
        """Keep refused events for the office (`central quarantine`), never applied."""
        with self.store.transaction() as conn:
            for n, event in enumerate(events):
                conn.execute(
                    "INSERT INTO quarantine (device_id, epoch, seq, stored_hash, received_hash, event, source,"
                    " received_at, cause, detail) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (received_hash)"
                    " DO NOTHING", (event.device_id, event.epoch, event.seq, stored_hash if n == 0 else "",
                                    event.hash, canonical.dumps(event.to_wire()), source, self.now(), cause,
                                    detail[:500]))

    @contextlib.contextmanager
    def quarantining(self, batch: EventBatch, source: str) -> Iterator[None]:
        """A fork or a forbidden write raised inside is quarantined (in a transaction of its own,
        after the caller's rollback) and raised again."""
        try:
            yield
        except ForkError as fork:
            self.quarantine(self.refused_events(batch, fork.device_id, fork.epoch, fork.seq), "fork",
                            fork.render(), source, fork.stored_hash)
            raise
        except Forbidden as refused:
            bad = refused.event
            self.quarantine(self.refused_events(batch, bad.device_id, bad.epoch, bad.seq), refused.cause,
                            refused.error.render(), source)
            raise

    def store_batch(self, batch: EventBatch, pusher: DeviceRecord, source: str,
                    extra: Callable[[sqlite3.Connection], None] | None = None) -> int:
        """`accept` in its own transaction; a fork or a forbidden write is quarantined and refused."""
        with self.quarantining(batch, source), foreign_transaction(self.store) as conn:
            inserted = self.accept(conn, batch, pusher)
            if extra is not None:
                extra(conn)
        return inserted

    def push(self, device: DeviceRecord, body: bytes) -> dict[str, Any]:
        try:
            batch = decode_batch(body)
            def seen(conn: sqlite3.Connection) -> None:
                conn.execute("UPDATE central_devices SET last_seen = ? WHERE device_id = ?",
                             (self.now(), device.device_id))

            inserted = self.store_batch(batch, device, f"push:{device.device_id}", seen)
        except ForkError as fork:
            raise ApiError(409, "fork", fork, extra={
                "device": fork.device_id, "epoch": fork.epoch, "seq": fork.seq,
                "stored_hash": fork.stored_hash}) from fork
        except Forbidden as refused:
            raise refused.api_error() from refused
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
        at the server's offset) for each one this device may send, so it can send chunks at once."""
        data = parse_json(body, what="danh sách tệp")
        if not (isinstance(data, dict) and set(data) == {"have"} and isinstance(data["have"], list)
                and len(data["have"]) <= 10_000 and all(
                    isinstance(h, list) and len(h) == 2 and is_hex(h[0], 64) and isinstance(h[1], int)
                    and not isinstance(h[1], bool) and 0 <= h[1] <= MAX_BLOB for h in data["have"])):
            raise refuse(422, "invalid", "Danh sách tệp không hợp lệ.")
        have = sorted({(h[0], h[1]) for h in data["have"]})
        held = held_blobs(self.store.conn, [sha for sha, _ in have])
        want = [(sha, size) for sha, size in have if sha not in held]
        return {"want": [sha for sha, _ in want], "uploads": self.uploads.start_many(device, want)}

    def start_upload(self, device: DeviceRecord, body: bytes) -> dict[str, Any]:
        data = parse_json(body, what="yêu cầu tải tệp")
        if not isinstance(data, dict) or set(data) != {"sha256", "size"}:
            raise refuse(422, "invalid", "Yêu cầu tải tệp không hợp lệ.",
                         hint="Cần đúng hai trường “sha256” và “size”.")
        return self.uploads.start(device, data["sha256"], data["size"])

    def changes(self, device: DeviceRecord, since: int, limit: int,
                conn: sqlite3.Connection) -> tuple[bytes, int, bool]:
        """One page of the server's reference-data chain, ending at a head it signs (read only)."""
        if not (0 <= since <= MAX_SEQ and 0 <= limit <= MAX_SEQ):
            raise refuse(422, "invalid", "Tham số trang dữ liệu không hợp lệ.")
        chain = (self.server_id, self.identity.epoch)
        limit = max(1, min(limit, PAGE_LIMIT))
        with snapshot(conn):
            events = chain_events(conn, chain, since, since + limit)
            more = bool(events) and chain_head(conn, chain)[0] > events[-1].seq
        if not events:
            return b"", since, False
        last = events[-1]
        head = HeadStatement(last.device_id, last.epoch, last.seq, last.hash).signed_by(self.signer)
        return encode_batch([Range(head, events[0].seq, events)]), last.seq, more

    # -- receipts -----------------------------------------------------------------------------
    def build_receipt(self, device_id: str, chains: dict[ChainKey, int], bundle_id: str | None = None,
                      conn: sqlite3.Connection | None = None) -> Receipt:
        """What the server durably holds of these chains (and the device's own): heads, blobs,
        and for each inspection they touch whether evidence is still missing. Costs in proportion
        to those chains, not to the store."""
        conn = conn or self.store.conn
        with snapshot(conn):
            acks = []
            for chain in sorted(set(chains) | set(self.own_chains(conn, device_id))):
                seq, hash_ = self.held_head(conn, device_id, chain, chains.get(chain))
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
            states = []
            for inspection in sorted(inspections):
                missing = int(conn.execute(
                    "SELECT count(DISTINCT r.sha256) FROM blob_refs r LEFT JOIN blobs b ON b.sha256 = r.sha256"
                    " AND b.state = 'ok' WHERE r.inspection_id = ? AND b.sha256 IS NULL",
                    (inspection,)).fetchone()[0])
                states.append(InspectionState(inspection, missing == 0, missing))
        return Receipt(secrets.token_hex(16), self.server_id, device_id, self.now(), tuple(acks),
                       tuple(sorted(blobs)), tuple(states), bundle_id)

    def receipt(self, device: DeviceRecord, body: bytes, conn: sqlite3.Connection) -> dict[str, Any]:
        data = parse_json(body, what="yêu cầu biên nhận")
        if not isinstance(data, dict) or set(data) != {"chains"}:
            raise refuse(422, "invalid", "Yêu cầu biên nhận không hợp lệ.")
        receipt = self.build_receipt(device.device_id, self._chains(data["chains"]), conn=conn)
        return {"receipt": receipt.body(), "sig": receipt.sign(self.signer).hex()}

    def health(self, conn: sqlite3.Connection) -> dict[str, Any]:
        """Liveness, answered on a reader connection: it never waits behind a write."""
        with contextlib.closing(conn.execute("SELECT 1")) as cur:
            cur.fetchone()
        return {"status": "ok", "server_id": self.server_id, "protocol": PROTOCOL}
