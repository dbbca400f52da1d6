"""`GET /ready`: whether this server process can take sync traffic now (for a load balancer).

`/health` says the process is alive (it answers on the event loop's own connection). `/ready`
checks what a sync needs, each within a bound: a read on a reader connection (the database is
reachable and answers within `DB_TIMEOUT_S`), the blob volume is writable and has room for
uploads (`MIN_FREE_BYTES`). A load balancer takes a process out of rotation on 503 and back on
200; a PostgreSQL restart or fail-over shows as 503 until the connections come back.
"""

from __future__ import annotations

import os
from typing import Any

import anyio

from inspector.central.runtime import Runtime
from inspector.store.db import Store

DB_TIMEOUT_S = 3.0
MIN_FREE_BYTES = 256 * 1024 * 1024


def _read(store: Store) -> None:
    store.conn.execute("SELECT 1").fetchone()


async def readiness(runtime: Runtime) -> dict[str, Any]:
    checks: dict[str, str] = {}
    try:
        with anyio.fail_after(DB_TIMEOUT_S):
            await runtime.read(_read)
        checks["database"] = "ok"
    except TimeoutError:
        checks["database"] = "timeout"
    except Exception:  # any failure to read is "not ready", never a 500
        checks["database"] = "unavailable"
    tmp = runtime.central.vault.tmp
    try:
        stat = os.statvfs(tmp)
        free = stat.f_bavail * stat.f_frsize
        if not os.access(tmp, os.W_OK):
            checks["blobs"] = "read_only"
        else:
            checks["blobs"] = "ok" if free >= MIN_FREE_BYTES else "full"
    except OSError:
        checks["blobs"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ready" if ready else "not_ready", "checks": checks,
            "server_id": runtime.central.server_id, "pid": os.getpid()}
