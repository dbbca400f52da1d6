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
from datetime import UTC, datetime, timedelta
from typing import Any

from inspector import canonical
from inspector.clock import parse_rfc3339, to_rfc3339
from inspector.errors import UserError
from inspector.store.events import EVENT_FORMAT, GENESIS, HLC_SHIFT, Event
from inspector.store.projection import REDUCERS
from inspector.sync.keys import Signer, is_hex, verify_ed25519
from inspector.text import ui_datetime

PROTOCOL = 2  # 2: enrollment carries the device's person (the author of its events)
BATCH_FORMAT = "inspector.events"
HEAD_KIND = "inspector.head"

MAX_EVENT_BYTES = 4 * 1024 * 1024  # a catalog.imported event carries a whole catalog (≤ 2 MiB)
MAX_BATCH_EVENTS = 20_000
MAX_BATCH_BYTES = 64 * 1024 * 1024
MAX_RANGES = 1_000
MAX_DEPTH = 32
MAX_TEXT = 512  # ids, names, timestamps in the envelope (payload strings are bounded by size)
MAX_CLOCK_AHEAD_S = 300  # how far past the receiver's clock an event's time may be
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)  # no event of this product is older
_EARLIEST_MS = int(EARLIEST.timestamp() * 1000)
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$")

# Only the central server may author these; they reach devices as reference data.
SERVER_ONLY_TYPES = frozenset({"device.enrolled", "device.revoked", "unit.registered", "unit.merged",
                               "person.registered", "person.merged"})
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


