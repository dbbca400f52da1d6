"""Rows of the local settings table (not events), shared by the services that keep a setting."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from inspector.services.context import Identity
from inspector.store.db import Store


def read_setting(store: Store, key: str) -> Any:
    raw = store.scalar("SELECT value FROM settings WHERE key = ?", (key,))
    return None if raw is None else json.loads(raw)


def write_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                 " DO UPDATE SET value = excluded.value", (key, json.dumps(value, ensure_ascii=False)))


def identity_json(identity: Identity) -> dict[str, str]:
    data = {"id": identity.id, "name": identity.name, "position": identity.position}
    if identity.person_id:
        data["person_id"] = identity.person_id
    return data


def identity_from_json(data: Any) -> Identity | None:
    if isinstance(data, dict) and data.get("id") and data.get("name"):
        person = data.get("person_id")
        return Identity(str(data["id"]), str(data["name"]), str(data.get("position", "")),
                        str(person) if person else None)
    return None
