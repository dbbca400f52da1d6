"""Child process of the crash test: records findings and evidence until it is killed.

After each action returns (that is, after COMMIT), it prints what it committed and flushes, so
the parent knows exactly which actions were acknowledged as durable.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from inspector.services.inspections import InspectionQuery
from inspector.workspace import Workspace
from tests.factories import make_inspection


def main(data_dir: str, seed: int) -> None:
    rng = random.Random(seed)
    ws = Workspace.open(Path(data_dir))
    s = ws.services
    existing = s.inspections.find(InspectionQuery(include_archived=True))
    insp = s.inspections.get(existing[0].id) if existing else make_inspection(s, subjects=6)
    items = [i.code for i in s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version).items]
    print("READY", flush=True)
    n = 0
    while True:
        n += 1
        subject = rng.choice(insp.subjects)
        code = rng.choice(items)
        if n % 4 == 0:
            payload = os.urandom(rng.randint(64 * 1024, 3 * 1024 * 1024))
            finding = s.findings.matrix(insp.id).get(code, subject.id)
            ref = s.evidence.attach_bytes(insp.id, payload, f"anh-{n}.jpg",
                                          finding_id=finding.id if finding else None)
            print(f"EVIDENCE {ref.id} {ref.sha256}", flush=True)
        else:
            level = rng.choice([None, 0, 1, 2, 3])
            change = s.findings.record(insp.id, code, subject.id, level=level, note=f"ghi chú lần {n}")
            print(f"FINDING {change.event_hash}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
