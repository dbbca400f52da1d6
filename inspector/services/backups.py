"""Backups of this laptop's data directory and restoring one into a new directory (Services.backups).

A backup only reads (an online copy through SQLCipher's backup API, the sealed vault, a manifest
written last, the whole copy read back): the app runs it on its read pool, the CLI inline. Restoring
touches another, new data directory only, so it needs no open workspace at all.
"""

from __future__ import annotations

from pathlib import Path

from inspector.backup import BackupResult, RestoreResult, backup, restore
from inspector.clock import Clock
from inspector.keys import DataKeys, Unlocker
from inspector.store.db import Store

__all__ = ["BackupResult", "BackupService", "RestoreResult", "restore_backup"]


class BackupService:
    def __init__(self, data_dir: Path, store: Store, keys: DataKeys, clock: Clock) -> None:
        self.data_dir = data_dir
        self.store = store
        self.keys = keys
        self.clock = clock

    def backup(self, to: Path) -> BackupResult:
        """Copy the data directory (still encrypted) into a new folder under `to`, then verify it."""
        return backup(self.data_dir, self.store, self.keys, to, now=self.clock.now())


def restore_backup(source: Path, data_dir: Path, *, passphrase: str = "", recovery_key: str = "") -> RestoreResult:
    """Restore into a new or empty `data_dir`; the laptop continues in a new epoch.

    The backup opens with this machine's key store when it was made here, else with its
    passphrase or the recovery key printed at set-up.
    """
    unlocker = Unlocker.from_environment()
    if passphrase:
        unlocker.passphrase = passphrase
    if recovery_key:
        unlocker.recovery = recovery_key
    return restore(source, data_dir, unlocker)
