"""The wire format shared by HTTP pushes, reference-data pages and bundles.

An *event batch* is NDJSON: the first line is a header listing the chain ranges it carries, each
ending at a head statement signed by the chain's own device; every following line is one event in
its wire form (`Event.to_wire()`). Parsing is strict and bounded: sizes, counts and JSON depth are
checked before anything is trusted, floats and duplicate keys are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inspector import canonical
from inspector.errors import UserError
from inspector.store.events import EVENT_FORMAT, GENESIS, Event
from inspector.store.projection import REDUCERS
from inspector.sync.keys import Signer, is_hex, verify_ed25519

PROTOCOL = 1
BATCH_FORMAT = "inspector.events"
HEAD_KIND = "inspector.head"

MAX_EVENT_BYTES = 4 * 1024 * 1024  # a catalog.imported event carries a whole catalog (≤ 2 MiB)
MAX_BATCH_EVENTS = 20_000
MAX_BATCH_BYTES = 64 * 1024 * 1024
MAX_RANGES = 1_000
MAX_DEPTH = 32
MAX_TEXT = 512  # ids, names, timestamps in the envelope (payload strings are bounded by size)
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$")

# Only the central server may author these; they reach devices as reference data.
SERVER_ONLY_TYPES = frozenset({"device.enrolled", "device.revoked"})
REFDATA_TYPES = frozenset({
    "catalog.imported", "unit.created", "unit.updated", "person.created", "person.updated",
    "team.created", "team.updated", *SERVER_ONLY_TYPES,
})
# Payload fields that name a blob the receiver must hold (content-addressed evidence and PDFs).
BLOB_FIELDS: dict[str, tuple[str, ...]] = {
    "evidence.added": ("sha256",),
    "document.prepared": ("sha256", "drawn_sha256"),
    "document.signed": ("sha256", "drawn_sha256"),
    "document.timestamped": ("sha256", "drawn_sha256"),
}

ChainKey = tuple[str, int]


class WireError(UserError):
    """Data received from another machine is malformed or not acceptable; nothing was stored."""

    def __init__(self, message: str, *, hint: str = "", code: str = "invalid", **params: Any) -> None:
        self.code = code
        super().__init__(message, hint=hint, **params)


def _reject(what: str) -> Any:
    raise ValueError(f"{what} is not allowed")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key[:40]!r}")
        out[key] = value
    return out


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def depth_of(data: bytes) -> int:
    """Nesting depth of a JSON text, from its brackets outside strings (never recursive: a hostile
    document must not exhaust the stack, and this runs before the parser sees it)."""
    deepest = level = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", data)):
        if bracket in (b"[", b"{"):
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def parse_json(data: bytes | str, *, what: str, unique_keys: bool = True) -> Any:
    """Strict JSON: UTF-8, no floats/NaN, depth ≤ MAX_DEPTH, and (by default) no duplicate keys.

    Events are parsed without the duplicate-key check (a Python hook per object is slow): their
    hash is recomputed over the parsed body, so a line with duplicate keys simply fails it."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth_of(raw) > MAX_DEPTH:
        raise WireError("Dữ liệu {what} lồng quá sâu (trên {n} cấp).", what=what, n=MAX_DEPTH)
    try:
        value = json.loads(raw, parse_float=lambda s: _reject("float"),
                           parse_constant=lambda s: _reject("constant"),
                           object_pairs_hook=_pairs if unique_keys else None)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise WireError("Dữ liệu {what} không phải JSON hợp lệ: {reason}.", what=what,
                        reason=str(exc)[:200]) from exc
    return value


@dataclass(frozen=True)
class HeadStatement:
    """'Chain (device, epoch) ends at seq with this hash', signed by that chain's device key."""

    device_id: str
    epoch: int
    seq: int
    hash: str
    signature: bytes = b""

    def message(self) -> bytes:
        return canonical.encode({"kind": HEAD_KIND, "device": self.device_id, "epoch": self.epoch,
                                 "seq": self.seq, "hash": self.hash})

    def signed_by(self, signer: Signer) -> HeadStatement:
        return HeadStatement(self.device_id, self.epoch, self.seq, self.hash,
                             signer.sign(self.message()))

    def verify(self, public_key: bytes) -> bool:
        return verify_ed25519(public_key, self.signature, self.message())

    def to_json(self) -> dict[str, Any]:
        return {"device": self.device_id, "epoch": self.epoch, "seq": self.seq, "hash": self.hash,
                "sig": self.signature.hex()}

    @classmethod
    def from_json(cls, data: Any) -> HeadStatement:
        if not isinstance(data, dict) or set(data) != {"device", "epoch", "seq", "hash", "sig"}:
            raise WireError("Khai báo đầu chuỗi không hợp lệ.")
        if not (is_hex(data["device"], 32) and _int(data["epoch"], 1) and _int(data["seq"], 1)
                and is_hex(data["hash"], 64) and is_hex(data["sig"], 128)):
            raise WireError("Khai báo đầu chuỗi không hợp lệ.")
        return cls(data["device"], data["epoch"], data["seq"], data["hash"], bytes.fromhex(data["sig"]))


def is_timestamp(value: Any) -> bool:
    return isinstance(value, str) and TIMESTAMP.match(value) is not None


