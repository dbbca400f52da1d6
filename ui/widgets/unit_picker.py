"""A searchable unit picker instead of a flat list of hundreds of "Ủy ban …" entries.

Type any word of a unit's name, of its type or of a parent's name, with or without diacritics
("hoan kiem mot cua" finds the one-stop desk of Phường Hoàn Kiếm), or initials ("ubnd"); each
match shows its parent (parent › unit), the full path is in its tooltip. Enter or a click picks a
unit; leaving the field without picking keeps the unit chosen before.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import QModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit, QWidget

from inspector.domain import UNIT_TYPES, Unit
from inspector.i18n import Translator
from inspector.text import fold
from ui.icons import icon

ID_ROLE = Qt.ItemDataRole.UserRole
_WORD = re.compile(r"\w+")
MAX_SHOWN = 200  # a popup longer than this is not read; typing narrows it
POPUP_MIN_WIDTH = 460


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class UnitEntry:
    id: str
    name: str
    label: str        # "parent › unit" (the name alone at the top of the tree)
    path: str         # every ancestor › unit
    type_label: str
    depth: int
    name_words: tuple[str, ...]
    words: tuple[str, ...]  # name, initials, type, code and ancestors' names, folded
    order: str

    def matches(self, tokens: Sequence[str]) -> bool:
        return all(any(w.startswith(t) for w in self.words) for t in tokens)

    def rank(self, tokens: Sequence[str]) -> tuple[int, int, int, str]:
        in_name = all(any(w.startswith(t) for w in self.name_words) for t in tokens)
        starts = bool(tokens) and bool(self.name_words) and self.name_words[0].startswith(tokens[0])
        return (0 if in_name else 1, 0 if starts else 1, self.depth, fold(self.name))


def _initials(name_words: Sequence[str]) -> list[str]:
    """'uy ban nhan dan phuong hoan kiem' → 'ubndphk', 'bndphk', …: 'ubnd' and 'hk' both find it."""
    letters = "".join(w[0] for w in name_words)
    return [letters[n:] for n in range(len(letters) - 1)] if len(letters) > 1 else []


class UnitIndex:
    """The units a picker chooses from, with their search words (pure Python: tested directly)."""

    def __init__(self, units: Sequence[Unit], tr: Translator, *, exclude: Collection[str] = ()) -> None:
        by_id: dict[str, Unit] = {u.id: u for u in units}
        self.entries: list[UnitEntry] = []
        for unit in units:
            if unit.id in exclude:
                continue
            chain = self._ancestors(unit, by_id)
            type_label = tr(UNIT_TYPES.get(unit.unit_type, unit.unit_type))
            name_words = tuple(words(unit.name))
            found = [*name_words, *_initials(name_words), *words(type_label),
                     *words(UNIT_TYPES.get(unit.unit_type, "")), *words(unit.code)]
            for ancestor in chain:
                found += words(ancestor.name)
            label = f"{chain[-1].name} › {unit.name}" if chain else unit.name
            path = " › ".join([*(a.name for a in chain), unit.name])
            self.entries.append(UnitEntry(unit.id, unit.name, label, path, type_label, len(chain), name_words,
                                          tuple(dict.fromkeys(found)), fold(path)))
        self.entries.sort(key=lambda e: e.order)
        self._by_id = {e.id: e for e in self.entries}

    @staticmethod
    def _ancestors(unit: Unit, by_id: dict[str, Unit]) -> list[Unit]:
        chain: list[Unit] = []
        current = by_id.get(unit.parent_id) if unit.parent_id else None
        while current is not None and len(chain) < 32 and current.id != unit.id:
            chain.insert(0, current)
            current = by_id.get(current.parent_id) if current.parent_id else None
        return chain

    def entry(self, unit_id: str | None) -> UnitEntry | None:
        return self._by_id.get(unit_id) if unit_id else None

    def search(self, text: str, limit: int = MAX_SHOWN) -> list[UnitEntry]:
        tokens = words(text)
        if not tokens:
            return self.entries[:limit]
        found = [e for e in self.entries if e.matches(tokens)]
        found.sort(key=lambda e: e.rank(tokens))
        return found[:limit]


class UnitPicker(QLineEdit):
    """A line edit that finds and picks one unit; empty means none (`empty_text` says what that means)."""

    unit_changed = Signal(object)  # the unit id, or None; only when the user picks or clears

    def __init__(self, tr: Translator, *, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tr = tr
        self._index = UnitIndex([], tr)
        self._current: str | None = None
        self.setPlaceholderText(empty_text)
        self.setClearButtonEnabled(True)
        self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        browse = self.addAction(icon("choose"), QLineEdit.ActionPosition.TrailingPosition)
        browse.setToolTip(tr("Xem danh sách đơn vị"))
        browse.triggered.connect(lambda: self.show_matches(""))
        self._help = tr("Gõ bất kỳ chữ nào trong tên đơn vị, loại đơn vị hoặc tên đơn vị cấp trên;"
                        " có dấu hay không dấu đều được. Enter để chọn đơn vị đầu danh sách.")
        self.setToolTip(self._help)
        self.model = QStandardItemModel(self)
        self.completer_ = QCompleter(self.model, self)
        self.completer_.setWidget(self)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer_.setMaxVisibleItems(12)
        cast(Any, self.completer_.activated)[QModelIndex].connect(self._on_activated)  # the index overload
        self.textEdited.connect(self._on_edited)
        self.returnPressed.connect(self._on_return)

    # -- API --------------------------------------------------------------------------------
    def popup(self) -> QAbstractItemView:
        view = self.completer_.popup()
        assert view is not None  # a completer always has its popup
        return view

    def set_units(self, units: Sequence[Unit], *, exclude: Collection[str] = ()) -> None:
        """The units to choose from; the current one stays chosen if it is still among them."""
        self._index = UnitIndex(units, self._tr, exclude=exclude)
        if self._index.entry(self._current) is None:
            self._current = None
        self._show_current()

    def current_id(self) -> str | None:
        return self._current

    def current_entry(self) -> UnitEntry | None:
        return self._index.entry(self._current)

    def set_current(self, unit_id: str | None) -> None:
        """Choose a unit from code (no `unit_changed`); an unknown id chooses none."""
        self._current = unit_id if self._index.entry(unit_id) is not None else None
        self._show_current()

    def choose(self, unit_id: str | None) -> None:
        """Choose a unit as the user does (emits `unit_changed` when it changes)."""
        before = self._current
        self.set_current(unit_id)
        if self._current != before:
            self.unit_changed.emit(self._current)

    def search(self, text: str) -> list[UnitEntry]:
        return self._index.search(text)

    def shown_labels(self) -> list[str]:
        """What the popup lists now (tests, accessibility checks)."""
        return [self.model.item(n).text() for n in range(self.model.rowCount())]

    def show_matches(self, text: str | None = None) -> None:
        found = self._index.search(self.text() if text is None else text)
        self.model.clear()
        for entry in found:
            item = QStandardItem(entry.label)
            item.setData(entry.id, ID_ROLE)
            item.setToolTip(f"{entry.path}\n{entry.type_label}")
            item.setEditable(False)
            self.model.appendRow(item)
        if not found:
            tr = self._tr
            typed = self.text().strip()
            empty = QStandardItem(tr("Không có đơn vị nào khớp với “{text}”.").format(text=typed) if typed
                                  else tr("Chưa có đơn vị nào trong danh bạ."))
            empty.setEnabled(False)
            self.model.appendRow(empty)
        self.setFocus()
        self.completer_.complete(QRect(0, 0, max(self.width(), POPUP_MIN_WIDTH), self.height()))
        if found:
            self.popup().setCurrentIndex(self.completer_.completionModel().index(0, 0))

    # -- events -----------------------------------------------------------------------------
    def _show_current(self) -> None:
        entry = self._index.entry(self._current)
        self.setText(entry.label if entry else "")
        self.setCursorPosition(0)
        self.setToolTip(f"{entry.path}\n{entry.type_label}" if entry else self._help)

    def _on_edited(self, text: str) -> None:
        if not text.strip():
            self.popup().hide()
            if self._current is not None:
                self.choose(None)
            return
        self.show_matches(text)

    def _on_activated(self, index: QModelIndex) -> None:
        unit_id = index.data(ID_ROLE)
        if unit_id:
            self.choose(str(unit_id))
        else:
            self._show_current()

    def _on_return(self) -> None:
        entry = self._index.entry(self._current)
        if self.text().strip() and (entry is None or self.text() != entry.label):
            found = self._index.search(self.text(), limit=1)
            if found:
                self.choose(found[0].id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and not self.popup().isVisible():
            entry = self._index.entry(self._current)
            self.show_matches("" if entry is not None and self.text() == entry.label else None)
            return
        if event.key() == Qt.Key.Key_Escape and self.text() != (e.label if (e := self.current_entry()) else ""):
            self._show_current()  # Escape undoes the typing first; a second Escape reaches the dialog
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason and not self.popup().isVisible():
            self._show_current()  # typed text that picked nothing goes; the chosen unit stays
