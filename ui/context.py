"""What every window and view needs, built once in ui/app.py and passed through constructors.

Views reach the core only through `ops` (reads on the pool, writes on the writer); they learn
about changes from `ops.changed`, never from each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from inspector.i18n import Translator
from ui.errors import ErrorPresenter
from ui.ops import Ops


@dataclass
class AppContext:
    data_dir: Path
    ops: Ops
    tr: Translator
    settings: QSettings   # window layout and other per-user UI state (not domain data)
    errors: ErrorPresenter
