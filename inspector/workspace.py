"""The composition root of the core: opens a data directory and wires the services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.at_rest import DB_NAME, open_data_dir, sealed_vault
from inspector.clock import Clock, SystemClock
from inspector.durable import make_dirs
from inspector.errors import BugError, StorageError
from inspector.keys import DataKeys, Unlocked, Unlocker
from inspector.services.backups import BackupService
from inspector.services.catalogs import CatalogService
from inspector.services.context import ServiceContext, Session
from inspector.services.evidence import EvidenceService
from inspector.services.findings import FindingService
from inspector.services.inspections import InspectionService
from inspector.services.registry import RegistryService
from inspector.services.requirements import RequirementService
from inspector.services.settings import SettingsService, load_identity
from inspector.store.audit import AuditReport, verify_store
from inspector.store.db import Store, open_store, translate_os_error
from inspector.store.device import ensure_device
from inspector.worker import Worker

if TYPE_CHECKING:
    from inspector.services.documents import DocumentService
    from inspector.sync.service import SyncService

__all__ = ["DB_NAME", "AuditReport", "Services", "Unlocker", "Workspace", "build_services", "unlock"]


@dataclass
class Services:
    """Everything the UI and the CLI may call. Built once per data directory and thread."""

    ctx: ServiceContext
    settings: SettingsService
    catalogs: CatalogService
    registry: RegistryService
    inspections: InspectionService
    findings: FindingService
    evidence: EvidenceService
    requirements: RequirementService
    backups: BackupService | None = None  # set by Workspace.open: it needs the directory and its keys

    @property
    def session(self) -> Session:
        return self.ctx.session

    def verify_events(self) -> AuditReport:
        return verify_store(self.ctx.store, scratch_dir=self.ctx.vault.tmp)

    @cached_property
    def documents(self) -> DocumentService:
        """Built on first use: it pulls in reportlab and pyHanko, which start-up does not need."""
        from inspector.services.documents import DocumentService

        return DocumentService(self.ctx, self.inspections, self.findings, self.evidence, self.requirements,
                               self.registry)

    @cached_property
    def sync(self) -> SyncService:
        """Built on first use: the sync stack (HTTP client, crypto) is not needed to start the app."""
        from inspector.sync.service import SyncService

        return SyncService(self.ctx)


class Workspace:
    """One data directory: the database, the evidence vault, and this device's identity.

    Everything in it is encrypted (`inspector.at_rest`). `keys` are the unlocked raw keys: pass
    them to every further `open` of the same directory in this process (threads, the read pool)
    so the passphrase is asked and derived once. `recovery_key` is set only on the open that
    created the keys: show it to the user once.
    """

    def __init__(self, data_dir: Path, store: Store, services: Services, keys: DataKeys,
                 recovery_key: str | None = None) -> None:
        self.data_dir = data_dir
        self.store = store
        self.services = services
        self.keys = keys
        self.recovery_key = recovery_key

    @classmethod
    def open(cls, data_dir: Path, *, clock: Clock | None = None, install_builtins: bool = True,
             session: Session | None = None, read_only: bool = False,
             keys: DataKeys | None = None, unlocker: Unlocker | None = None,
             worker: Worker | None = None) -> Workspace:
        """Open the data directory. Threads of one app share one `session` (identity, device)
        and the `keys` unlocked by the first open (the passphrase is asked and derived once).

        `worker` runs the rendering and signing of documents (`inspector.worker`): inline when
        None; the app passes its one child-process worker to every thread's workspace and shuts
        it down itself (closing a workspace leaves a worker it was given running).

        `read_only` workspaces (the app's read pool) open `PRAGMA query_only` connections on a
        database the writer has already created; they need the writer's session and keys.
        """
        clock = clock or SystemClock()
        if read_only and session is None:
            raise BugError("a read-only workspace shares the writer's session")
        try:
            make_dirs(data_dir)
        except OSError as exc:
            raise translate_os_error(exc) or StorageError(
                "Không tạo được thư mục dữ liệu {path}: {reason}.",
                hint="Chọn thư mục khác bằng --data-dir hoặc biến INSPECTOR_DATA_DIR.",
                path=str(data_dir), reason=exc.strerror or str(exc)) from exc
        recovery_key = None
        if keys is None:
            if read_only:
                raise BugError("a read-only workspace uses the writer's keys")
            unlocked = open_data_dir(data_dir, unlocker or Unlocker.from_environment())
            keys, recovery_key = unlocked.keys, unlocked.recovery_key
        store = open_store(data_dir / DB_NAME, key=keys.db, read_only=read_only)
        try:
            if session is None:
                session = Session(load_identity(store), ensure_device(store, clock))
            vault = sealed_vault(data_dir, keys)
            ctx = ServiceContext(store=store, vault=vault, session=session, clock=clock,
                                 worker=worker or Worker.inline())
            services = build_services(ctx)
            services.backups = BackupService(data_dir, store, keys, clock)
            if install_builtins and not read_only:
                services.catalogs.install_builtins()
        except BaseException:
            store.close()
            raise
        return cls(data_dir, store, services, keys, recovery_key)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def unlock(data_dir: Path, unlocker: Unlocker | None = None) -> Unlocked:
    """The keys of a data directory (created, and older plain data encrypted, when needed).

    Call once per process (the passphrase is asked and derived here) and pass `keys` to every
    `Workspace.open` of the same directory; show `recovery_key` when it is set (keys just made).
    """
    make_dirs(data_dir)
    return open_data_dir(data_dir, unlocker or Unlocker.from_environment())


def build_services(ctx: ServiceContext) -> Services:
    registry = RegistryService(ctx)
    inspections = InspectionService(ctx, registry)
    findings = FindingService(ctx, inspections)
    return Services(
        ctx=ctx,
        settings=SettingsService(ctx, registry),
        catalogs=CatalogService(ctx),
        registry=registry,
        inspections=inspections,
        findings=findings,
        evidence=EvidenceService(ctx, inspections, findings),
        requirements=RequirementService(ctx, inspections, registry),
    )
