"""Guards against known defects of the Qt binding that would crash the app in the field."""

from __future__ import annotations

import sys

from PySide6.QtGui import QStandardItem, QStandardItemModel


def test_reading_an_empty_role_keeps_none_alive() -> None:
    """PySide6 6.12.0 decrements None's refcount on every empty data() read: on Python 3.11 the
    process aborts with 'deallocating None' after enough repaints. Keep PySide6 on a good version."""
    model = QStandardItemModel(1, 1)
    model.setItem(0, 0, QStandardItem("x"))
    index = model.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(2000):
        assert index.data(1000) is None
    assert sys.getrefcount(None) >= before - 50
