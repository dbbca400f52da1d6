"""The bundle file: a framed, signed, encrypted stream (never a zip or tar archive).

    HEADER    "INSPBNDL\\0" | u16 format version | u16 flags (0)
    MANIFEST  u32 length (≤ 16 MiB) | canonical JSON (readable: ids, counts, hashes; no content)
    SIG       64 bytes: Ed25519 by the source over "inspector.bundle.v1\\0" + SHA-256(MANIFEST)
    [KEY]     FLAG_ENROLLING only: the source's Ed25519 key (a laptop enrolled from a file)
    PAYLOAD   one age file (X25519 recipients: the audience and the source), `sync.bundle_keys`
    TRAILER   "END\\0" | SHA-256(MANIFEST) | u64 total file length

The plaintext payload is the event batch (`wire.encode_batch`) followed by one record per blob:
"B" | raw SHA-256 (32) | u64 size | bytes. The recipients (ids and X25519 keys) sit in the
(signed) manifest. Readers check sizes and the trailer first, then the manifest hash and
signature, and only then decrypt; age authenticates every chunk, its final-chunk flag makes
truncation detectable, and the manifest's hashes bind the plaintext to the signature.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from inspector import canonical
from inspector.sync.bundle_keys import (
    CHUNK_SIZE,
    ENCRYPTION_ALG,
    AgeReader,
    age_chunks,
    bad,
    ciphertext_bounds,
    encrypt_to,
)
from inspector.sync.enrollment import check_request
from inspector.sync.keys import Signer, is_hex, verify_ed25519
from inspector.sync.wire import WireError, is_timestamp, parse_json
from inspector.vault import fsync_dir

MAGIC = b"INSPBNDL\x00"
FORMAT_VERSION = 1
_HEADER = struct.Struct(">9sHH")
_U32 = struct.Struct(">I")
_BLOB_HEAD = struct.Struct(">c32sQ")
TRAILER_MAGIC = b"END\x00"
_TRAILER = struct.Struct(">4s32sQ")
SIG_LEN = 64
FLAG_ENROLLING = 0x0001  # the signer's Ed25519 key follows SIG: a laptop enrolled from a file
KEY_LEN = 32
SIG_DOMAIN = b"inspector.bundle.v1\x00"

MAX_FILE = 50 * 1024**3
MAX_MANIFEST = 16 * 1024 * 1024
MAX_BLOBS = 1_000_000
MAX_RECIPIENTS = 16
MAX_EVENTS_BYTES = 256 * 1024 * 1024
KINDS = ("device-to-server", "device-to-peer", "receipt")
OLD_ENCRYPTION_ALG = "x25519-hkdf-sha256+aes-256-gcm"  # before age; never released (no installed base)
MANIFEST_KEYS = frozenset({"format", "version", "bundle_id", "kind", "created_at", "source", "audience",
                           "encryption", "event_ranges", "event_count", "events_bytes", "events_sha256",
                           "blobs", "payload_bytes", "chunks", "receipt"})


def fixed_overhead(manifest_len: int) -> int:
    return _HEADER.size + _U32.size + manifest_len + SIG_LEN + _TRAILER.size


@dataclass(frozen=True)
class BlobSource:
    sha256: str
    size: int
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class Envelope:
    """Everything readable without a key, already checked: sizes, trailer, manifest, signature shape."""

    path: Path
    manifest: dict[str, Any]
    manifest_bytes: bytes
    manifest_sha256: str
    signature: bytes
    payload_offset: int
    file_size: int
    enrolling_key: bytes | None = None  # FLAG_ENROLLING: the key the signer names in the header
    payload_length: int = 0  # the age file's length (0: no payload)

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def source_device(self) -> str:
        return str(self.manifest["source"]["device"])

    def signature_valid(self, public_key: bytes) -> bool:
        return verify_ed25519(public_key, self.signature, SIG_DOMAIN + bytes.fromhex(self.manifest_sha256))


# -- writing ------------------------------------------------------------------------------------
def payload_size(events_bytes: int, blobs: Sequence[BlobSource]) -> int:
    return events_bytes + sum(_BLOB_HEAD.size + b.size for b in blobs)


def _plaintext(events: bytes, blobs: Sequence[BlobSource]) -> Iterator[bytes]:
    yield events
    for blob in blobs:
        yield _BLOB_HEAD.pack(b"B", bytes.fromhex(blob.sha256), blob.size)
        digest = hashlib.sha256()
        seen = 0
        with blob.open() as fh:
            while seen < blob.size and (piece := fh.read(min(CHUNK_SIZE, blob.size - seen))):
                digest.update(piece)
                seen += len(piece)
                yield piece
        if seen != blob.size or digest.hexdigest() != blob.sha256:
            raise WireError("Một ảnh hoặc tệp minh chứng ({sha}…) trong máy bị hỏng (nội dung không còn như"
                            " lúc lưu); gói dữ liệu không được tạo.",
                            hint="Kiểm tra kho minh chứng (Công cụ › Kiểm tra toàn vẹn dữ liệu) rồi xuất lại.",
                            code="corrupt", sha=blob.sha256[:12])


def write_bundle(out: BinaryIO, manifest: dict[str, Any], signer: Signer,
                 events: bytes, blobs: Sequence[BlobSource],
                 progress: Callable[[int], None] | None = None) -> int:
    """Write a complete bundle to `out`; returns the total length. The manifest must be final."""
    manifest_bytes = canonical.encode(manifest)
    if len(manifest_bytes) > MAX_MANIFEST:
        raise WireError("Phần mô tả của gói quá lớn; hãy đồng bộ hoặc xuất gói thường xuyên hơn.")
    digest = hashlib.sha256(manifest_bytes).digest()
    total = 0

    def put(data: bytes) -> None:
        nonlocal total
        out.write(data)
        total += len(data)

    enrolling = "enrollment" in manifest
    put(_HEADER.pack(MAGIC, FORMAT_VERSION, FLAG_ENROLLING if enrolling else 0))
    put(_U32.pack(len(manifest_bytes)) + manifest_bytes)
    put(signer.sign(SIG_DOMAIN + digest))
    if enrolling:
        put(signer.public_key)
    enc = manifest["encryption"]
    if enc is not None:
        keys = [bytes.fromhex(r["x25519"]) for r in enc["recipients"]]
        written = encrypt_to(out, _plaintext(events, blobs), keys, progress)
        total += written
        low, high = ciphertext_bounds(manifest["payload_bytes"], len(keys))
        if not low <= written <= high:
            raise WireError("Dữ liệu thay đổi trong lúc xuất gói; hãy xuất lại.")
    out.write(_TRAILER.pack(TRAILER_MAGIC, digest, total + _TRAILER.size))
    return total + _TRAILER.size


# -- reading ------------------------------------------------------------------------------------
def _check_manifest(m: Any) -> None:
    """Shape and bounds of a manifest. Names in it are data: none ever becomes a file path."""
    ok = isinstance(m, dict) and m.get("format") == "inspector.bundle" and m.get("version") == 1
    ok = ok and set(m) in (MANIFEST_KEYS, MANIFEST_KEYS | {"enrollment"})
    if not ok:
        raise bad("Phần mô tả của gói không đúng định dạng.")
    if "enrollment" in m and not (m["kind"] == "device-to-server" and check_request(m["enrollment"])):
        raise bad("Yêu cầu đăng ký thiết bị trong gói không hợp lệ.")
    src, enc = m["source"], m["encryption"]
    ok = (is_hex(m["bundle_id"], 32) and m["kind"] in KINDS and is_timestamp(m["created_at"])
          and isinstance(src, dict)
          and set(src) == {"device", "epoch", "public_key"} and is_hex(src["device"], 32)
          and _int(src["epoch"], 1) and is_hex(src["public_key"], 64)
          and isinstance(m["audience"], list) and 0 < len(m["audience"]) <= MAX_RECIPIENTS
          and all(is_hex(a, 32) for a in m["audience"])
          and isinstance(m["event_ranges"], list) and len(m["event_ranges"]) <= 1000
          and _int(m["event_count"]) and _int(m["events_bytes"], 0, MAX_EVENTS_BYTES)
          and (is_hex(m["events_sha256"], 64)) and isinstance(m["blobs"], list)
          and len(m["blobs"]) <= MAX_BLOBS and _int(m["payload_bytes"]) and _int(m["chunks"])
          and (m["receipt"] is None or isinstance(m["receipt"], dict)))
    if not ok:
        raise bad("Phần mô tả của gói có trường không hợp lệ.")
    for r in m["event_ranges"]:
        if not (isinstance(r, dict) and set(r) == {"device", "epoch", "from", "to", "head_hash"}
                and is_hex(r["device"], 32) and _int(r["epoch"], 1) and _int(r["from"], 1)
                and _int(r["to"], r["from"]) and is_hex(r["head_hash"], 64)):
            raise bad("Phần mô tả của gói có đoạn thay đổi không hợp lệ.")
    seen: set[str] = set()
    for b in m["blobs"]:
        if not (isinstance(b, dict) and set(b) == {"sha256", "size"} and is_hex(b["sha256"], 64)
                and _int(b["size"]) and b["sha256"] not in seen):
            raise bad("Phần mô tả của gói có tệp minh chứng không hợp lệ.")
        seen.add(b["sha256"])
    if isinstance(enc, dict) and enc.get("alg") == OLD_ENCRYPTION_ALG:
        raise WireError("Gói được tạo bởi phiên bản thử nghiệm cũ của phần mềm (kiểu mã hóa cũ) nên không đọc"
                        " được.", code="upgrade", hint="Cập nhật phần mềm trên máy gửi rồi xuất lại gói.")
    if enc is None:
        if m["chunks"] or m["payload_bytes"]:
            raise bad("Gói khai báo dữ liệu nhưng không có khóa mã hóa.")
    elif not (isinstance(enc, dict) and set(enc) == {"alg", "recipients"} and enc["alg"] == ENCRYPTION_ALG
              and isinstance(enc["recipients"], list) and 0 < len(enc["recipients"]) <= MAX_RECIPIENTS + 1
              and all(isinstance(r, dict) and set(r) == {"id", "x25519"} and is_hex(r["id"], 32)
                      and is_hex(r["x25519"], 64) for r in enc["recipients"])):
        raise bad("Phần mã hóa của gói không hợp lệ.")
    expected_payload = m["events_bytes"] + sum(_BLOB_HEAD.size + b["size"] for b in m["blobs"])
    if m["payload_bytes"] != expected_payload or m["chunks"] != (age_chunks(expected_payload) if enc else 0):
        raise bad("Kích thước dữ liệu khai báo trong gói không nhất quán.")


def _int(value: Any, minimum: int = 0, maximum: int = 2**62) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def read_envelope(path: Path, *, max_file: int = MAX_FILE, signers: Sequence[bytes] | None = None,
                  enrolling: bool = False) -> Envelope:
    """Open a bundle without any key: limits, trailer, header, manifest. Writes nothing.

    With `signers` (the keys the reader trusts), the signature over the manifest's hash is
    verified against them before the manifest is parsed at all: an unsigned or foreign bundle
    costs one hash and a few signature checks, however its manifest was crafted. With
    `enrolling` (the central), a bundle flagged FLAG_ENROLLING may instead be signed by the key
    its header names; its manifest must then carry an enrollment request for that key, which the
    caller checks before trusting anything else."""
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_file:
                raise bad("Gói quá lớn ({size} byte; giới hạn {limit}).", size=size, limit=max_file)
            if size < _HEADER.size + _U32.size + SIG_LEN + _TRAILER.size:
                raise bad("Gói không đầy đủ (tệp bị cắt ngắn).")
            fh.seek(size - _TRAILER.size)
            end_magic, manifest_hash, total = _TRAILER.unpack(fh.read(_TRAILER.size))
            if end_magic != TRAILER_MAGIC or total != size:
                raise bad("Gói không đầy đủ (thiếu phần kết thúc; có thể USB bị rút khi đang ghi).")
            fh.seek(0)
            magic, version, flags = _HEADER.unpack(fh.read(_HEADER.size))
            if magic != MAGIC:
                raise bad("Tệp này không phải gói dữ liệu Inspector.")
            if version != FORMAT_VERSION or flags & ~FLAG_ENROLLING:
                raise WireError("Gói được tạo bởi phiên bản phần mềm khác (định dạng {v}).",
                                hint="Cập nhật phần mềm lên phiên bản mới nhất.", code="upgrade",
                                v=version)
            (length,) = _U32.unpack(fh.read(_U32.size))
            if length > MAX_MANIFEST or length > size - fixed_overhead(0):
                raise bad("Phần mô tả của gói vượt giới hạn kích thước.")
            manifest_bytes = fh.read(length)
            signature = fh.read(SIG_LEN)
            claimed = fh.read(KEY_LEN) if flags & FLAG_ENROLLING else None
            if claimed is not None and len(claimed) != KEY_LEN:
                raise bad("Gói không đầy đủ (tệp bị cắt ngắn).")
    except OSError as exc:
        raise WireError("Không đọc được tệp gói {path}: {reason}.", hint="Kiểm tra USB rồi thử lại.",
                        path=str(path), reason=exc.strerror or str(exc)) from exc
    if hashlib.sha256(manifest_bytes).digest() != manifest_hash:
        raise bad("Phần mô tả của gói đã bị thay đổi hoặc hỏng (mã băm không khớp).")
    signer: bytes | None = None
    if signers is not None:
        signer = next((k for k in signers if verify_ed25519(k, signature, SIG_DOMAIN + manifest_hash)), None)
        if (signer is None and enrolling and claimed is not None
                and verify_ed25519(claimed, signature, SIG_DOMAIN + manifest_hash)):
            signer = claimed  # possession of the key is proven; the request is checked by the caller
        if signer is None:
            raise WireError("Gói không có chữ ký hợp lệ của một thiết bị mà máy này tin cậy (thiết bị gửi chưa"
                            " đăng ký, không thuộc đoàn, đã bị thu hồi, hoặc gói đã bị sửa); không nhập.",
                            code="signature", hint="Xuất lại gói từ máy gửi; đồng bộ với máy chủ để cập nhật"
                                                   " danh sách thiết bị của đoàn rồi thử lại.")
    manifest = parse_json(manifest_bytes, what="mô tả gói")
    try:
        canonical_form = canonical.encode(manifest)
    except Exception as exc:  # a non-canonical manifest is not one we wrote
        raise bad("Phần mô tả của gói không ở dạng chuẩn.") from exc
    if canonical_form != manifest_bytes:
        raise bad("Phần mô tả của gói không ở dạng chuẩn.")
    _check_manifest(manifest)
    if signer is not None and manifest["source"]["public_key"] != signer.hex():
        raise WireError("Gói ghi nguồn là một thiết bị khác với thiết bị đã ký; không nhập.", code="signature")
    if ("enrollment" in manifest) != (claimed is not None) or (
            claimed is not None and manifest["source"]["public_key"] != claimed.hex()):
        raise bad("Yêu cầu đăng ký thiết bị trong gói không hợp lệ.")
    extra = KEY_LEN if claimed is not None else 0
    ciphertext = size - fixed_overhead(length) - extra
    enc = manifest["encryption"]
    low, high = ciphertext_bounds(manifest["payload_bytes"], len(enc["recipients"])) if enc else (0, 0)
    if not low <= ciphertext <= high:
        raise bad("Kích thước gói không khớp phần mô tả (gói không đầy đủ hoặc bị sửa).")
    return Envelope(path, manifest, manifest_bytes, manifest_hash.hex(), signature,
                    _HEADER.size + _U32.size + length + SIG_LEN + extra, size, claimed, ciphertext)


BlobSink = Callable[[str, int, Iterator[bytes]], None]


def read_payload(env: Envelope, recipient: Signer, on_blob: BlobSink) -> bytes:
    """Decrypt the payload as `recipient`: returns the event batch bytes (hash-checked); each
    blob's bytes are streamed to `on_blob(sha256, size, pieces)`, and its hash is checked after the
    sink consumed it."""
    m = env.manifest
    if m["encryption"] is None:
        return b""
    with env.path.open("rb") as fh, contextlib.closing(
            AgeReader(fh, env.payload_offset, env.payload_length, recipient)) as stream:
        events = stream.read(m["events_bytes"]) if m["events_bytes"] else b""
        if hashlib.sha256(events).hexdigest() != m["events_sha256"]:
            raise bad("Phần thay đổi của gói không khớp mã băm khai báo.")
        for declared in m["blobs"]:
            tag, raw_sha, size = _BLOB_HEAD.unpack(stream.read(_BLOB_HEAD.size))
            if tag != b"B" or raw_sha.hex() != declared["sha256"] or size != declared["size"]:
                raise bad("Tệp minh chứng trong gói không khớp phần mô tả.")
            digest = hashlib.sha256()

            def pieces(remaining: int = size, digest: Any = digest) -> Iterator[bytes]:
                while remaining:
                    piece = stream.read(min(CHUNK_SIZE, remaining))
                    remaining -= len(piece)
                    digest.update(piece)
                    yield piece

            flow = pieces()
            on_blob(declared["sha256"], size, flow)
            for _ in flow:  # whatever the sink left unread still has to be authenticated
                pass
            if digest.hexdigest() != declared["sha256"]:
                raise bad("Tệp minh chứng {sha}… trong gói không khớp mã băm.", sha=declared["sha256"][:12])
        stream.finish()
    return events


def drain(sha256: str, size: int, pieces: Iterator[bytes]) -> None:
    """A blob sink that only reads (the hash is checked by read_payload)."""
    for _ in pieces:
        pass


class PiecesReader:
    """A file-like view of a piece iterator (to feed Vault.put_stream)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._rest = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._rest) < n:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._rest += piece
        if n < 0:
            out, self._rest = self._rest, b""
        else:
            out, self._rest = self._rest[:n], self._rest[n:]
        return out


