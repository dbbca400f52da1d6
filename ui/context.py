"""What every window and view needs, built once in ui/app.py and passed through constructors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QSettings, Signal

from inspector.clock import SystemClock, to_rfc3339
from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.workspace import Services, Workspace
from ui.errors import ErrorPresenter
from ui.tasks import TaskHandle, Workers

T = TypeVar("T")


class Changes(QObject):
    """Broadcast of what changed, so each view decides for itself whether to refresh."""

    inspections_changed = Signal()            # list-level: created, status, archived…
    inspection_changed = Signal(str)          # one inspection's content (findings, subjects…)
    registry_changed = Signal()               # units, people, teams
    catalog_changed = Signal()                # catalog or checklist versions
    identity_changed = Signal()
    correction_created = Signal(str)          # a new version superseding a sealed inspection
    saving = Signal()                         # a write was queued
    saved = Signal(str)                       # a write committed (RFC 3339 time of the commit)
    save_failed = Signal(str)                 # a write failed (message shown to the user)


@dataclass
class AppContext:
    data_dir: Path
    workspace: Workspace          # the GUI thread's connection: reads only
    workers: Workers              # the writer thread and the task pool
    tr: Translator
    settings: QSettings
    errors: ErrorPresenter
    changes: Changes = field(default_factory=Changes)

    @property
    def services(self) -> Services:
        return self.workspace.services

    def write(self, fn: Callable[[Services], T], on_done: Callable[[T], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None, *, show_errors: bool = True) -> TaskHandle:
        """Queue a change on the writer thread; 'saved' is announced only after its commit."""
        self.changes.saving.emit()

        def done(result: Any) -> None:
            self.changes.saved.emit(to_rfc3339(SystemClock().now()))
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self.changes.save_failed.emit(exc.message(self.tr) if isinstance(exc, UserError) else "")
            if on_error is not None:
                on_error(exc)
            if show_errors or not isinstance(exc, UserError):
                self.errors.show(exc)

        return self.workers.write(fn, done, failed)
