"""This machine's identity in the event log: an Ed25519 key pair and the id derived from it."""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inspector.clock import Clock, to_rfc3339
from inspector.errors import BugError
from inspector.store.db import Store


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str
    epoch: int
    public_key: bytes
    private_key: bytes
    label: str

    def signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.private_key)


def device_id_for(public_key: bytes) -> str:
    """First 32 hex digits of SHA-256 of the raw public key (Syncthing-style)."""
    return hashlib.sha256(public_key).hexdigest()[:32]


def load_device(store: Store) -> DeviceIdentity | None:
    row = store.conn.execute(
        "SELECT device_id, epoch, public_key, private_key, label FROM device WHERE singleton = 1"
    ).fetchone()
    if row is None:
        return None
    return DeviceIdentity(row[0], int(row[1]), bytes(row[2]), bytes(row[3]), row[4])


def start_new_epoch(store: Store) -> int:
    """A new incarnation of this device's log (after a restore): new events start a new chain at
    seq 1, so they never continue a chain the lost copy of this data may have continued."""
    with store.transaction() as conn:
        conn.execute("UPDATE device SET epoch = epoch + 1 WHERE singleton = 1")
        row = conn.execute("SELECT epoch FROM device WHERE singleton = 1").fetchone()
    if row is None:
        raise BugError("start_new_epoch on a database without a device")
    return int(row[0])


def ensure_device(store: Store, clock: Clock) -> DeviceIdentity:
    existing = load_device(store)
    if existing is not None:
        return existing
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    identity = DeviceIdentity(device_id_for(public), 1, public, private, platform.node() or "device")
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO device (singleton, device_id, epoch, public_key, private_key, label, created_at)"
            " VALUES (1, ?, ?, ?, ?, ?, ?)",
            (identity.device_id, identity.epoch, public, private, identity.label,
             to_rfc3339(clock.now())),
        )
    return identity
