"""Look and feel: a calm light palette, the level colours, fonts that cover Vietnamese."""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from inspector.paths import resources_dir

ACCENT = QColor("#1f4e79")  # also the selection colour (white text on it: contrast 8.9:1)
LEVEL_COLORS: dict[int | None, tuple[str, str]] = {  # background, text
    None: ("#f3f4f6", "#4b5563"),
    0: ("#e3f1e6", "#1e5631"),
    1: ("#fff4cc", "#7a5a00"),
    2: ("#ffd9b0", "#8a3b00"),
    3: ("#f8c4c4", "#8b1a1a"),
}
STATUS_COLORS = {
    "draft": "#525b68", "in_progress": "#1a5fd0", "recorded": "#7a5a00", "sealed": "#1e5631",
    "concluded": "#5b3cc4", "closed": "#374151", "cancelled": "#4b5563",
}
HINT_TEXT = "#595f6a"          # secondary text on the window background (#fafafa)
PROGRESS_CHUNK = "#a5d6a7"     # light, so the dark percentage text reads on it and beside it
PROGRESS_TEXT = "#111827"
PROGRESS_TRACK = "#f3f4f6"
SELECTION = "#1f4e79"          # selected rows; their text is white
UNASSESSED_MARK = QColor("#a15c07")  # items with cells not assessed yet (5:1 on white)

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: #fafafa; }}
QListWidget#navigation {{ background: #1f2937; color: #e5e7eb; border: none; font-size: 10.5pt; }}
QListWidget#navigation::item {{ padding: 10px 12px; border-radius: 6px; margin: 2px 6px; }}
QListWidget#navigation::item:selected {{ background: #1f4e79; color: white; }}
QWidget#navigationColumn {{ background: #1f2937; }}
QToolButton#navToggle {{ color: #e5e7eb; background: #1f2937; border: none; padding: 8px; }}
QToolButton#navToggle:hover {{ background: #374151; }}
QLabel#pageTitle {{ font-size: 14pt; font-weight: 600; color: #111827; }}
QLabel#hint {{ color: {HINT_TEXT}; }}
QLabel#error {{ color: #b91c1c; }}
QFrame#card {{ background: white; border: 1px solid #e5e7eb; border-radius: 8px; }}
QProgressBar {{ border: 1px solid #9ca3af; border-radius: 4px; background: {PROGRESS_TRACK}; color: {PROGRESS_TEXT};
               text-align: center; height: 16px; }}
QProgressBar::chunk {{ background: {PROGRESS_CHUNK}; border-radius: 3px; }}
QTableView, QTreeView {{ background: white; alternate-background-color: #f9fafb; gridline-color: #e5e7eb; }}
QHeaderView::section {{ background: #f3f4f6; border: none; border-bottom: 1px solid #e5e7eb; padding: 4px 6px; }}
QPushButton {{ padding: 5px 12px; }}
QPushButton#primary {{ background: #1f4e79; color: white; border: none; border-radius: 4px; }}
QPushButton#primary:hover {{ background: #2a6199; }}
QPushButton#primary:disabled {{ background: #c7ced8; color: #f3f4f6; }}
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
