"""Issue 10: the long sync operations read on a read-only connection and write only through the
committer they are given (the desktop app's one writer), in short steps marked as sync changes.

The "reader" services here sit on a read-only workspace (`PRAGMA query_only=ON`, sharing the
writer's session), as the app's read pool does: any write on it fails. A counting committer
runs each step on the workspace's own (writable) services, as the app's writer thread does, and
records what each step changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from inspector.changes import Changes
from inspector.errors import BugError
from inspector.ops import run_write
from inspector.store.db import Store
from inspector.workspace import Services, Workspace
from tests.sync.conftest import DeviceFactory
from tests.sync.data import record
from tests.sync.harness import LiveServer

T = TypeVar("T")


class CountingCommitter:
    """Runs each step on the writer's services and keeps what it changed."""

    def __init__(self, writer: Services) -> None:
        self.writer = writer
        self.changes: list[Changes] = []

    def __call__(self, fn: Callable[[Services], T], /) -> T:
        outcome = run_write(self.writer, fn)
        self.changes.append(outcome.changes)
        return outcome.value


def read_only(ws: Workspace) -> tuple[Services, Store]:
    """The app's read pool: the same data directory and session, a `query_only` connection."""
    reader = Workspace.open(ws.data_dir, clock=ws.services.ctx.clock, session=ws.services.session,
                            read_only=True, keys=ws.keys)
    assert reader.store.scalar("PRAGMA query_only") == 1
    return reader.services, reader.store


def test_sync_export_and_import_write_only_through_the_committer(server: LiveServer, tmp_path: Path,
                                                                  make_device: DeviceFactory) -> None:
    leader, member = make_device("leader"), make_device("member")
    reader, ro_store = read_only(leader)
    try:
        commit = CountingCommitter(leader.services)
        with pytest.raises(BugError, match="read-only"):  # the reader's connection really is read-only
            reader.sync.enroll(server.url, server.token())
        reader.sync.enroll(server.url, server.token(), commit=commit)
        server.enroll(member)
        insp = record(leader, 6, photos=2)
        before = ro_store.conn.total_changes
        result = reader.sync.sync(commit=commit)
        assert result.events_sent > 0 and result.blobs_uploaded == 2
        assert ro_store.conn.total_changes == before  # nothing was written on the reader
        assert commit.changes and all(c.sync for c in commit.changes)
        steps_of_sync = len(commit.changes)
        assert reader.sync.inspection_status(insp.id).state == "complete"
        record(member, 3)  # a team member's work, merged on the leader's laptop through the committer
        member.services.sync.sync()  # the member gets the roster
        member.services.sync.export_bundle(tmp_path / "to-leader.inspb",
                                           for_device=leader.services.ctx.device.device_id)
        outcome = reader.sync.import_bundle(tmp_path / "to-leader.inspb", commit=commit)
        assert outcome.imported and len(commit.changes) == steps_of_sync + 1
        # an export only reads: no committer needed, nothing written
        record(leader, 2, seed=4, inspection=insp)
        exported = reader.sync.export_bundle(tmp_path / "to-server.inspb")
        assert exported.verified and exported.events > 0
        assert ro_store.conn.total_changes == before
        # the server's receipt for that bundle, imported through the committer
        from inspector.central.bundles import import_bundle, write_receipt_file

        def receipt(central: object) -> None:
            done = import_bundle(central, tmp_path / "to-server.inspb")  # type: ignore[arg-type]
            write_receipt_file(central, done.receipt, tmp_path / "receipt.inspb")  # type: ignore[arg-type]

        server.call(receipt)
        assert reader.sync.import_bundle(tmp_path / "receipt.inspb", commit=commit).kind == "receipt"
        assert ro_store.conn.total_changes == before
        assert all(c.sync for c in commit.changes)
        assert reader.sync.inspection_status(insp.id).state == "complete"
        assert leader.services.verify_events().ok
    finally:
        ro_store.close()


def test_enrolling_from_a_file_writes_only_through_the_committer(server: LiveServer, tmp_path: Path,
                                                                  make_device: DeviceFactory) -> None:
    from inspector.central.enrollment import enrollment_file

    laptop = make_device("laptop")
    reader, ro_store = read_only(laptop)
    try:
        path = tmp_path / "enroll.json"
        path.write_bytes(server.call(lambda c: enrollment_file(c, "doan-1")))
        with pytest.raises(BugError, match="read-only"):
            reader.sync.enroll_from_file(path)
        commit = CountingCommitter(laptop.services)
        before = ro_store.conn.total_changes
        result = reader.sync.enroll_from_file(path, commit=commit)
        assert result.pending and reader.sync.overview().enrollment_pending
        assert ro_store.conn.total_changes == before and len(commit.changes) == 1 and commit.changes[0].sync
        assert reader.sync.export_bundle(tmp_path / "first.inspb").verified  # a read, at once
    finally:
        ro_store.close()