# -- assembling and writing files ---------------------------------------------------------------
def new_manifest(*, bundle_id: str, kind: str, created_at: str, source: Signer, epoch: int,
                 audience: Sequence[str], encryption: dict[str, Any] | None,
                 ranges: Sequence[dict[str, Any]], event_count: int, events: bytes,
                 blobs: Sequence[BlobSource], receipt: dict[str, Any] | None = None,
                 enrollment: dict[str, Any] | None = None) -> dict[str, Any]:
    """`enrollment`: the request of a laptop enrolled from a file, until the central registered it."""
    payload = payload_size(len(events), blobs) if encryption else 0
    extra = {} if enrollment is None else {"enrollment": enrollment}
    return {**extra,
        "format": "inspector.bundle", "version": FORMAT_VERSION, "bundle_id": bundle_id,
        "kind": kind, "created_at": created_at,
        "source": {"device": source.device_id, "epoch": epoch, "public_key": source.public_key.hex()},
        "audience": list(audience), "encryption": encryption, "event_ranges": list(ranges),
        "event_count": event_count, "events_bytes": len(events) if encryption else 0,
        "events_sha256": hashlib.sha256(events if encryption else b"").hexdigest(),
        "blobs": [{"sha256": b.sha256, "size": b.size} for b in blobs] if encryption else [],
        "payload_bytes": payload, "chunks": age_chunks(payload) if encryption else 0, "receipt": receipt,
    }


