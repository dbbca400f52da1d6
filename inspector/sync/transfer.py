"""USB bundles on a device: cumulative export, read-back verification, importing receipts and
team members' bundles (peer merge on the leader's laptop).

Export for the server takes everything the last receipt does not cover, so a lost stick loses
nothing. The file is written as `<name>.part`, flushed, renamed, then read back and fully
decrypted and hashed (the device still holds the bundle key in memory) before "safe to remove".
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from inspector.clock import to_rfc3339
from inspector.errors import UserError
from inspector.store.events import Event
from inspector.sync import state, steps
from inspector.sync.bundle import (
    BlobSource,
    Envelope,
    PiecesReader,
    drain,
    new_manifest,
    read_envelope,
    read_payload,
    write_file,
)
from inspector.sync.bundle_keys import encryption, require_recipient
from inspector.sync.keys import Signer, fingerprint
from inspector.sync.merge import KeyResolver, chain_events, precheck
from inspector.sync.progress import check_cancel
from inspector.sync.receipts import Receipt
from inspector.sync.steps import SyncContext, not_enrolled
from inspector.sync.wire import EventBatch, HeadStatement, Range, WireError, blob_refs, decode_batch, encode_batch
from inspector.vault import Vault


@dataclass(frozen=True)
class ExportResult:
    path: Path
    bundle_id: str
    kind: str
    events: int
    blobs: int
    bytes: int
    verified: bool  # read back and fully checked: the stick may be removed


@dataclass(frozen=True)
class ImportOutcome:
    kind: str  # "receipt" | "device-to-peer"
    bundle_id: str
    source_device: str
    imported: bool  # False: already imported before (a no-op)
    events: int
    blobs: int
    receipt: Receipt | None


@dataclass(frozen=True)
class BundleSummary:
    """What `bundle inspect` shows: the readable manifest only (contents stay encrypted)."""

    kind: str
    bundle_id: str
    created_at: str
    source_device: str
    source_fingerprint: str
    audience: tuple[str, ...]
    event_count: int
    event_ranges: tuple[dict[str, Any], ...]
    blob_count: int
    blob_bytes: int
    file_size: int
    signature: str  # "valid" | "invalid" | "unknown signer"
    receipt: dict[str, Any] | None


def _progress_none(_: int) -> None:
    return None


def _opener(vault: Vault, sha: str) -> Callable[[], BinaryIO]:
    return lambda: vault.open_blob(sha)  # the plaintext (the laptop's vault is encrypted)


class BundleTransfer:
    """Bundles of one device. Reads through `ctx.store` (possibly read-only); an import's
    database work is one step through `ctx.write`, after everything was checked and the blobs
    (content-addressed, verified) are in the vault."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.vault = ctx.vault
        self.device = ctx.device
        self.clock = ctx.clock
        self.signer = Signer.of(ctx.device)

    def _link(self) -> state.ServerLink:
        link = state.load_link(self.store.conn)
        if link is None:
            raise not_enrolled()
        return link

    def keys(self, link: state.ServerLink | None) -> KeyResolver:
        """Whose chains this device trusts: its own, the pinned server's, the team roster's."""
        def resolve(device_id: str) -> bytes | None:
            if device_id == self.device.device_id:
                return self.device.public_key
            if link is not None and device_id == link.server_id:
                return link.server_public_key
            row = self.store.conn.execute(  # the roster of this device's own team only
                "SELECT public_key FROM team_devices WHERE device_id = ? AND revoked = 0 AND team = ?",
                (device_id, link.team if link else "")).fetchone()
            return bytes.fromhex(row[0]) if row else None
        return resolve

    # -- export -------------------------------------------------------------------------------
    def _ranges(self, link: state.ServerLink, for_peer: bool) -> list[Range]:
        conn = self.store.conn
        acked = {} if for_peer else state.acks(conn)
        ranges = []
        for chain in state.local_chains(conn) if for_peer else state.sent_chains(conn, link):
            if chain == link.forked_chain:
                continue
            after = acked.get(chain, (0, ""))[0]
            if chain[0] == self.device.device_id:
                events = chain_events(conn, chain, after)
                if not events:
                    continue
                head = HeadStatement(*chain, events[-1].seq, events[-1].hash).signed_by(self.signer)
            else:
                stored = state.signed_head(conn, chain)
                if stored is None or stored.seq <= after:
                    continue
                events, head = chain_events(conn, chain, after, stored.seq), stored
            ranges.append(Range(head, events[0].seq, events))
        return ranges

    def _blobs(self, events: list[Event], for_peer: bool) -> list[BlobSource]:
        conn = self.store.conn
        wanted = ({s for e in events for s in blob_refs(e)} | set(state.unsent_blobs(conn))
                  if not for_peer else {s for e in self._all_events() for s in blob_refs(e)})
        out = []
        for sha in sorted(wanted):
            size = self.vault.size_of(sha)
            if size is None:
                continue
            if not for_peer and conn.execute("SELECT 1 FROM sync_blobs WHERE sha256 = ? AND"
                                             " server_has = 1", (sha,)).fetchone():
                continue
            out.append(BlobSource(sha, size, _opener(self.vault, sha)))
        return out

    def _all_events(self) -> Iterator[Event]:
        from inspector.store.events import iter_events

        return iter_events(self.store.conn)

    def export(self, path: Path, *, for_device: str | None = None,
               progress: Callable[[int], None] = _progress_none,
               cancel: threading.Event | None = None) -> ExportResult:
        link = self._link()
        if for_device is None:
            kind, audience = "device-to-server", [(link.server_id, link.server_x25519)]
        else:
            prefix = for_device.strip().lower()
            row = [r for r in self.store.conn.execute(
                "SELECT device_id, x25519_public FROM team_devices WHERE revoked = 0 AND team = ?",
                (link.team,)) if prefix and r[0].startswith(prefix)]
            if len(row) != 1:
                raise UserError("Không tìm thấy đúng một thiết bị “{id}” trong danh sách của đoàn.",
                                hint="Đồng bộ với máy chủ để nhận danh sách thiết bị của đoàn.",
                                id=for_device[:40])
            kind, audience = "device-to-peer", [(row[0][0], bytes.fromhex(row[0][1]))]
        ranges = self._ranges(link, for_peer=for_device is not None)
        events = [e for r in ranges for e in r.events]
        blobs = self._blobs(events, for_peer=for_device is not None)
        pending = state.load_pending(self.store.conn) if for_device is None else None
        request = pending.request if pending is not None and pending.server_id == link.server_id else None
        if not events and not blobs and request is None:  # a first bundle may carry only the request
            raise UserError("Không có dữ liệu mới cần gửi: máy chủ đã xác nhận nhận đủ.",
                            hint="Không cần xuất gói lúc này.")
        bundle_id = uuid.uuid4().hex
        # the source is a recipient too: it reads the bundle back from the stick before "safe to remove"
        recipients = [*audience, (self.device.device_id, self.signer.x25519_public())]
        events_bytes = encode_batch(ranges) if ranges else b""
        manifest = new_manifest(
            bundle_id=bundle_id, kind=kind, created_at=to_rfc3339(self.clock.now()), source=self.signer,
            epoch=self.device.epoch, audience=[a for a, _ in audience],
            encryption=encryption(recipients),
            ranges=[{"device": r.head.device_id, "epoch": r.head.epoch, "from": r.first_seq,
                     "to": r.head.seq, "head_hash": r.head.hash} for r in ranges],
            event_count=len(events), events=events_bytes, blobs=blobs, enrollment=request)
        check_cancel(cancel)
        total = write_file(path, manifest, self.signer, events_bytes, blobs, progress)
        self.verify_written(path, manifest)
        return ExportResult(path, bundle_id, kind, len(events), len(blobs), total, True)

    def verify_written(self, path: Path, manifest: dict[str, Any]) -> None:
        """Read the file back from the stick and check everything, as the receiver will."""
        env = read_envelope(path)
        if env.manifest != manifest or not env.signature_valid(self.device.public_key):
            raise WireError("Gói vừa ghi đọc lại không khớp; USB có thể bị lỗi. Không rút USB, hãy"
                            " xuất lại hoặc dùng USB khác.", code="readback")
        read_payload(env, self.signer, drain)

    # -- inspect ------------------------------------------------------------------------------
    def inspect(self, path: Path) -> BundleSummary:
        env = read_envelope(path)
        m = env.manifest
        link = state.load_link(self.store.conn)
        key = bytes.fromhex(m["source"]["public_key"])
        trusted = self.keys(link)(env.source_device)
        if trusted is None:
            signature = "unknown signer" if env.signature_valid(key) else "invalid"
        else:
            signature = "valid" if trusted == key and env.signature_valid(trusted) else "invalid"
        return BundleSummary(env.kind, m["bundle_id"], m["created_at"], env.source_device,
                             fingerprint(key), tuple(m["audience"]), m["event_count"],
                             tuple(m["event_ranges"]), len(m["blobs"]),
                             sum(b["size"] for b in m["blobs"]), env.file_size, signature, m["receipt"])

    # -- import -------------------------------------------------------------------------------
    def _signers(self) -> list[bytes]:
        """Keys a bundle given to this device may be signed with: its own (a bundle it wrote, given
        back by mistake), the pinned server's, its team's."""
        link = state.load_link(self.store.conn)
        if link is None:
            return [self.device.public_key]
        roster = [bytes.fromhex(r[0]) for r in self.store.conn.execute(
            "SELECT public_key FROM team_devices WHERE revoked = 0 AND team = ?", (link.team,))]
        return [self.device.public_key, link.server_public_key, *roster]

    def import_file(self, path: Path) -> ImportOutcome:
        env = read_envelope(path, signers=self._signers())  # the signature first, then the manifest
        if env.kind == "receipt":
            return self._import_receipt(env)
        if env.kind == "device-to-peer":
            return self._import_peer(env)
        raise UserError("Gói này là dữ liệu gửi máy chủ trung tâm, không nhập vào máy cán bộ được.",
                        hint="Mang gói đến văn phòng trung tâm để nhập; ở đây chỉ nhập biên nhận của máy chủ"
                             " hoặc gói của thành viên trong đoàn.")

    def _import_receipt(self, env: Envelope) -> ImportOutcome:
        link = self._link()
        m = env.manifest
        if (env.source_device != link.server_id or m["source"]["public_key"] != link.server_public_key.hex()
                or not env.signature_valid(link.server_public_key)):
            raise WireError("Biên nhận không có chữ ký hợp lệ của máy chủ đã đăng ký; không dùng.",
                            code="receipt")
        body = m["receipt"]
        if not isinstance(body, dict) or set(body) != {"body", "sig"} or not isinstance(body["sig"], str):
            raise WireError("Biên nhận không đúng định dạng.", code="receipt")
        receipt = Receipt.from_body(body["body"])
        try:
            signature = bytes.fromhex(body["sig"])
        except ValueError as exc:
            raise WireError("Biên nhận không đúng định dạng.", code="receipt") from exc
        self.ctx.write(lambda c: steps.apply_receipt(c, receipt, signature, "file"))
        return ImportOutcome("receipt", m["bundle_id"], env.source_device, True, 0, len(receipt.blobs),
                             receipt)

    def _import_peer(self, env: Envelope) -> ImportOutcome:
        link = state.load_link(self.store.conn)
        m = env.manifest
        keys = self.keys(link)
        signer_key = keys(env.source_device)
        if signer_key is None:
            raise WireError("Gói đến từ thiết bị không có trong danh sách của đoàn (vân tay khóa {fp});"
                            " không nhập.", code="untrusted",
                            hint="Đồng bộ với máy chủ để cập nhật danh sách thiết bị rồi thử lại.",
                            fp=fingerprint(bytes.fromhex(m["source"]["public_key"])))
        if m["source"]["public_key"] != signer_key.hex() or not env.signature_valid(signer_key):
            raise WireError("Chữ ký của gói không hợp lệ; gói có thể đã bị sửa.", code="signature")
        if self.store.scalar("SELECT 1 FROM imported_bundles WHERE bundle_id = ?", (m["bundle_id"],)):
            return ImportOutcome(env.kind, m["bundle_id"], env.source_device, False, 0, 0, None)
        require_recipient(m, self.signer)
        raw = read_payload(env, self.signer, drain)
        batch = decode_batch(raw, max_events=max(1, m["event_count"])) if raw else EventBatch([])
        server_id = link.server_id if link else None
        now = steps.peer_now(self.store, self.clock)
        precheck(self.store.conn, batch, keys=keys, server_id=server_id, now=now)
        stored: list[tuple[str, int]] = []

        def place(sha: str, size: int, pieces: Iterator[bytes]) -> None:
            if not self.vault.verify(sha, size):
                self.vault.put_stream(PiecesReader(pieces), expected_sha256=sha)  # type: ignore[arg-type]
            stored.append((sha, size))

        read_payload(env, self.signer, place)
        count = self.ctx.write(lambda c: steps.merge_peer(c, env, batch, keys, server_id, stored, now))
        return ImportOutcome(env.kind, m["bundle_id"], env.source_device, True, count, len(stored), None)
