"""Signed receipts: what the central server durably holds for a device.

A receipt lists, per chain, the last event the server stores (seq and hash), the blobs it holds
among those the chains refer to, and for each inspection the chains touch whether anything is
still missing. It is signed with the server key the device pinned at enrollment, and it reaches
the device over HTTP or as a bundle file of kind "receipt" (carried back on the USB stick).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector import canonical
from inspector.sync.keys import Signer, is_hex, verify_ed25519
from inspector.sync.wire import WireError, is_timestamp

RECEIPT_FORMAT = "inspector.receipt"
SIG_DOMAIN = b"inspector.receipt.v1\x00"


@dataclass(frozen=True)
class ChainAck:
    device_id: str
    epoch: int
    seq: int
    hash: str


@dataclass(frozen=True)
class InspectionState:
    inspection_id: str
    complete: bool
    missing_blobs: int


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    server_id: str
    device_id: str
    issued_at: str
    chains: tuple[ChainAck, ...]
    blobs: tuple[str, ...]
    inspections: tuple[InspectionState, ...]
    bundle_id: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "format": RECEIPT_FORMAT, "v": 1, "receipt_id": self.receipt_id,
            "server": self.server_id, "device": self.device_id, "issued_at": self.issued_at,
            "bundle_id": self.bundle_id,
            "chains": [{"device": c.device_id, "epoch": c.epoch, "seq": c.seq, "hash": c.hash}
                       for c in self.chains],
            "blobs": list(self.blobs),
            "inspections": [{"id": i.inspection_id, "complete": i.complete,
                             "missing_blobs": i.missing_blobs} for i in self.inspections],
        }

    def sign(self, signer: Signer) -> bytes:
        return signer.sign(SIG_DOMAIN + canonical.encode(self.body()))

    def verify(self, signature: bytes, server_key: bytes) -> bool:
        return verify_ed25519(server_key, signature, SIG_DOMAIN + canonical.encode(self.body()))

    @classmethod
    def from_body(cls, data: Any) -> Receipt:
        def invalid() -> WireError:
            return WireError("Biên nhận không đúng định dạng.", code="receipt")

        keys = {"format", "v", "receipt_id", "server", "device", "issued_at", "bundle_id", "chains",
                "blobs", "inspections"}
        if not isinstance(data, dict) or set(data) != keys or data["format"] != RECEIPT_FORMAT:
            raise invalid()
        if not (data["v"] == 1 and is_hex(data["receipt_id"], 32) and is_hex(data["server"], 32)
                and is_hex(data["device"], 32) and is_timestamp(data["issued_at"])
                and (data["bundle_id"] is None or is_hex(data["bundle_id"], 32))
                and isinstance(data["chains"], list) and isinstance(data["blobs"], list)
                and isinstance(data["inspections"], list)):
            raise invalid()
        chains = []
        for c in data["chains"]:
            if not (isinstance(c, dict) and set(c) == {"device", "epoch", "seq", "hash"}
                    and is_hex(c["device"], 32) and _int(c["epoch"]) and _int(c["seq"])
                    and is_hex(c["hash"], 64)):
                raise invalid()
            chains.append(ChainAck(c["device"], c["epoch"], c["seq"], c["hash"]))
        if not all(is_hex(b, 64) for b in data["blobs"]):
            raise invalid()
        states = []
        for i in data["inspections"]:
            if not (isinstance(i, dict) and set(i) == {"id", "complete", "missing_blobs"}
                    and isinstance(i["id"], str) and len(i["id"]) <= 64
                    and isinstance(i["complete"], bool) and _int(i["missing_blobs"])):
                raise invalid()
            states.append(InspectionState(i["id"], i["complete"], i["missing_blobs"]))
        return cls(data["receipt_id"], data["server"], data["device"], data["issued_at"],
                   tuple(chains), tuple(data["blobs"]), tuple(states), data["bundle_id"])


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