def record_import(conn: sqlite3.Connection, env: Envelope, stored: Sequence[tuple[str, int]], now: str) -> None:
    """Inside the import's transaction: the blobs now held (verified), and the bundle as imported."""
    for sha, size in stored:
        conn.execute("INSERT INTO blobs (sha256, size, state, stored_at, verified_at)"
                     " VALUES (?,?, 'ok', ?, ?) ON CONFLICT (sha256) DO UPDATE SET state = 'ok',"
                     " verified_at = excluded.verified_at", (sha, size, now, now))
    conn.execute("INSERT INTO imported_bundles (bundle_id, kind, source_device, manifest_sha256, imported_at)"
                 " VALUES (?,?,?,?,?)",
                 (env.manifest["bundle_id"], env.kind, env.source_device, env.manifest_sha256, now))


def write_file(final: Path, manifest: dict[str, Any], signer: Signer,
               events: bytes, blobs: Sequence[BlobSource],
               progress: Callable[[int], None] | None = None) -> int:
    """Write `<final>.part`, flush it to the device, then rename: never a half bundle under the
    final name (a stick pulled out mid-write leaves the older bundle, or a detectable .part)."""
    part = final.with_name(final.name + ".part")
    try:
        with part.open("wb") as fh:
            total = write_bundle(fh, manifest, signer, events, blobs, progress)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, final)
        fsync_dir(final.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        from inspector.store.db import translate_os_error

        user = translate_os_error(exc)
        if user is not None:
            raise WireError("Không ghi được gói vào {path}: ổ đĩa hoặc USB đã đầy hoặc không cho ghi.",
                            hint="Giải phóng dung lượng hoặc dùng USB khác rồi xuất lại.",
                            code="storage", path=str(final)) from exc
        raise WireError("Không ghi được gói vào {path}: {reason}.", code="storage",
                        hint="Kiểm tra USB (đã cắm chắc, không bị khóa ghi) rồi xuất lại.",
                        path=str(final), reason=exc.strerror or str(exc)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return total
