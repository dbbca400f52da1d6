"""Child of the disk-full test: runs with its data directory on a tiny tmpfs.

Fills the disk, checks that failing actions raise a clear StorageError and change nothing, then
frees space and checks that recording resumes. Prints one JSON line with what it observed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from inspector.errors import StorageError
from inspector.workspace import Workspace
from tests.factories import make_inspection


def main(root: str) -> None:
    data = Path(root) / "data"
    ws = Workspace.open(data)
    s = ws.services
    insp = make_inspection(s, subjects=4)
    items = [i.code for i in s.ctx.checklist(insp.summary.checklist_id, 1).items]
    committed = []
    for n, code in enumerate(items[:10]):
        committed.append(s.findings.record(insp.id, code, insp.subjects[0].id, level=n % 4).event_hash)
    filler = Path(root) / "filler.bin"
    with filler.open("wb") as fh:  # take every free byte
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    observed: dict[str, object] = {}
    events_before = s.ctx.store.scalar("SELECT count(*) FROM events")
    try:
        s.evidence.attach_bytes(insp.id, os.urandom(400_000), "anh.jpg")
        observed["evidence_error"] = None
    except StorageError as exc:
        observed["evidence_error"] = exc.render()
    errors = []
    for n in range(200):  # until SQLite itself cannot grow the WAL
        try:
            s.findings.record(insp.id, items[n % len(items)], insp.subjects[1].id, level=1,
                              note="x" * 3000)
            committed.append("(unacknowledged check below)")
            committed.pop()
        except StorageError as exc:
            errors.append(exc.render())
            break
    observed["record_error"] = errors[0] if errors else None
    observed["vault_tmp_left"] = [p.name for p in (data / "evidence" / "tmp").iterdir()]
    filler.unlink()
    change = s.findings.record(insp.id, items[0], insp.subjects[2].id, level=3, note="sau khi giải phóng")
    observed["resumed"] = change.level == 3
    hashes = {r[0] for r in s.ctx.store.conn.execute("SELECT hash FROM events")}
    observed["earlier_present"] = all(h in hashes for h in committed)
    observed["events_grew"] = s.ctx.store.scalar("SELECT count(*) FROM events") > events_before
    observed["integrity"] = s.ctx.store.scalar("PRAGMA integrity_check")
    observed["verify_ok"] = s.verify_events().ok
    ws.close()
    print(json.dumps(observed, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
