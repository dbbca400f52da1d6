"""Look and feel: a calm light palette, the level colours, fonts that cover Vietnamese."""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from inspector.paths import resources_dir

ACCENT = QColor("#1f4e79")
LEVEL_COLORS: dict[int | None, tuple[str, str]] = {  # background, text
    None: ("#f3f4f6", "#6b7280"),
    0: ("#e3f1e6", "#1e5631"),
    1: ("#fff4cc", "#7a5a00"),
    2: ("#ffd9b0", "#8a3b00"),
    3: ("#f8c4c4", "#8b1a1a"),
}
STATUS_COLORS = {
    "draft": "#6b7280", "in_progress": "#1f6feb", "recorded": "#7a5a00", "sealed": "#1e5631",
    "concluded": "#5b3cc4", "closed": "#374151", "cancelled": "#9ca3af",
}
UNASSESSED_MARK = QColor("#d97706")

STYLE_SHEET = """
QMainWindow, QDialog { background: #fafafa; }
QListWidget#navigation { background: #1f2937; color: #e5e7eb; border: none; font-size: 10.5pt; }
QListWidget#navigation::item { padding: 10px 12px; border-radius: 6px; margin: 2px 6px; }
QListWidget#navigation::item:selected { background: #1f4e79; color: white; }
QLabel#pageTitle { font-size: 14pt; font-weight: 600; color: #111827; }
QLabel#hint { color: #6b7280; }
QLabel#error { color: #b91c1c; }
QFrame#card { background: white; border: 1px solid #e5e7eb; border-radius: 8px; }
QProgressBar { border: 1px solid #d1d5db; border-radius: 4px; background: #f3f4f6; text-align: center; height: 16px; }
QProgressBar::chunk { background: #2e7d32; border-radius: 3px; }
QTableView, QTreeView { background: white; alternate-background-color: #f9fafb; gridline-color: #e5e7eb; }
QHeaderView::section { background: #f3f4f6; border: none; border-bottom: 1px solid #e5e7eb; padding: 4px 6px; }
QPushButton { padding: 5px 12px; }
QPushButton#primary { background: #1f4e79; color: white; border: none; border-radius: 4px; }
QPushButton#primary:hover { background: #2a6199; }
QPushButton#primary:disabled { background: #c7ced8; color: #f3f4f6; }
"""


def load_fonts() -> None:
    """Register the bundled fonts; on Linux use Liberation Sans so Vietnamese always renders."""
    for path in sorted((resources_dir() / "fonts").glob("*.ttf")):
        QFontDatabase.addApplicationFont(str(path))
    if sys.platform.startswith("linux"):
        font = QFont("Liberation Sans", 10)
        QApplication.setFont(font)


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Highlight, ACCENT)
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    palette.setColor(QPalette.ColorRole.Window, QColor("#fafafa"))
    palette.setColor(QPalette.ColorRole.Base, QColor("white"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f9fafb"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
    load_fonts()
