"""After team members' work is merged on the leader's laptop, the leader settles what they recorded
differently: an edit conflict by editing the cell, a disagreement (two findings for one cell) by
choosing one value. The log keeps every revision; the server ends with the settled state."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.central.storage.audit import verify_central_store
from inspector.errors import UserError
from tests.sync.conftest import DeviceFactory
from tests.sync.data import record
from tests.sync.harness import LiveServer


def _live(conn: object, inspection_id: str, code: str, subject: str) -> list[tuple[int | None, str]]:
    return list(conn.execute(  # type: ignore[attr-defined]
        "SELECT level, note FROM findings WHERE inspection_id = ? AND item_code = ? AND subject_id = ?"
        " AND removed = 0", (inspection_id, code, subject)))


def test_leader_settles_conflicts_and_disagreements(server: LiveServer, tmp_path: Path,
                                                    make_device: DeviceFactory) -> None:
    leader, member = make_device("leader"), make_device("member")
    server.enroll(leader)
    server.enroll(member)
    insp = record(leader, 1)
    cell = (insp.id, "LD-01", insp.subjects[0].id)
    other = (insp.id, "LD-05", insp.subjects[1].id)
    leader.services.sync.sync()
    member.services.sync.sync()
    member_id = member.services.ctx.device.device_id
    leader_id = leader.services.ctx.device.device_id
    leader.services.sync.export_bundle(tmp_path / "to-member.inspb", for_device=member_id)
    member.services.sync.import_bundle(tmp_path / "to-member.inspb")
    member.services.findings.record(*cell, level=3, note="thành viên")
    leader.services.findings.record(*cell, level=0, note="trưởng đoàn")
    member.services.findings.record(*other, level=2, note="tv")
    leader.services.findings.record(*other, level=1, note="tđ")
    member.services.sync.export_bundle(tmp_path / "to-leader.inspb", for_device=leader_id)
    leader.services.sync.import_bundle(tmp_path / "to-leader.inspb")
    s = leader.services
    assert len(s.sync.conflicts(insp.id)) == 1
    assert [d.item_code for d in s.sync.disagreements(insp.id)] == ["LD-05"]

    change = s.findings.record(*cell, level=2, note="đã thống nhất")  # one edit merges both revisions
    assert s.sync.conflicts(insp.id) == [] and change.level == 2

    with pytest.raises(UserError, match="không hợp lệ"):
        s.findings.resolve(*other, level=7, note="x")
    assert len(_live(s.ctx.store.conn, *other)) == 2  # a refused resolution changed nothing
    s.findings.resolve(*other, level=2, note="thống nhất sau trao đổi")
    assert s.sync.disagreements(insp.id) == [] and s.sync.conflicts(insp.id) == []
    assert _live(s.ctx.store.conn, *other) == [(2, "thống nhất sau trao đổi")]
    assert [f.level for f in s.findings.matrix(insp.id).cells[("LD-05", insp.subjects[1].id)]] == [2]
    history = s.ctx.store.conn.execute(
        "SELECT count(*) FROM events WHERE json_extract(payload, '$.inspection_id') = ? AND type LIKE 'finding.%'",
        (insp.id,)).fetchone()[0]
    assert history >= 7  # every revision, both removals and the resolution stay in the log
    assert s.verify_events().ok

    leader.services.sync.sync()  # relays the member's chain and the resolution
    assert server.call(lambda c: verify_central_store(c.store)).ok
    assert server.call(lambda c: _live(c.store.conn, *other)) == [(2, "thống nhất sau trao đổi")]
    assert server.call(lambda c: _live(c.store.conn, *cell)) == [(2, "đã thống nhất")]
