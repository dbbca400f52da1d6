"""What every service needs, built once by the composition root and passed in."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from inspector.catalog.model import Catalog, Checklist
from inspector.changes import NOTHING, Changes
from inspector.clock import Clock
from inspector.errors import NotFoundError
from inspector.store.db import Store
from inspector.store.device import DeviceIdentity
from inspector.store.events import Author, Event
from inspector.store.journal import Journal
from inspector.vault import Vault
from inspector.worker import Worker


@dataclass(frozen=True)
class Identity:
    """The inspector using this laptop: the author of every event recorded here."""

    id: str
    name: str
    position: str = ""
    person_id: str | None = None  # the person of the registry this is, when chosen from people

    def author(self) -> Author:
        return Author(self.id, self.name)


class Session:
    """The identity and device every thread's services read: one shared value, replaced whole.

    Values are immutable; a settings change or an enrollment swaps in a new value (an atomic
    attribute store), so every thread sees the new one at its next read and none keeps a copy.
    """

    def __init__(self, identity: Identity, device: DeviceIdentity) -> None:
        self._identity = identity
        self._device = device

    @property
    def identity(self) -> Identity:
        return self._identity

    @property
    def device(self) -> DeviceIdentity:
        return self._device

    def replace_identity(self, identity: Identity) -> None:
        self._identity = identity

    def replace_device(self, device: DeviceIdentity) -> None:
        self._device = device


@dataclass
class ServiceContext:
    store: Store
    vault: Vault
    session: Session
    clock: Clock
    # Where rendering and signing run: inline (the CLI, default) or the app's child process.
    worker: Worker = field(default_factory=Worker.inline)
    journal: Journal = field(init=False)
    _catalogs: dict[tuple[str, str, int], Catalog | Checklist] = field(default_factory=dict)
    _touched: Changes = field(default=NOTHING)

    def __post_init__(self) -> None:
        self.journal = Journal(lambda: self.session.device, self.clock)

    @property
    def identity(self) -> Identity:
        return self.session.identity

    @property
    def device(self) -> DeviceIdentity:
        return self.session.device

    @device.setter
    def device(self, device: DeviceIdentity) -> None:
        self.session.replace_device(device)

    def touch(self, changes: Changes) -> None:
        """Mark a change that is not an event (settings, sync bookkeeping) for the current write."""
        self._touched = self._touched | changes

    def take_touched(self) -> Changes:
        touched, self._touched = self._touched, NOTHING
        return touched

    def record(self, conn: sqlite3.Connection, type: str, entity_id: str, payload: dict[str, Any]) -> Event:
        return self.journal.record(conn, self.identity.author(), type, entity_id, payload)

    def checklist(self, checklist_id: str, version: int) -> Checklist:
        """Published versions never change, so a parsed checklist is cached for the session."""
        key = ("checklist", checklist_id, version)
        cached = self._catalogs.get(key)
        if isinstance(cached, Checklist):
            return cached
        doc = self._document("checklist", checklist_id, version)
        parsed = Checklist.from_document(doc)
        self._catalogs[key] = parsed
        return parsed

    def catalog(self, catalog_id: str, version: int) -> Catalog:
        key = ("catalog", catalog_id, version)
        cached = self._catalogs.get(key)
        if isinstance(cached, Catalog):
            return cached
        parsed = Catalog.from_document(self._document("catalog", catalog_id, version))
        self._catalogs[key] = parsed
        return parsed

    def _document(self, kind: str, doc_id: str, version: int) -> dict[str, Any]:
        row = self.store.conn.execute(
            "SELECT document FROM catalog_versions WHERE kind = ? AND id = ? AND version = ?",
            (kind, doc_id, version),
        ).fetchone()
        if row is None:
            label = "Danh mục" if kind == "catalog" else "Bộ câu hỏi"
            raise NotFoundError("{label} “{id}” phiên bản {version} chưa có trong máy.",
                                hint="Nhập tệp tương ứng ở màn hình Danh mục.",
                                label=label, id=doc_id, version=version)
        result: dict[str, Any] = json.loads(row[0])
        return result
