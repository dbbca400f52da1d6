"""Local settings of this laptop (not events): the inspector's identity and the language."""

from __future__ import annotations

import getpass
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from inspector.changes import Changes
from inspector.errors import UserError
from inspector.i18n import LANGUAGES
from inspector.ids import uuid7
from inspector.services.context import Identity, ServiceContext
from inspector.store.db import Store
from inspector.text import clean


def _get(store: Store, key: str) -> Any:
    raw = store.scalar("SELECT value FROM settings WHERE key = ?", (key,))
    return None if raw is None else json.loads(raw)


def _write(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                 " DO UPDATE SET value = excluded.value", (key, json.dumps(value, ensure_ascii=False)))


def _identity_json(identity: Identity) -> dict[str, str]:
    return {"id": identity.id, "name": identity.name, "position": identity.position}


def load_identity(store: Store, *, create: bool = True) -> Identity:
    """The saved identity, or a first-run one named after the OS account (editable in Settings)."""
    data = _get(store, "identity")
    if isinstance(data, dict) and data.get("id") and data.get("name"):
        return Identity(str(data["id"]), str(data["name"]), str(data.get("position", "")))
    try:
        user = getpass.getuser()
    except Exception:  # no login name (service accounts, some containers)
        user = "người dùng"
    identity = Identity(uuid7(), clean(user, label="Tên", max_length=120) or "người dùng")
    if create:
        with store.transaction() as conn:
            _write(conn, "identity", _identity_json(identity))
    return identity


@dataclass(frozen=True)
class SettingsDraft:
    """What the Settings dialog saves, all at once."""

    name: str
    position: str
    language: str
    trust_dir: str
    tsa_url: str


class SettingsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def store(self) -> Store:
        return self.ctx.store

    def identity(self) -> Identity:
        return self.ctx.identity

    def save(self, draft: SettingsDraft) -> Identity:
        """The Settings dialog: identity, language, trust folder and TSA in one transaction."""
        identity = self._checked_identity(draft.name, draft.position)
        self._check_language(draft.language)
        trust = clean(draft.trust_dir, label="Thư mục chứng thư gốc", max_length=1000)
        tsa = clean(draft.tsa_url, label="Địa chỉ dịch vụ dấu thời gian", max_length=1000)
        if tsa and not tsa.lower().startswith(("http://", "https://")):
            raise UserError("Địa chỉ dịch vụ dấu thời gian “{url}” không hợp lệ.",
                            hint="Địa chỉ phải bắt đầu bằng http:// hoặc https://, hoặc để trống.", url=tsa)
        with self.store.transaction() as conn:
            _write(conn, "identity", _identity_json(identity))
            _write(conn, "language", draft.language)
            _write(conn, "trust_dir", trust)
            _write(conn, "tsa_url", tsa)
        self._committed(identity)
        return identity

    def set_identity(self, name: str, position: str = "") -> Identity:
        """Rename the author of future events (earlier events keep the name they were made with)."""
        identity = self._checked_identity(name, position)
        with self.store.transaction() as conn:
            _write(conn, "identity", _identity_json(identity))
        self._committed(identity)
        return identity

    def _checked_identity(self, name: str, position: str) -> Identity:
        return Identity(self.ctx.identity.id, clean(name, label="Họ và tên", required=True, max_length=120),
                        clean(position, label="Chức vụ", max_length=200))

    def _committed(self, identity: Identity) -> None:
        """After the commit, every thread's services see the new identity at once."""
        self.ctx.session.replace_identity(identity)
        self.ctx.touch(Changes(settings=True))

    def language(self) -> str:
        value = _get(self.store, "language")
        return value if value in LANGUAGES else "vi"

    @staticmethod
    def _check_language(language: str) -> None:
        if language not in LANGUAGES:
            raise UserError("Ngôn ngữ “{lang}” chưa được hỗ trợ.", lang=language)

    def set_language(self, language: str) -> None:
        self._check_language(language)
        self.put("language", language)

    def get(self, key: str, default: Any = None) -> Any:
        value = _get(self.store, key)
        return default if value is None else value

    def put(self, key: str, value: Any) -> None:
        with self.store.transaction() as conn:
            _write(conn, key, value)
        self.ctx.touch(Changes(settings=True))

    def put_many(self, values: dict[str, Any]) -> None:
        """Several settings of one user action, in one transaction."""
        with self.store.transaction() as conn:
            for key, value in values.items():
                _write(conn, key, value)
        self.ctx.touch(Changes(settings=True))
