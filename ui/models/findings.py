"""The recording matrix as a tree: manifestation groups → checklist items; columns are subjects.

In subject mode the columns are one subject's level, note and evidence count instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont

from inspector.catalog.model import Catalog, Checklist, ChecklistItem
from inspector.domain import Finding, FindingId, Subject, SubjectId
from inspector.i18n import Translator
from inspector.services.findings import RecordingSnapshot
from ui.theme import UNASSESSED_MARK

LEVEL_ROLE = Qt.ItemDataRole.UserRole + 10
CELL_ROLE = Qt.ItemDataRole.UserRole + 11      # (item_code, subject_id) or None
HAS_NOTE_ROLE = Qt.ItemDataRole.UserRole + 12
EVIDENCE_ROLE = Qt.ItemDataRole.UserRole + 13
PENDING_ROLE = Qt.ItemDataRole.UserRole + 14
DISAGREE_ROLE = Qt.ItemDataRole.UserRole + 15
KIND_ROLE = Qt.ItemDataRole.UserRole + 16      # "group", "item" or column kind
RENDER_ROLE = Qt.ItemDataRole.UserRole + 17    # level cells: (level or -1, has_note, evidence, pending, disagree)

Index = QModelIndex | QPersistentModelIndex
_NO_PARENT = 0xFFFFFFFF  # internalId of top-level (group) rows


@dataclass(frozen=True)
class Column:
    kind: str  # item | level | note | evidence
    subject: Subject | None = None


@dataclass(frozen=True)
class PendingEdit:
    """What the user just set in a cell, shown until the commit returns (not a domain value)."""

    level: int | None
    note: str


@dataclass
class Group:
    code: str
    title: str
    items: list[ChecklistItem]


def wrap_name(name: str, width: int = 11, lines: int = 2) -> tuple[str, ...]:
    """A subject's name on at most `lines` short lines for a narrow column header.

    Vietnamese given names come last and tell people apart, so when the name is too long the
    beginning is shortened ("…"), never the end; the full name is in the tooltip.
    """
    out: list[str] = []
    for word in name.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    if len(out) > lines:
        out = ["…" + " ".join(out[: len(out) - lines + 1])[-(width - 1):], *out[len(out) - lines + 1:]]
    return tuple(out) or ("",)


class FindingsModel(QAbstractItemModel):
    def __init__(self, tr: Translator) -> None:
        super().__init__()
        self.tr = tr  # type: ignore[method-assign,assignment]  # our translator replaces QObject.tr
        self.groups: list[Group] = []
        self.subjects: list[Subject] = []
        self.columns: list[Column] = [Column("item")]
        self.cells: dict[tuple[str, SubjectId], list[Finding]] = {}
        self.evidence_counts: dict[FindingId, int] = {}
        self.pending: dict[tuple[str, SubjectId], PendingEdit] = {}
        self.checklist: Checklist | None = None
        self.focus_subject: SubjectId | None = None
        self.assessed: dict[SubjectId, int] = {}  # assessed cells per subject, kept per change
        # Header sections show per-subject progress; refreshing them repaints the whole view,
        # so it is done once typing pauses rather than on every key press.
        self._header_timer = QTimer(self)
        self._header_timer.setSingleShot(True)
        self._header_timer.setInterval(350)
        self._header_timer.timeout.connect(
            lambda: self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns) - 1))

    # -- loading ----------------------------------------------------------------------------
    def load(self, snap: RecordingSnapshot, catalog: Catalog | None) -> None:
        self.beginResetModel()
        self.checklist = snap.checklist
        self.subjects = list(snap.inspection.subjects)
        self.cells = dict(snap.matrix.cells)
        self.evidence_counts = dict(snap.evidence_counts)
        self.pending.clear()
        by_group: dict[str, list[ChecklistItem]] = {}
        for item in snap.checklist.items:
            by_group.setdefault(item.group_code, []).append(item)
        titles = {g.code: g.title for g in catalog.groups} if catalog else {}
        order = [g.code for g in catalog.groups] if catalog else []
        codes = sorted(by_group, key=lambda c: (order.index(c) if c in order else 99, c))
        self.groups = [Group(c, titles.get(c, c), by_group[c]) for c in codes]
        if self.focus_subject not in {s.id for s in self.subjects}:
            self.focus_subject = None
        codes_in_use = {i.code for g in self.groups for i in g.items}
        self.assessed = {s.id: 0 for s in self.subjects}
        for (code, sid), findings in self.cells.items():
            if findings and findings[0].level is not None and code in codes_in_use and sid in self.assessed:
                self.assessed[sid] += 1
        self._set_columns()
        self.endResetModel()

    def set_focus_subject(self, subject_id: SubjectId | None) -> None:
        """None: the full matrix; a subject: that subject's level, note and evidence columns."""
        self.beginResetModel()
        self.focus_subject = subject_id
        self._set_columns()
        self.endResetModel()

    def _set_columns(self) -> None:
        if self.focus_subject is None:
            self.columns = [Column("item")] + [Column("level", s) for s in self.subjects]
        else:
            s = next(x for x in self.subjects if x.id == self.focus_subject)
            self.columns = [Column("item"), Column("level", s), Column("note", s), Column("evidence", s)]

    # -- lookups ----------------------------------------------------------------------------
    def finding(self, item_code: str, subject_id: SubjectId) -> Finding | None:
        found = self.cells.get((item_code, subject_id))
        return found[0] if found else None

    def item_at(self, index: Index) -> ChecklistItem | None:
        if not index.isValid() or index.internalId() == _NO_PARENT:
            return None
        return self.groups[index.internalId()].items[index.row()]

    def subject_at(self, index: Index) -> Subject | None:
        if not index.isValid() or index.column() >= len(self.columns):
            return None
        return self.columns[index.column()].subject

    def cell_at(self, index: Index) -> tuple[ChecklistItem, Subject] | None:
        item, subject = self.item_at(index), self.subject_at(index)
        return (item, subject) if item is not None and subject is not None else None

    def index_for(self, item_code: str, subject_id: SubjectId | None, kind: str = "level") -> QModelIndex:
        for g, group in enumerate(self.groups):
            for r, item in enumerate(group.items):
                if item.code != item_code:
                    continue
                for c, col in enumerate(self.columns):
                    if (subject_id is None and col.kind == "item") or (
                            col.subject is not None and col.subject.id == subject_id and col.kind == kind):
                        return self.createIndex(r, c, g)
        return QModelIndex()

    @property
    def item_count(self) -> int:
        return sum(len(g.items) for g in self.groups)

    def subject_progress(self, subject_id: SubjectId) -> tuple[int, int]:
        return self.assessed.get(subject_id, 0), self.item_count

    def total_progress(self) -> tuple[int, int]:
        return sum(self.assessed.values()), self.item_count * len(self.subjects)

    def unassessed(self, item_code: str) -> bool:
        return any(self.shown(item_code, s.id)[0] is None for s in self.subjects)

    def shown(self, item_code: str, subject_id: SubjectId) -> tuple[int | None, str]:
        """(level, note) as the cell shows them: an edit being saved, else the committed finding."""
        pending = self.pending.get((item_code, subject_id))
        if pending is not None:
            return pending.level, pending.note
        finding = self.finding(item_code, subject_id)
        return (finding.level, finding.note) if finding else (None, "")

    # -- updates ----------------------------------------------------------------------------
    def set_pending(self, item_code: str, subject_id: SubjectId, edit: PendingEdit) -> None:
        self._update(item_code, subject_id, lambda: self.pending.__setitem__((item_code, subject_id), edit))

    def clear_pending(self, item_code: str, subject_id: SubjectId) -> None:
        self._update(item_code, subject_id, lambda: self.pending.pop((item_code, subject_id), None))

    def set_cell(self, item_code: str, subject_id: SubjectId, findings: list[Finding]) -> None:
        """The committed findings of a cell (one, or several team members disagree); ends pending."""
        key = (item_code, subject_id)

        def apply() -> None:
            if findings:
                self.cells[key] = list(findings)
            else:
                self.cells.pop(key, None)
            self.pending.pop(key, None)

        self._update(item_code, subject_id, apply)

    def _update(self, item_code: str, subject_id: SubjectId, change: Callable[[], object]) -> None:
        was = self.shown(item_code, subject_id)[0] is not None
        change()
        now = self.shown(item_code, subject_id)[0] is not None
        if was != now and subject_id in self.assessed:
            self.assessed[subject_id] += 1 if now else -1
        self._cell_changed(item_code, subject_id)

    def set_evidence_count(self, finding_id: FindingId, count: int) -> None:
        self.evidence_counts[finding_id] = count
        for (code, sid), findings in self.cells.items():
            if any(f.id == finding_id for f in findings):
                self._cell_changed(code, sid)

    def _cell_changed(self, item_code: str, subject_id: SubjectId) -> None:
        for kind in ("level", "note", "evidence"):
            idx = self.index_for(item_code, subject_id, kind)
            if idx.isValid():
                self.dataChanged.emit(idx, idx)
        item_idx = self.index_for(item_code, None)
        if item_idx.isValid():
            self.dataChanged.emit(item_idx, item_idx)
        self._header_timer.start()

    # -- Qt model API -----------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.columns) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _NO_PARENT) if row < len(self.groups) else QModelIndex()
        if parent.internalId() != _NO_PARENT:
            return QModelIndex()
        group = parent.row()
        return self.createIndex(row, column, group) if row < len(self.groups[group].items) else QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _NO_PARENT:
            return QModelIndex()
        return self.createIndex(int(index.internalId()), 0, _NO_PARENT)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == _NO_PARENT and parent.column() == 0:
            return len(self.groups[parent.row()].items)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.columns)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() == _NO_PARENT:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or section >= len(self.columns):
            return None
        col = self.columns[section]
        tr = self.tr
        if role == Qt.ItemDataRole.DisplayRole:
            if col.kind == "item":
                return tr("Nội dung kiểm tra")
            assert col.subject is not None
            if col.kind == "level":
                done, total = self.subject_progress(col.subject.id)
                return "\n".join((*wrap_name(col.subject.name), f"{done}/{total}"))
            return tr("Ghi chú") if col.kind == "note" else tr("Minh chứng")
        if role == Qt.ItemDataRole.ToolTipRole and col.subject is not None:
            s = col.subject
            lead = tr("giữ chức vụ lãnh đạo, quản lý") if s.holds_leadership else ""
            done, total = self.subject_progress(s.id)
            progress = tr("đã đánh giá {done}/{total} mục").format(done=done, total=total)
            return ", ".join(x for x in (s.name, s.position, lead, progress) if x)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _NO_PARENT:
            return self._group_data(index, role)
        item = self.groups[index.internalId()].items[index.row()]
        col = self.columns[index.column()]
        if role == KIND_ROLE:
            return col.kind
        if col.kind == "item":
            return self._item_data(item, role)
        assert col.subject is not None
        key = (item.code, col.subject.id)
        finding = self.finding(*key)
        if role == CELL_ROLE:
            return key
        if col.kind == "level":
            return self._level_data(item, finding, key, role)
        if col.kind == "note":
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return self.shown(*key)[1]
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            count = self.evidence_counts.get(finding.id, 0) if finding else 0
            return str(count) if count else ""
        return None

    def _group_data(self, index: Index, role: int) -> Any:
        if index.column() != 0:
            return None
        group = self.groups[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{group.code} — {group.title} ({len(group.items)})"
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == KIND_ROLE:
            return "group"
        return None

    def _item_data(self, item: ChecklistItem, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{item.code}  {item.text}"
        if role == Qt.ItemDataRole.ToolTipRole:
            levels = "\n".join(f"{self.tr('Mức')} {n}: {t}" for n, t in enumerate(item.levels, start=1))
            extra = f"\n\n{item.guidance}" if item.guidance else ""
            return f"{item.code} — {item.text}\n[{', '.join(item.manifestations)}]\n\n{levels}{extra}"
        if role == Qt.ItemDataRole.ForegroundRole and self.subjects and self.unassessed(item.code):
            return QBrush(UNASSESSED_MARK)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.code} {item.text}"
        return None

    def _level_data(self, item: ChecklistItem, finding: Finding | None, key: tuple[str, SubjectId],
                    role: int) -> Any:
        pending = self.pending.get(key)
        level, note = (pending.level, pending.note) if pending else (
            (finding.level, finding.note) if finding else (None, ""))
        if role == RENDER_ROLE:  # everything the delegate paints, in one call (painting is the hot path)
            return (-1 if level is None else level, bool(note),
                    self.evidence_counts.get(finding.id, 0) if finding else 0, key in self.pending,
                    len(self.cells.get(key, ())) > 1)
        if role == LEVEL_ROLE:
            return level
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if level is None else str(level)
        if role == HAS_NOTE_ROLE:
            return bool(note)
        if role == EVIDENCE_ROLE:
            return self.evidence_counts.get(finding.id, 0) if finding else 0
        if role == PENDING_ROLE:
            return key in self.pending
        if role == DISAGREE_ROLE:
            return len(self.cells.get(key, [])) > 1
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self.tr("Chưa đánh giá") if level is None else (
                self.tr("Mức 0: không có biểu hiện") if level == 0
                else f"{self.tr('Mức')} {level}: {item.level_text(level)}")
            if note:
                text += f"\n{self.tr('Ghi chú')}: {note}"
            return text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.tr("Chưa đánh giá") if level is None else f"{self.tr('Mức')} {level}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor("#ffffff")
        return None
