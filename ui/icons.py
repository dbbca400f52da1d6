"""Icons from qtawesome (Font Awesome 6), named by what they mean in the app.

Importing qtawesome (and qtpy with it) and loading its fonts costs ~170 ms at start-up, so each
icon is rendered once and kept as PNG files in a per-user cache folder keyed by the installed
qtawesome (its version file); later starts load the PNGs. `configure_cache` is called once by
the composition root.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

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
    "export": "fa6s.file-export",
    "settings": "fa6s.gear",
    "saved": "fa6s.circle-check",
    "saving": "fa6s.spinner",
    "pending": "fa6s.circle-dot",
    "error": "fa6s.circle-exclamation",
    "start": "fa6s.play",
    "stop": "fa6s.flag-checkered",
    "note": "fa6s.note-sticky",
    "search": "fa6s.magnifying-glass",
    "choose": "fa6s.chevron-down",
    "warning": "fa6s.triangle-exclamation",
    "verify": "fa6s.shield-halved",
    "person": "fa6s.user",
    "unit": "fa6s.building",
    "team": "fa6s.users",
    "help": "fa6s.circle-question",
    "quit": "fa6s.right-from-bracket",
    "pdf": "fa6s.file-pdf",
    "sign": "fa6s.signature",
    "print": "fa6s.print",
    "seal": "fa6s.stamp",
    "refresh": "fa6s.arrows-rotate",
    "usb": "fa6s.floppy-disk",
    "server": "fa6s.server",
}
_SIZES = (16, 24, 32, 48)
_state: dict[str, object] = {"dir": None}
_memo: dict[tuple[str, str], QIcon] = {}


def _qtawesome_build() -> str:
    """Which qtawesome the cached PNGs were rendered by, without importing it or importlib.metadata
    (~10–40 ms of a start): its version file's size and modification time."""
    try:
        spec = importlib.util.find_spec("qtawesome")
        origin = spec.origin if spec is not None else None
        stat = (Path(origin).parent / "_version.py").stat() if origin else None
    except (ImportError, OSError, ValueError):
        stat = None
    return f"{stat.st_size}-{int(stat.st_mtime)}" if stat is not None else "bundled"


def configure_cache(directory: Path | None) -> None:
    """Where rendered icons are kept (None: render every time, e.g. read-only installs)."""
    if directory is not None:
        directory = directory / f"icons-qta-{_qtawesome_build()}"
        directory.mkdir(parents=True, exist_ok=True)
    _state["dir"] = directory
    _memo.clear()


def _render(name: str, color: str) -> QIcon:
    import qtawesome as qta  # untyped: the result is checked below

    made = qta.icon(_NAMES[name], color=color)
    assert isinstance(made, QIcon)
    return made


def icon(name: str, color: str = "#374151") -> QIcon:
    key = (name, color)
    cached = _memo.get(key)
    if cached is not None:
        return cached
    directory = _state["dir"]
    if not isinstance(directory, Path):
        result = _render(name, color)
    else:
        stem = f"{name}-{color.lstrip('#')}"
        files = [directory / f"{stem}-{size}.png" for size in _SIZES]
        if not all(f.is_file() for f in files):
            rendered = _render(name, color)
            for size, path in zip(_SIZES, files, strict=True):
                rendered.pixmap(QSize(size, size)).save(str(path), "PNG")
        result = QIcon()
        for path in files:
            result.addPixmap(QPixmap(str(path)))
    _memo[key] = result
    return result
