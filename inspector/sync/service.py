"""The sync use cases as the UI and the CLI call them (`Services.sync`).

Threading contract (issue 10): the long operations — `enroll`, `sync`, `export_bundle`,
`import_bundle` — do every read on this service's store (which may be a connection opened with
`PRAGMA query_only=ON`) and every database write through `commit`, the app's `Committer`
(`commit(fn: Callable[[Services], T]) -> T`, run on the one writer thread), in short steps that
never span network I/O. Without `commit` the writes run inline on this service's own context
(the command line, tests). Vault files (pulled or imported blobs) are written off the writer,
content-addressed and durable before the row that names them commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.changes import Changes
from inspector.services.context import ServiceContext
from inspector.store.device import load_device
from inspector.sync import state
from inspector.sync.conflicts import Disagreement, EditConflict, disagreements, edit_conflicts
from inspector.sync.state import InspectionSyncStatus
from inspector.sync.steps import SyncContext, writer_for

if TYPE_CHECKING:  # the HTTP client and the bundle crypto load on first use, not at start-up
    from inspector.ops import Committer
    from inspector.sync.client import SyncClient, SyncResult
    from inspector.sync.enrollment import Enrollment
    from inspector.sync.progress import Progress
    from inspector.sync.transfer import BundleSummary, BundleTransfer, ExportResult, ImportOutcome

__all__ = ["Disagreement", "EditConflict", "InspectionSyncStatus", "SyncOverview", "SyncService"]


@dataclass(frozen=True)
class SyncOverview:
    enrolled: bool
    server_url: str | None
    server_id: str | None
    team: str | None
    device_id: str
    epoch: int
    last_receipt_at: str | None
    unsent_events: int
    unsent_blobs: int
    fork: bool  # the server and this database diverged (or refused this device's chain): re-enroll
    stranded_events: int = 0  # changes on a refused branch: kept here, in the server's quarantine
    enrollment_pending: bool = False  # enrolled from a file; the central's receipt has not come back
    tls_pinned: bool = False  # HTTPS with the server certificate pinned at enrollment


class SyncService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def reload_device(self) -> None:
        """After (re-)enrollment the device may have a new epoch: new events go to the new chain."""
        device = load_device(self.ctx.store)
        if device is not None and device != self.ctx.device:
            self.ctx.device = device  # replaces the shared session's device: every thread sees it

    def _context(self, commit: Committer | None) -> SyncContext:
        self.reload_device()
        ctx = self.ctx
        return SyncContext(ctx.store, ctx.vault, ctx.device, ctx.identity, ctx.clock, writer_for(commit, ctx))

    def client(self, server_url: str | None = None, *, commit: Committer | None = None,
               **options: Any) -> SyncClient:
        from inspector.sync.client import SyncClient

        return SyncClient(self._context(commit), url=server_url, **options)

    def enroll(self, server_url: str, token: str, label: str | None = None, *,
               commit: Committer | None = None, tls_fingerprint: str | None = None) -> Enrollment:
        """Over the network. An https:// server is pinned to the certificate fingerprint given here
        or after a "#" in the token (the QR code); a different certificate raises `CertificateError`."""
        self.ctx.touch(Changes(sync=True))
        result = self.client(commit=commit).enroll(server_url, token, label, tls_fingerprint)
        self.reload_device()
        return result

    def enroll_from_file(self, path: Path, label: str | None = None, *,
                         commit: Committer | None = None) -> Enrollment:
        """Enroll from the central office's enrollment file, with no network (issue 13): bundles can
        be exported at once; the central registers this device when it imports the first one, and
        its receipt (imported with `import_bundle`) completes the enrollment here. Raises
        `EnrollmentFileError` (unreadable, not an enrollment file, damaged, expired)."""
        from inspector.sync.offline import enroll_from_file

        self.ctx.touch(Changes(sync=True))
        result = enroll_from_file(self._context(commit), path, label)
        self.reload_device()
        return result

    def pending_enrollment(self) -> state.PendingEnrollment | None:
        """Enrolled from a file and not yet confirmed by a receipt of the central."""
        return state.load_pending(self.ctx.store.conn)

    def sync(self, progress: Progress | None = None, cancel: threading.Event | None = None, *,
             commit: Committer | None = None, server_url: str | None = None, **options: Any) -> SyncResult:
        self.ctx.touch(Changes(sync=True))  # receipts, acknowledgements, link state (not events)
        return self.client(server_url, commit=commit, **options).sync(progress, cancel)

    def link(self) -> state.ServerLink | None:
        return state.load_link(self.ctx.store.conn)

    def recording_blocked(self) -> bool:
        """True while an unresolved fork is open: new edits would only deepen the divergence."""
        link = self.link()
        return bool(link and link.fork_open)

    def overview(self) -> SyncOverview:
        conn = self.ctx.store.conn
        link = self.link()
        receipt = state.latest_receipt(conn)
        return SyncOverview(link is not None, link.url if link else None,
                            link.server_id if link else None, link.team if link else None,
                            self.ctx.device.device_id, self.ctx.device.epoch,
                            receipt.issued_at if receipt else None,
                            len(state.unsent_events(conn, link)), len(state.unsent_blobs(conn)),
                            bool(link and link.fork_open), len(state.stranded_events(conn, link)),
                            state.load_pending(conn) is not None, bool(link and link.tls_fingerprint))

    def inspection_statuses(self) -> dict[str, InspectionSyncStatus]:
        return state.inspection_statuses(self.ctx.store.conn, self.ctx.device, self.link())

    def inspection_status(self, inspection_id: str) -> InspectionSyncStatus:
        found = self.inspection_statuses().get(inspection_id)
        if found is None:
            from inspector.errors import NotFoundError

            raise NotFoundError("Không tìm thấy đợt kiểm tra “{id}”.", id=inspection_id)
        return found

    def transfer(self, *, commit: Committer | None = None) -> BundleTransfer:
        from inspector.sync.transfer import BundleTransfer

        return BundleTransfer(self._context(commit))

    def export_bundle(self, path: Path, *, for_device: str | None = None,
                      progress: Callable[[int], None] | None = None,
                      cancel: threading.Event | None = None) -> ExportResult:
        """Reads only: the bundle file is the one thing written (then read back and checked)."""
        transfer = self.transfer()
        if progress is None:
            return transfer.export(path, for_device=for_device, cancel=cancel)
        return transfer.export(path, for_device=for_device, progress=progress, cancel=cancel)

    def inspect_bundle(self, path: Path) -> BundleSummary:
        return self.transfer().inspect(path)

    def import_bundle(self, path: Path, *, commit: Committer | None = None) -> ImportOutcome:
        """A receipt from the server, or a team member's bundle (peer merge on the leader's laptop)."""
        self.ctx.touch(Changes(sync=True))
        return self.transfer(commit=commit).import_file(path)

    def conflicts(self, inspection_id: str | None = None) -> list[EditConflict]:
        return edit_conflicts(self.ctx.store.conn, inspection_id)

    def disagreements(self, inspection_id: str | None = None) -> list[Disagreement]:
        return disagreements(self.ctx.store.conn, inspection_id)