def _int(value: Any, minimum: int = 0, maximum: int = 2**63 - 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def _text(value: Any, maximum: int = MAX_TEXT) -> bool:
    return isinstance(value, str) and len(value) <= maximum


_WIRE_KEYS = frozenset({"v", "device", "epoch", "seq", "prev", "hlc", "at", "author", "type",
                        "entity", "payload", "hash"})


def event_from_wire(data: Any) -> Event:
    """Validate the shape of one received event and check its hash. Raises WireError."""
    ok = (
        isinstance(data, dict) and set(data) == _WIRE_KEYS and data["v"] == EVENT_FORMAT
        and is_hex(data["device"], 32) and _int(data["epoch"], 1, 2**31) and _int(data["seq"], 1)
        and (is_hex(data["prev"], 64)) and _int(data["hlc"]) and is_timestamp(data["at"])
        and isinstance(data["author"], dict) and set(data["author"]) == {"id", "name"}
        and _text(data["author"]["id"]) and _text(data["author"]["name"])
        and _text(data["type"], 64) and _text(data["entity"], 300)
        and isinstance(data["payload"], dict) and is_hex(data["hash"], 64)
    )
    if not ok:
        raise WireError("Sự kiện nhận được có cấu trúc không hợp lệ.")
    if data["type"] not in REDUCERS:
        raise WireError("Loại sự kiện “{type}” chưa được phiên bản này hỗ trợ.", code="upgrade",
                        hint="Cập nhật phần mềm lên phiên bản mới nhất.", type=data["type"][:64])
    if data["seq"] == 1 and data["prev"] != GENESIS:
        raise WireError("Sự kiện đầu chuỗi phải bắt đầu từ băm gốc.")
    event = Event.from_wire(data)
    try:
        actual = event.computed_hash()
    except Exception as exc:  # floats, non-NFC text: not canonical, so not ours
        raise WireError("Sự kiện không ở dạng chuẩn: {reason}.", reason=str(exc)[:120]) from exc
    if actual != event.hash:
        raise WireError("Băm của sự kiện (thiết bị {device}…, số {seq}) không khớp nội dung.",
                        code="hash", device=event.device_id[:12], seq=event.seq)
    return event


@dataclass
class Range:
    """A contiguous run of one chain's events, ending at a signed head statement."""

    head: HeadStatement
    first_seq: int
    events: list[Event] = field(default_factory=list)

    @property
    def chain(self) -> ChainKey:
        return (self.head.device_id, self.head.epoch)


@dataclass
class EventBatch:
    ranges: list[Range]

    @property
    def event_count(self) -> int:
        return sum(len(r.events) for r in self.ranges)

    def events(self) -> list[Event]:
        return [e for r in self.ranges for e in r.events]


def encode_batch(ranges: Sequence[Range]) -> bytes:
    header = {"format": BATCH_FORMAT, "v": 1, "ranges": [
        {"from": r.first_seq, "count": len(r.events), "head": r.head.to_json()} for r in ranges]}
    lines = [canonical.encode(header)]
    # events come from a store that only holds canonical payloads; the receiver re-hashes them
    lines += [json.dumps(e.to_wire(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
              .encode("utf-8") for r in ranges for e in r.events]
    return b"\n".join(lines) + b"\n"


def decode_batch(data: bytes, *, max_events: int = MAX_BATCH_EVENTS) -> EventBatch:
    """Parse and check an event batch: shapes, hashes, contiguity and the range heads' hashes.

    Signatures are checked by the receiver, which knows whose keys it trusts (`verify_heads`).
    """
    if len(data) > MAX_BATCH_BYTES:
        raise WireError("Lô sự kiện quá lớn ({size} byte).", size=len(data))
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise WireError("Lô sự kiện rỗng.")
    header = parse_json(lines[0], what="đầu lô sự kiện")
    if (not isinstance(header, dict) or set(header) != {"format", "v", "ranges"}
            or header["format"] != BATCH_FORMAT or header["v"] != 1
            or not isinstance(header["ranges"], list) or len(header["ranges"]) > MAX_RANGES):
        raise WireError("Đầu lô sự kiện không hợp lệ.")
    total = 0
    ranges: list[Range] = []
    for spec in header["ranges"]:
        if not isinstance(spec, dict) or set(spec) != {"from", "count", "head"} or not (
                _int(spec["from"], 1) and _int(spec["count"], 1, max_events)):
            raise WireError("Khai báo đoạn sự kiện không hợp lệ.")
        head = HeadStatement.from_json(spec["head"])
        if spec["from"] + spec["count"] - 1 != head.seq:
            raise WireError("Đoạn sự kiện không kết thúc ở đầu chuỗi đã ký.")
        ranges.append(Range(head, spec["from"]))
        total += spec["count"]
    if total > max_events or total != len(lines) - 1:
        raise WireError("Số sự kiện trong lô không khớp phần khai báo.")
    pos = 1
    for r, spec in zip(ranges, header["ranges"], strict=True):
        for offset in range(spec["count"]):
            line = lines[pos]
            pos += 1
            if len(line) > MAX_EVENT_BYTES:
                raise WireError("Một sự kiện vượt quá {n} byte.", n=MAX_EVENT_BYTES)
            event = event_from_wire(parse_json(line, what="sự kiện", unique_keys=False))
            if (event.device_id, event.epoch) != r.chain or event.seq != r.first_seq + offset:
                raise WireError("Sự kiện không nằm đúng vị trí trong đoạn khai báo.")
            if r.events and event.prev_hash != r.events[-1].hash:
                raise WireError("Chuỗi băm trong lô bị đứt ở số {seq}.", seq=event.seq)
            r.events.append(event)
        if r.events[-1].hash != r.head.hash:
            raise WireError("Đầu chuỗi đã ký không khớp sự kiện cuối của đoạn.")
    return EventBatch(ranges)


def blob_refs(event: Event) -> list[str]:
    """SHA-256 of every blob an event refers to (the receiver must hold all of them)."""
    out = []
    for name in BLOB_FIELDS.get(event.type, ()):
        value = event.payload.get(name)
        if is_hex(value, 64):
            out.append(str(value))
    return out


def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
