"""Appending to the event log and projecting the change, inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from inspector.clock import Clock
from inspector.store import projection
from inspector.store.device import DeviceIdentity
from inspector.store.events import Author, Event, insert_event, make_event


class Journal:
    def __init__(self, device: Callable[[], DeviceIdentity], clock: Clock) -> None:
        self._device = device  # read at every event: an enrollment may start a new epoch
        self.clock = clock

    @property
    def device(self) -> DeviceIdentity:
        return self._device()

    def record(
        self,
        conn: sqlite3.Connection,
        author: Author,
        type: str,
        entity_id: str,
        payload: dict[str, Any],
    ) -> Event:
        """Append one event and update the tables. Must run inside Store.transaction()."""
        device = self._device()
        event = make_event(
            conn,
            device_id=device.device_id,
            epoch=device.epoch,
            author=author,
            now=self.clock.now(),
            type=type,
            entity_id=entity_id,
            payload=payload,
        )
        insert_event(conn, event)
        projection.apply(conn, event)
        return event
