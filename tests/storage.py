"""Raw access to a data directory's database for tests that inspect or tamper with it directly.

A laptop's database is encrypted (SQLCipher): the key is unlocked the way the app does it (the
tests' keyring). A central store's database is plain SQLite.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

from sqlcipher3 import dbapi2 as sqlcipher

from inspector.keys import KEY_FILE, Unlocker


def raw_connect(db_path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    data_dir = db_path.parent
    if not (data_dir / KEY_FILE).exists():
        if read_only:
            return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        return sqlite3.connect(db_path)
    unlocked = Unlocker.from_environment().unlock(data_dir)
    assert unlocked is not None
    uri = f"file:{db_path}?mode=ro" if read_only else f"file:{db_path}"
    conn = sqlcipher.connect(uri, uri=True)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{unlocked.keys.db.hex()}'\"")
    return cast(sqlite3.Connection, conn)