def depth_of(value: Any) -> int:
    """Nesting depth of a parsed JSON value, walked iteratively (no recursion, stops early)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _too_deep(what: str) -> WireError:
    return WireError("Dữ liệu {what} lồng quá sâu (trên {n} cấp).", what=what, n=MAX_DEPTH)


def parse_json(data: bytes | str, *, what: str, unique_keys: bool = True) -> Any:
    """Strict JSON: UTF-8, no floats/NaN, depth ≤ MAX_DEPTH, and (by default) no duplicate keys.

    The C parser does the work in linear time and refuses runaway nesting itself (RecursionError,
    never a stack overflow); the depth bound is then checked on the parsed value. No regular
    expression or byte scan runs over the raw text first: on hostile input those go quadratic.
    Events are parsed without the duplicate-key check (a Python hook per object is slow): their
    hash is recomputed over the parsed body, so a line with duplicate keys simply fails it."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        value = json.loads(raw, parse_float=lambda s: _reject("float"),
                           parse_constant=lambda s: _reject("constant"),
                           object_pairs_hook=_pairs if unique_keys else None)
    except RecursionError as exc:
        raise _too_deep(what) from exc
    except UnicodeDecodeError as exc:
        raise WireError("Dữ liệu {what} không phải văn bản UTF-8 (byte thứ {pos}).", what=what,
                        pos=exc.start) from exc
    except json.JSONDecodeError as exc:  # the parser's own wording is English: only the place is shown
        raise WireError("Dữ liệu {what} bị hỏng hoặc không đúng định dạng (ở ký tự thứ {pos}).", what=what,
                        pos=exc.pos) from exc
    except ValueError as exc:
        raise WireError("Dữ liệu {what} có giá trị không được phép (số thực, khóa trùng lặp hoặc hằng"
                        " số đặc biệt).", what=what) from exc
    if isinstance(value, dict | list) and depth_of(value) > MAX_DEPTH:
        raise _too_deep(what)
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
        raise WireError("Loại thay đổi “{type}” chưa được phiên bản này hỗ trợ.", code="upgrade",
                        hint="Cập nhật phần mềm lên phiên bản mới nhất.", type=data["type"][:64])
    if data["seq"] == 1 and data["prev"] != GENESIS:
        raise WireError("Sự kiện đầu chuỗi phải bắt đầu từ băm gốc.")
    event = Event.from_wire(data)
    try:
        actual = event.computed_hash()
    except Exception as exc:  # floats, non-NFC text: not canonical, so not ours
        raise WireError("Sự kiện không ở dạng chuẩn: {reason}.", reason=str(exc)[:120]) from exc
    if actual != event.hash:
        raise WireError("Băm của thay đổi (thiết bị {device}…, số {seq}) không khớp nội dung.",
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
        raise WireError("Lô thay đổi quá lớn ({size} byte).", size=len(data))
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise WireError("Lô thay đổi rỗng.")
    header = parse_json(lines[0], what="đầu lô thay đổi")
    if (not isinstance(header, dict) or set(header) != {"format", "v", "ranges"}
            or header["format"] != BATCH_FORMAT or header["v"] != 1
            or not isinstance(header["ranges"], list) or len(header["ranges"]) > MAX_RANGES):
        raise WireError("Đầu lô thay đổi không hợp lệ.")
    total = 0
    ranges: list[Range] = []
    for spec in header["ranges"]:
        if not isinstance(spec, dict) or set(spec) != {"from", "count", "head"} or not (
                _int(spec["from"], 1) and _int(spec["count"], 1, max_events)):
            raise WireError("Khai báo đoạn thay đổi không hợp lệ.")
        head = HeadStatement.from_json(spec["head"])
        if spec["from"] + spec["count"] - 1 != head.seq:
            raise WireError("Đoạn thay đổi không kết thúc ở đầu chuỗi đã ký.")
        ranges.append(Range(head, spec["from"]))
        total += spec["count"]
    if total > max_events or total != len(lines) - 1:
        raise WireError("Số thay đổi trong lô không khớp phần khai báo.")
    pos = 1
    for r, spec in zip(ranges, header["ranges"], strict=True):
        for offset in range(spec["count"]):
            line = lines[pos]
            pos += 1
            if len(line) > MAX_EVENT_BYTES:
                raise WireError("Một thay đổi vượt quá {n} byte.", n=MAX_EVENT_BYTES)
            event = event_from_wire(parse_json(line, what="thay đổi", unique_keys=False))
            if (event.device_id, event.epoch) != r.chain or event.seq != r.first_seq + offset:
                raise WireError("Sự kiện không nằm đúng vị trí trong đoạn khai báo.")
            if r.events and event.prev_hash != r.events[-1].hash:
                raise WireError("Chuỗi băm trong lô bị đứt ở số {seq}.", seq=event.seq)
            r.events.append(event)
        if r.events[-1].hash != r.head.hash:
            raise WireError("Đầu chuỗi đã ký không khớp thay đổi cuối của đoạn.")
    return EventBatch(ranges)


def check_times(events: Iterable[Event], now: datetime) -> None:
    """Every time a received event carries lies after 2020 and at most MAX_CLOCK_AHEAD_S past the
    receiver's clock: a far-future clock would win every later edit and exhaust the hybrid clock."""
    limit = now + timedelta(seconds=MAX_CLOCK_AHEAD_S)
    limit_ms = int(limit.timestamp() * 1000)
    for e in events:
        try:
            at = parse_rfc3339(e.at)
        except ValueError:
            at = EARLIEST - timedelta(days=1)
        hlc_ms = e.hlc >> HLC_SHIFT
        if at < EARLIEST or hlc_ms < _EARLIEST_MS:
            raise WireError("Thời điểm ghi của thay đổi số {seq} (thiết bị {device}…) không hợp lệ: trước năm"
                            " 2020. Máy nhận chưa nhận các thay đổi này; chúng vẫn an toàn trên máy gửi.",
                            hint="Kiểm tra và chỉnh lại ngày giờ của máy gửi, rồi liên hệ văn phòng trung tâm.",
                            code="clock", seq=e.seq, device=e.device_id[:12])
        if at > limit or hlc_ms > limit_ms:
            shown = at if at > limit else datetime.fromtimestamp(min(hlc_ms, 2**46) / 1000, UTC)
            raise WireError("Đồng hồ của thiết bị {device}… chạy nhanh hơn máy nhận: thay đổi số {seq} ghi lúc"
                            " {at}, trong khi máy nhận đang là {now}. Các thay đổi này chưa được nhận; chúng"
                            " vẫn an toàn trên máy gửi.",
                            hint="Chỉnh lại ngày giờ và múi giờ (UTC+7) của máy tính. Các thay đổi đã ghi với"
                                 " giờ sai sẽ được nhận khi thời gian thực đến đúng thời điểm đó.",
                            code="clock", device=e.device_id[:12], seq=e.seq,
                            at=ui_datetime(to_rfc3339(shown)), now=ui_datetime(to_rfc3339(now)))


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
