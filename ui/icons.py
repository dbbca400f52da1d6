"""Icons from qtawesome (Font Awesome 6), named by what they mean in the app."""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtGui import QIcon

_NAMES = {
    "inspections": "fa6s.clipboard-list",
    "recording": "fa6s.list-check",
    "registry": "fa6s.sitemap",
    "catalog": "fa6s.book",
    "documents": "fa6s.file-signature",
    "sync": "fa6s.rotate",
    "new": "fa6s.plus",
    "open": "fa6s.folder-open",
    "edit": "fa6s.pen",
    "duplicate": "fa6s.copy",
    "archive": "fa6s.box-archive",
    "unarchive": "fa6s.box-open",
    "undo": "fa6s.rotate-left",
    "redo": "fa6s.rotate-right",
    "attach": "fa6s.paperclip",
    "camera": "fa6s.camera",
    "remove": "fa6s.trash-can",
    "import": "fa6s.file-import",
    "settings": "fa6s.gear",
    "saved": "fa6s.circle-check",
    "saving": "fa6s.spinner",
    "error": "fa6s.circle-exclamation",
    "start": "fa6s.play",
    "stop": "fa6s.flag-checkered",
    "note": "fa6s.note-sticky",
    "search": "fa6s.magnifying-glass",
    "verify": "fa6s.shield-halved",
    "person": "fa6s.user",
    "unit": "fa6s.building",
    "team": "fa6s.users",
    "help": "fa6s.circle-question",
    "quit": "fa6s.right-from-bracket",
    "pdf": "fa6s.file-pdf",
    "refresh": "fa6s.arrows-rotate",
}


def icon(name: str, color: str = "#374151") -> QIcon:
    return qta.icon(_NAMES[name], color=color)
