"""What start-up needs of the first-run assistant: the check for a new data directory and the
menu entry. The assistant itself is imported only when it opens (start-up time)."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from ui.context import AppContext
from ui.icons import icon


def open_first_run(ctx: AppContext, parent: QWidget, *, first: bool = False) -> None:
    """Read what is set up so far, then open the assistant (`first`: on a new data directory)."""
    from ui.dialogs.first_run.assistant import FirstRunAssistant
    from ui.dialogs.first_run.steps import SetupData, read_setup

    def show(data: SetupData) -> None:
        FirstRunAssistant(ctx, data, parent).exec()

    if first:  # shown once by itself; from then on only from the menu
        ctx.ops.write(lambda s: s.settings.mark_setup_offered(), owner=parent)
    ctx.ops.query(read_setup, show, owner=parent)


def offer_first_run(ctx: AppContext, parent: QWidget) -> None:
    """At start-up: a new data directory opens the assistant."""
    ctx.ops.query(lambda s: s.settings.first_run(), lambda fresh: open_first_run(ctx, parent, first=True)
                  if fresh else None, owner=parent)


def install_menu_action(window: QMainWindow, ctx: AppContext) -> QAction:
    """Tools ▸ first-run assistant, next to Settings (the main window builds its menus; this adds one)."""
    tr = ctx.tr
    action = QAction(icon("settings"), tr("Trợ lý thiết lập ban đầu…"), window)
    action.setStatusTip(tr("Cơ quan ban hành, người sử dụng máy, đoàn kiểm tra, chữ ký số"))
    action.triggered.connect(lambda: open_first_run(ctx, window))
    tools = next((a.menu() for a in window.menuBar().actions()
                  if isinstance(a.menu(), QMenu) and a.text() == tr("&Công cụ")), None)
    if isinstance(tools, QMenu):
        settings = next((a for a in tools.actions() if a.text() == tr("Cài đặt…")), None)
        if settings is not None:
            tools.insertAction(settings, action)
        else:
            tools.addAction(action)
    else:
        window.menuBar().addAction(action)
    return action
