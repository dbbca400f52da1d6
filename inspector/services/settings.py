"""Local settings of this laptop (not events): the inspector's identity and the language."""

from __future__ import annotations

import getpass
import json
from typing import Any

from inspector.errors import UserError
from inspector.i18n import LANGUAGES
from inspector.ids import uuid7
from inspector.services.context import Identity
from inspector.store.db import Store
from inspector.text import clean


def _get(store: Store, key: str) -> Any:
    raw = store.scalar("SELECT value FROM settings WHERE key = ?", (key,))
    return None if raw is None else json.loads(raw)


def _put(store: Store, key: str, value: Any) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                     " DO UPDATE SET value = excluded.value", (key, json.dumps(value, ensure_ascii=False)))


def load_identity(store: Store) -> Identity:
    """The saved identity, or a first-run one named after the OS account (editable in Settings)."""
    data = _get(store, "identity")
    if isinstance(data, dict) and data.get("id") and data.get("name"):
        return Identity(str(data["id"]), str(data["name"]), str(data.get("position", "")))
    try:
        user = getpass.getuser()
    except Exception:  # no login name (service accounts, some containers)
        user = "người dùng"
    identity = Identity(uuid7(), clean(user, label="Tên", max_length=120) or "người dùng")
    _put(store, "identity", identity.__dict__)
    return identity


class SettingsService:
    def __init__(self, store: Store, identity: Identity) -> None:
        self.store = store
        self.identity = identity

    def set_identity(self, name: str, position: str = "") -> Identity:
        """Rename the author of future events (earlier events keep the name they were made with)."""
        self.identity.name = clean(name, label="Họ và tên", required=True, max_length=120)
        self.identity.position = clean(position, label="Chức vụ", max_length=200)
        _put(self.store, "identity", self.identity.__dict__)
        return self.identity

    def language(self) -> str:
        value = _get(self.store, "language")
        return value if value in LANGUAGES else "vi"

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise UserError("Ngôn ngữ “{lang}” chưa được hỗ trợ.", lang=language)
        _put(self.store, "language", language)

    def get(self, key: str, default: Any = None) -> Any:
        value = _get(self.store, key)
        return default if value is None else value

    def put(self, key: str, value: Any) -> None:
        _put(self.store, key, value)
