"""Staff accounts of the office console: argon2id passwords, server-side sessions in the database,
login throttling at constant cost, and the audit log of every staff action.

Every function takes the store it runs on (the writer's for writes, a reader's for checks), so
the HTTP layer decides the thread. SQL is portable (explicit columns, `ON CONFLICT`, standard
aggregates), kept here and in `console.store` only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inspector.clock import Clock, parse_rfc3339, to_rfc3339
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.store.db import Store

ROLES: dict[str, str] = {"admin": "Quản trị", "clerk": "Chuyên viên", "viewer": "Chỉ xem"}
MIN_PASSWORD = 10
MAX_PASSWORD = 256
SESSION_IDLE = timedelta(hours=2)
SESSION_MAX = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=5)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_USER_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
_USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass(frozen=True)
class StaffUser:
    username: str
    display_name: str
    role: str
    team: str | None  # None: every team
    active: bool
    must_change: bool
    created_at: str
    password_changed_at: str

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "clerk")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class StaffSession:
    user: StaffUser
    token_sha256: str
    csrf: str
    last_seen: str

    def csrf_ok(self, submitted: str) -> bool:
        return hmac.compare_digest(self.csrf.encode(), submitted.encode("utf-8", "replace"))


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    address: str
    ok: bool
    locked: bool
    rehash: str | None  # a new hash of the right password when the parameters changed


@dataclass(frozen=True)
class LoginOutcome:
    session_token: str | None  # the cookie value, None when refused
    user: StaffUser | None
    locked: bool


class Accounts:
    """Use cases on staff accounts; `hasher` is argon2id (argon2-cffi's RFC 9106 low-memory profile
    by default; tests may pass cheaper parameters, the code path is the same)."""

    def __init__(self, clock: Clock, hasher: PasswordHasher | None = None) -> None:
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    @property
    def _dummy(self) -> str:
        """Verified against when the user does not exist: every attempt costs one hash."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _now(self) -> datetime:
        return self.clock.now()

    # -- accounts ---------------------------------------------------------------------------
    @staticmethod
    def check_username(name: str) -> str:
        text = unicodedata.normalize("NFC", name.strip().lower())
        if not (2 <= len(text) <= 40) or not set(text) <= _USERNAME_CHARS:
            raise UserError("Tên đăng nhập “{name}” không hợp lệ.",
                            hint="Dùng 2–40 ký tự: chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.",
                            name=name[:40])
        return text

    @staticmethod
    def check_password(password: str) -> str:
        if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
            raise UserError("Mật khẩu phải dài từ {min} đến {max} ký tự.",
                            hint="Chọn một cụm từ dễ nhớ nhưng khó đoán.", min=MIN_PASSWORD, max=MAX_PASSWORD)
        return password

    @staticmethod
    def check_role(role: str) -> str:
        if role not in ROLES:
            raise UserError("Vai trò “{role}” không hợp lệ.", hint="Chọn admin, clerk hoặc viewer.", role=role[:20])
        return role

    def add(self, store: Store, username: str, password: str, role: str, team: str | None,
            display_name: str = "") -> StaffUser:
        name = self.check_username(username)
        self.check_role(role)
        self.check_password(password)
        team_text = (team or "").strip() or None
        shown = " ".join(display_name.split())[:120] or name
        now = to_rfc3339(self._now())
        digest = self.hasher.hash(password)
        with store.transaction() as conn:
            if conn.execute("SELECT 1 FROM staff_users WHERE username = ?", (name,)).fetchone():
                raise RefusedError("Đã có tài khoản “{name}”.", hint="Chọn tên khác, hoặc đặt lại mật khẩu"
                                   " bằng “inspector central user reset”.", name=name)
            conn.execute("INSERT INTO staff_users (username, display_name, role, team, password_hash, active,"
                         " must_change, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)",
                         (name, shown, role, team_text, digest, now, now))
            audit(conn, now, "cli", "user.add", name, f"{role} {team_text or '*'}")
        return self.get(store, name)

    def get(self, store: Store, username: str) -> StaffUser:
        row = store.conn.execute(
            "SELECT username, display_name, role, team, active, must_change, created_at, password_changed_at"
            " FROM staff_users WHERE username = ?", (username.strip().lower(),)).fetchone()
        if row is None:
            raise NotFoundError("Không có tài khoản “{name}”.", hint="Xem danh sách: inspector central user list.",
                                name=username[:40])
        return StaffUser(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6], row[7])

    def list(self, store: Store) -> list[StaffUser]:
        return [StaffUser(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), r[6], r[7]) for r in store.conn.execute(
            "SELECT username, display_name, role, team, active, must_change, created_at, password_changed_at"
            " FROM staff_users ORDER BY username")]

    def disable(self, store: Store, username: str, actor: str = "cli") -> StaffUser:
        user = self.get(store, username)
        now = to_rfc3339(self._now())
        with store.transaction() as conn:
            conn.execute("UPDATE staff_users SET active = 0, disabled_at = ? WHERE username = ?", (now, user.username))
            conn.execute("DELETE FROM staff_sessions WHERE username = ?", (user.username,))
            audit(conn, now, actor, "user.disable", user.username)
        return self.get(store, user.username)

    def reset(self, store: Store, username: str, password: str, actor: str = "cli") -> StaffUser:
        """A new password set by an administrator: the account is active again, every session
        ends, and the user must choose their own password at the next login."""
        user = self.get(store, username)
        self.check_password(password)
        digest = self.hasher.hash(password)
        now = to_rfc3339(self._now())
        with store.transaction() as conn:
            conn.execute("UPDATE staff_users SET password_hash = ?, active = 1, must_change = 1, disabled_at = NULL,"
                         " password_changed_at = ? WHERE username = ?", (digest, now, user.username))
            conn.execute("DELETE FROM staff_sessions WHERE username = ?", (user.username,))
            conn.execute("DELETE FROM staff_login_failures WHERE username = ?", (user.username,))
            audit(conn, now, actor, "user.reset", user.username)
        return self.get(store, user.username)

    # -- login, sessions --------------------------------------------------------------------
    def attempt(self, store: Store, username: str, password: str, address: str) -> LoginAttempt:
        """Check a login (on a reader: the slow hash never holds the writer). One argon2
        verification on every path (unknown user, disabled, locked, wrong or right password), so
        neither the answer's timing nor a lock-out tells an attacker anything, and ten wrong
        passwords never make the eleventh attempt cheaper. `conclude` records the outcome."""
        name = unicodedata.normalize("NFC", username.strip().lower())[:64]
        since = to_rfc3339(self._now() - FAILURE_WINDOW)
        conn = store.conn
        row = conn.execute("SELECT password_hash, active FROM staff_users WHERE username = ?", (name,)).fetchone()
        by_user = conn.execute("SELECT count(*) FROM staff_login_failures WHERE username = ? AND at > ?",
                               (name, since)).fetchone()[0]
        by_address = conn.execute("SELECT count(*) FROM staff_login_failures WHERE address = ? AND at > ?",
                                  (address, since)).fetchone()[0]
        locked = by_user >= MAX_USER_FAILURES or by_address >= MAX_ADDRESS_FAILURES
        digest = row[0] if row is not None else self._dummy
        good = self._verify(digest, password[:MAX_PASSWORD])
        ok = row is not None and bool(row[1]) and good and not locked
        rehash = self.hasher.hash(password) if ok and self.hasher.check_needs_rehash(digest) else None
        return LoginAttempt(name, address, ok, locked, rehash)

    def conclude(self, store: Store, attempt: LoginAttempt) -> LoginOutcome:
        """Record a checked attempt (writer): a session, or one more failure."""
        now = self._now()
        stamp, name, address = to_rfc3339(now), attempt.username, attempt.address
        with store.transaction() as tx:
            if not attempt.ok:
                tx.execute("INSERT INTO staff_login_failures (username, address, at) VALUES (?, ?, ?)",
                           (name, address, stamp))
                tx.execute("DELETE FROM staff_login_failures WHERE at < ?", (to_rfc3339(now - FAILURE_WINDOW),))
                audit(tx, stamp, name, "login.locked" if attempt.locked else "login.failed", "", "", address)
                return LoginOutcome(None, None, attempt.locked)
            if attempt.rehash is not None:
                tx.execute("UPDATE staff_users SET password_hash = ? WHERE username = ?", (attempt.rehash, name))
            token = secrets.token_urlsafe(32)
            tx.execute("INSERT INTO staff_sessions (token_sha256, username, csrf, created_at, last_seen, expires_at,"
                       " address) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (token_hash(token), name, secrets.token_urlsafe(32), stamp, stamp,
                        to_rfc3339(now + SESSION_MAX), address))
            tx.execute("DELETE FROM staff_login_failures WHERE username = ?", (name,))
            tx.execute("DELETE FROM staff_sessions WHERE expires_at < ?", (stamp,))
            audit(tx, stamp, name, "login", "", "", address)
        return LoginOutcome(token, self.get(store, name), False)

    def login(self, store: Store, username: str, password: str, address: str) -> LoginOutcome:
        """`attempt` then `conclude` on one store (CLI, tests)."""
        return self.conclude(store, self.attempt(store, username, password, address))

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(digest, password))
        except (VerificationError, InvalidHashError):
            return False

    def session(self, store: Store, token: str) -> StaffSession | None:
        """The live session of a cookie (None: unknown, expired, idle too long, account disabled)."""
        if not token or len(token) > 100:
            return None
        row = store.conn.execute(
            "SELECT s.token_sha256, s.csrf, s.last_seen, s.expires_at, u.username FROM staff_sessions s"
            " JOIN staff_users u ON u.username = s.username WHERE s.token_sha256 = ? AND u.active = 1",
            (token_hash(token),)).fetchone()
        if row is None:
            return None
        now = self._now()
        if parse_rfc3339(row[3]) <= now or parse_rfc3339(row[2]) + SESSION_IDLE <= now:
            return None
        return StaffSession(self.get(store, row[4]), row[0], row[1], row[2])

    def needs_touch(self, session: StaffSession) -> bool:
        return parse_rfc3339(session.last_seen) + TOUCH_EVERY <= self._now()

    def touch(self, store: Store, session: StaffSession) -> None:
        with store.transaction() as conn:
            conn.execute("UPDATE staff_sessions SET last_seen = ? WHERE token_sha256 = ?",
                         (to_rfc3339(self._now()), session.token_sha256))

    def logout(self, store: Store, session: StaffSession, address: str) -> None:
        with store.transaction() as conn:
            conn.execute("DELETE FROM staff_sessions WHERE token_sha256 = ?", (session.token_sha256,))
            audit(conn, to_rfc3339(self._now()), session.user.username, "logout", "", "", address)

    def change_password(self, store: Store, session: StaffSession, old: str, new: str, address: str) -> None:
        row = store.conn.execute("SELECT password_hash FROM staff_users WHERE username = ?",
                                 (session.user.username,)).fetchone()
        if row is None or not self._verify(row[0], old[:MAX_PASSWORD]):
            raise RefusedError("Mật khẩu hiện tại không đúng.", hint="Nhập lại mật khẩu đang dùng.")
        self.check_password(new)
        if new == old:
            raise UserError("Mật khẩu mới phải khác mật khẩu cũ.")
        now = to_rfc3339(self._now())
        with store.transaction() as conn:
            conn.execute("UPDATE staff_users SET password_hash = ?, must_change = 0, password_changed_at = ?"
                         " WHERE username = ?", (self.hasher.hash(new), now, session.user.username))
            conn.execute("DELETE FROM staff_sessions WHERE username = ? AND token_sha256 <> ?",
                         (session.user.username, session.token_sha256))
            audit(conn, now, session.user.username, "password.change", "", "", address)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def audit(conn: sqlite3.Connection, at: str, username: str, action: str, target: str = "", detail: str = "",
          address: str = "") -> None:
    """One line of the audit log, inside the caller's transaction."""
    conn.execute("INSERT INTO staff_audit (at, username, action, target, detail, address)"
                 " VALUES (?, ?, ?, ?, ?, ?)", (at, username[:64], action, target[:200], detail[:500], address[:64]))
