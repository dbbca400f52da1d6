"""The console's own tables (central schema v4): staff accounts, their sessions, login failures
and the audit log. Plain portable DDL (TEXT/INTEGER, explicit keys), one statement each."""

from __future__ import annotations

CONSOLE_TABLES: list[str] = [
    """CREATE TABLE staff_users (
        username TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'viewer')),
        team TEXT,
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        must_change INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        password_changed_at TEXT NOT NULL,
        disabled_at TEXT)""",
    """CREATE TABLE staff_sessions (
        token_sha256 TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        address TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX staff_sessions_user ON staff_sessions (username)",
    """CREATE TABLE staff_login_failures (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        address TEXT NOT NULL,
        at TEXT NOT NULL)""",
    "CREATE INDEX staff_login_failures_user ON staff_login_failures (username, at)",
    "CREATE INDEX staff_login_failures_address ON staff_login_failures (address, at)",
    """CREATE TABLE staff_audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX staff_audit_at ON staff_audit (at)",
    "CREATE INDEX entity_owners_team ON entity_owners (team, kind)",
    # the statistics' summary (console.summary): each inspection's contribution, and the sums
    """CREATE TABLE console_inspection_keys (
        inspection_id TEXT PRIMARY KEY,
        month TEXT NOT NULL,
        team TEXT NOT NULL,
        unit_id TEXT NOT NULL,
        checklist_id TEXT NOT NULL,
        checklist_version INTEGER NOT NULL,
        live INTEGER NOT NULL)""",
    """CREATE TABLE console_inspection_counts (
        inspection_id TEXT NOT NULL,
        item_code TEXT NOT NULL,
        level INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (inspection_id, item_code, level))""",
    "CREATE INDEX console_inspection_counts_level ON console_inspection_counts (inspection_id, level)",
    """CREATE TABLE console_item_cube (
        month TEXT NOT NULL,
        team TEXT NOT NULL,
        checklist_id TEXT NOT NULL,
        checklist_version INTEGER NOT NULL,
        item_code TEXT NOT NULL,
        level INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (month, team, checklist_id, checklist_version, item_code, level))""",
    """CREATE TABLE console_unit_cube (
        month TEXT NOT NULL,
        team TEXT NOT NULL,
        unit_id TEXT NOT NULL,
        inspections INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        PRIMARY KEY (month, team, unit_id))""",
]
