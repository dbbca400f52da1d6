"""The English catalogue covers every user-facing Vietnamese string, and the app really shows it.

`extract()` finds the translation keys in the source with `ast`:
  (a) the literal first argument of every call to a function named `tr` under `ui/`, plus the
      literals that reach a `tr(...)` call through a constant (a dict, a tuple, a `for` loop over
      literal pairs) defined in the same module or in one of the label dicts below;
  (b) the literal template and hint of every `UserError` (and subclass, wherever defined) and `Problem`
      under `inspector/` and `ui/`, followed through module constants, local variables, functions that
      return a template (or a (template, params) pair) and wrapper functions that pass a parameter on;
  (c) the values of the vocabularies in LABEL_DICTS (domain.py, catalog/model.py, sync/state.py).
f-strings and other computed text cannot be translation keys; `extract()` lists them in `untranslatable`.
`tools/extract_strings.py` prints what the catalogue is missing.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QTabBar,
    QWidget,
)

from inspector.demo import load_demo
from inspector.i18n import _fields
from inspector.workspace import Workspace
from tests.ui.conftest import close_context, open_context, show_window
from tests.ui.helpers import write
from ui.context import AppContext
from ui.views.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "resources" / "translations" / "en.json"
UI_DIR = "ui"
CORE_DIR = "inspector"
LABEL_DICTS = {
    "inspector/domain.py": ("UNIT_TYPES", "TEAM_ROLES", "INSPECTION_KINDS", "REGIMES", "STATUSES",
                            "EVIDENCE_KINDS", "REQUIREMENT_STATUSES"),
    "inspector/catalog/model.py": ("AUDIENCES",),
    "inspector/sync/state.py": ("STATE_LABELS",),  # shown by ui/views/sync_page.py as tr(status.label)
}
ERROR_ROOTS = {"UserError"}  # every class deriving from it (in any module) is an error with a template
# Keys in en.json that the extractor cannot find because the source builds them at run time.
DYNAMIC_KEYS: frozenset[str] = frozenset()

PROPER_NAMES = ("Hà Nội",)  # stay as they are in English text
VIETNAMESE_ONLY = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯạảãáàặẳẵắằậẩẫấầẹẻẽéèệểễếềịỉĩíìọỏõóòộổỗốồợởỡớờụủũúùựửữứừỵỷỹýỳ]")


@dataclass
class Extraction:
    strings: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # key -> ["file:line"]
    untranslatable: list[str] = field(default_factory=list)  # "file:line: why: code"

    def add(self, text: str, where: str) -> None:
        if text.strip() and where not in self.strings[text]:
            self.strings[text].append(where)

    def flag(self, where: str, why: str, node: ast.AST) -> None:
        line = f"{where}: {why}: {ast.unparse(node)[:110]}"
        if line not in self.untranslatable:
            self.untranslatable.append(line)


def _literals(node: ast.AST | None) -> list[str] | None:
    """The string(s) an expression can evaluate to, or None if it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.BoolOp | ast.IfExp):  # hint or "default"; "a" if x else "b"
        parts = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
        found = [s for v in parts for s in (_literals(v) or [])]
        return found or None
    return None


def _strings_in(node: ast.AST, position: int | None = None) -> list[str]:
    """Translatable strings of a constant: a dict's values, a sequence's items (or item `position` of pairs)."""
    if isinstance(node, ast.Dict):
        return [s for v in node.values for s in (_literals(v) or [])]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        if position is None:
            return [s for e in node.elts for s in (_literals(e) or _strings_in(e))]
        return [s for e in node.elts if isinstance(e, ast.Tuple | ast.List) and len(e.elts) > position
                for s in (_literals(e.elts[position]) or [])]
    return _literals(node) or []


def _func_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _params(func: ast.FunctionDef, method: bool) -> list[str]:
    names = [a.arg for a in func.args.posonlyargs + func.args.args]
    return names[1:] if method and names and names[0] in ("self", "cls") else names


@dataclass
class _Module:
    path: str
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]
    constants: dict[str, ast.AST]  # module- and class-level NAME = <literal>

    @classmethod
    def parse(cls, root: Path, path: Path) -> _Module:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        constants: dict[str, ast.AST] = {}
        for body in [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]:
            for stmt in body:
                if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    for t in targets:
                        if isinstance(t, ast.Name) and isinstance(stmt.value, ast.Dict | ast.Tuple | ast.List
                                                                 | ast.Constant):
                            constants[t.id] = stmt.value
        return cls(path.relative_to(root).as_posix(), tree, parents, constants)

    def enclosing(self, node: ast.AST, kind: type | tuple[type, ...]) -> ast.AST | None:
        node = self.parents.get(node)
        while node is not None and not isinstance(node, kind):
            node = self.parents.get(node)
        return node


class _Extractor:
    """Follows a text argument back to the literals it can hold (through constants, local variables,
    functions returning templates, and wrapper functions that pass a parameter on)."""

    def __init__(self, root: Path) -> None:
        self.modules = [_Module.parse(root, p) for folder in (CORE_DIR, UI_DIR)
                        for p in sorted((root / folder).rglob("*.py"))]
        self.functions: dict[str, list[ast.FunctionDef]] = defaultdict(list)
        for m in self.modules:
            for n in ast.walk(m.tree):
                if isinstance(n, ast.FunctionDef):
                    self.functions[n.name].append(n)
        self.labels: dict[str, ast.AST] = {}
        for path, names in LABEL_DICTS.items():
            constants = _Module.parse(root, root / path).constants
            self.labels.update({name: constants[name] for name in names})
        self.errors = self._error_classes()
        # wrapper function name -> {parameter: (its position, "tr" or "error")}: the text is passed on
        self.sinks: dict[str, dict[str, tuple[int | None, str]]] = {}

    def _error_classes(self) -> dict[str, int | None]:
        """Error class name -> position of its template argument (None: it takes no template)."""
        defs = {n.name: n for m in self.modules for n in ast.walk(m.tree) if isinstance(n, ast.ClassDef)}
        classes: dict[str, int | None] = dict.fromkeys(ERROR_ROOTS, 0)
        changed = True
        while changed:
            changed = False
            for name, node in defs.items():
                parent = next((getattr(b, "id", getattr(b, "attr", "")) for b in node.bases
                               if getattr(b, "id", getattr(b, "attr", "")) in classes), None)
                if name in classes or parent is None:
                    continue
                init = next((s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
                params = _params(init, True) if init else []
                classes[name] = classes[parent] if init is None else params.index("message") \
                    if "message" in params else None
                changed = True
        return classes

    def text_arguments(self, m: _Module, call: ast.Call) -> list[tuple[ast.AST, str]]:
        """(argument, kind) for each translatable argument of a call; kind is "tr" or "error"."""
        name = _func_name(call)
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}

        def positional(index: int | None, keyword: str) -> ast.AST | None:
            if keyword in kwargs:
                return kwargs[keyword]
            return call.args[index] if index is not None and len(call.args) > index else None

        found: list[tuple[ast.AST | None, str]] = []
        if name == "tr" and m.path.startswith(UI_DIR + "/"):
            found = [(call.args[0] if call.args else None, "tr")]
        elif name == "__init__" and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call) \
                and _func_name(call.func.value) == "super":
            owner = m.enclosing(call, ast.ClassDef)
            if isinstance(owner, ast.ClassDef) and owner.name in self.errors and owner.name not in ERROR_ROOTS:
                found = [(positional(0, "message"), "error"), (kwargs.get("hint"), "error")]
        elif name in self.errors:
            found = [(positional(self.errors[name], "message"), "error"), (kwargs.get("hint"), "error")]
        elif name == "Problem":
            found = [(positional(1, "template"), "error")]
        elif name in self.sinks:
            found = [(positional(index, param), kind) for param, (index, kind) in self.sinks[name].items()]
        return [(arg, kind) for arg, kind in found if arg is not None]

    def resolve(self, m: _Module, node: ast.AST, arg: ast.AST, position: int | None = None,
                depth: int = 0) -> list[str] | tuple[ast.FunctionDef, str] | None:
        """Literals `arg` (or item `position` of the tuple it holds) can be, a (function, parameter) it
        passes on, or None."""
        if depth > 4:
            return None
        if position is None and (found := _literals(arg)) is not None:
            return found
        if isinstance(arg, ast.Tuple) and position is not None and len(arg.elts) > position:
            return _literals(arg.elts[position])
        if isinstance(arg, ast.Subscript) or (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
                                              and arg.func.attr == "get" and position is None):
            target = arg.value if isinstance(arg, ast.Subscript) else arg.func.value  # type: ignore[union-attr]
            name = getattr(target, "id", getattr(target, "attr", None))
            source = m.constants.get(name) or self.labels.get(name)  # type: ignore[arg-type]
            return _strings_in(source, position) if source is not None else None
        if isinstance(arg, ast.Call):  # a function returning a template, or (template, params)
            strings = []
            for func in self.functions.get(_func_name(arg) or "", []):
                for ret in ast.walk(func):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        values = [ret.value.body, ret.value.orelse] if isinstance(ret.value, ast.IfExp) \
                            else [ret.value]
                        for value in values:
                            if position is None:
                                strings += _literals(value) or []
                            elif isinstance(value, ast.Tuple) and len(value.elts) > position:
                                strings += _literals(value.elts[position]) or []
            return strings or None
        if not isinstance(arg, ast.Name):
            return None
        if arg.id in m.constants or arg.id in self.labels:
            return _strings_in(m.constants.get(arg.id) or self.labels[arg.id], position)
        scope = m.enclosing(node, (ast.For, ast.comprehension, ast.FunctionDef))
        while isinstance(scope, ast.For | ast.comprehension):  # a loop over literal pairs or a dict
            target = scope.target
            names = [getattr(e, "id", None) for e in target.elts] if isinstance(target, ast.Tuple) \
                else [getattr(target, "id", None)]
            if arg.id in names:
                index = names.index(arg.id) if isinstance(target, ast.Tuple) else None
                it = scope.iter
                if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) \
                        and it.func.attr in ("items", "values") and isinstance(it.func.value, ast.Name):
                    source = m.constants.get(it.func.value.id) or self.labels.get(it.func.value.id)
                    return _strings_in(source) if source is not None else None
                if isinstance(it, ast.Name):
                    source = m.constants.get(it.id) or self.labels.get(it.id)
                    return _strings_in(source, index) if source is not None else None
                return _strings_in(it, index) if isinstance(it, ast.Tuple | ast.List) else None
            parent = m.enclosing(scope, (ast.For, ast.comprehension, ast.FunctionDef))
            scope = parent if parent is not scope else None
        if not isinstance(scope, ast.FunctionDef):
            return None
        method = isinstance(m.parents.get(scope), ast.ClassDef)
        if arg.id in _params(scope, method) or arg.id in [a.arg for a in scope.args.kwonlyargs]:
            return scope, arg.id
        strings = []
        assigned = False
        for stmt in ast.walk(scope):
            if not isinstance(stmt, ast.Assign):
                continue
            for target in stmt.targets:
                if isinstance(target, ast.Name) and target.id == arg.id:
                    assigned = True
                    found = self.resolve(m, stmt, stmt.value, position, depth + 1)
                elif isinstance(target, ast.Tuple) and arg.id in [getattr(e, "id", None) for e in target.elts]:
                    assigned = True
                    index = [getattr(e, "id", None) for e in target.elts].index(arg.id)
                    found = self.resolve(m, stmt, stmt.value, index, depth + 1)
                else:
                    continue
                if not isinstance(found, list):
                    return None
                strings += found
        return strings if assigned and strings else None

    def run(self) -> Extraction:
        while True:  # until no new wrapper function is discovered
            result = Extraction()
            known = {k: dict(v) for k, v in self.sinks.items()}
            for m in self.modules:
                for node in ast.walk(m.tree):
                    if isinstance(node, ast.Call):
                        for arg, kind in self.text_arguments(m, node):
                            self._collect(m, node, arg, kind, result)
            if self.sinks == known:
                return result

    def _collect(self, m: _Module, call: ast.Call, arg: ast.AST, kind: str, result: Extraction) -> None:
        where = f"{m.path}:{call.lineno}"
        found = self.resolve(m, call, arg)
        if isinstance(found, tuple):  # a parameter passed on: calls to this function carry the text
            func, param = found
            if func.name == "__init__":
                return  # an error subclass forwarding `message`/`hint`: handled by the class table
            method = isinstance(m.parents.get(func), ast.ClassDef)
            params = _params(func, method)
            self.sinks.setdefault(func.name, {})[param] = (params.index(param) if param in params else None, kind)
            return
        if found is None:
            why = "f-string" if isinstance(arg, ast.JoinedStr) else \
                "computed text passed to tr()" if kind == "tr" else "computed error text"
            result.flag(where, why, call)
            return
        for text in found:
            result.add(text, where)


def extract(root: Path = ROOT) -> Extraction:
    extractor = _Extractor(root)
    result = extractor.run()
    for name, node in extractor.labels.items():
        for text in _strings_in(node):
            result.add(text, f"{next(p for p, names in LABEL_DICTS.items() if name in names)}:{name}")
    return result


@pytest.fixture(scope="module")
def extraction() -> Extraction:
    return extract()


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))
# -- the catalogue --------------------------------------------------------------------------------


def test_extractor_finds_every_kind_of_source(extraction: Extraction) -> None:
    found = extraction.strings
    assert "Các đợt kiểm tra" in found  # tr("…") in ui/
    assert "Số biên bản" in found  # for widget, name in ((…, "Số biên bản"), …): tr(name)
    assert "T/M, TM. (thay mặt tập thể)" in found  # for key, label in AUTHORITIES: tr(label)
    assert "Trưởng đoàn" in found and "Bộ phận một cửa" in found  # label dicts
    assert "Không tìm thấy đơn vị “{id}”." in found  # NotFoundError template
    assert "Chọn đơn vị trong danh sách." in found  # its hint
    assert "Mã mục “{code}” bị trùng." in found  # Problem template
    assert "thiếu trường bắt buộc" in found  # Problem template passed through a helper method
    assert "Gói này không được gửi cho máy chủ này." in found  # WireError through a wrapper function
    assert "Thiếu trường bắt buộc “{name}”." in found  # a function returning (template, params)
    assert "Token đã bị khóa do nhập sai mã PIN quá số lần cho phép." in found  # UserError subclass
    assert "Sửa các lỗi được liệt kê rồi thử lại." in found  # default hint of ValidationError


def test_every_string_has_an_english_entry(extraction: Extraction, catalogue: dict[str, str]) -> None:
    missing = sorted((where[0], text) for text, where in extraction.strings.items()
                     if not str(catalogue.get(text, "")).strip())
    assert not missing, f"{len(missing)} strings have no English (run tools/extract_strings.py):\n" + "\n".join(
        f"  {where}: {text!r}" for where, text in missing)


def test_placeholders_match_the_source(catalogue: dict[str, str]) -> None:
    wrong = [f"  {src!r} {sorted(_fields(src))} -> {dst!r} {sorted(_fields(dst))}"
             for src, dst in catalogue.items() if _fields(src) != _fields(dst)]
    assert not wrong, "placeholders differ (the translator would ignore these):\n" + "\n".join(wrong)


def test_no_stale_entries(extraction: Extraction, catalogue: dict[str, str]) -> None:
    stale = sorted(set(catalogue) - set(extraction.strings) - DYNAMIC_KEYS)
    assert not stale, "entries no source string uses any more:\n" + "\n".join(f"  {s!r}" for s in stale)


def test_catalogue_file_is_canonical_and_fully_loaded(catalogue: dict[str, str]) -> None:
    from inspector.i18n import Translator

    text = CATALOGUE.read_text(encoding="utf-8")
    assert text == json.dumps(dict(sorted(catalogue.items())), ensure_ascii=False, indent=2) + "\n"
    assert all(isinstance(v, str) and v.strip() == v.strip(" ") and v.strip() for v in catalogue.values())
    tr = Translator("en")
    assert len(tr._table) == len(catalogue)  # no entry dropped for mismatched placeholders
    assert tr("Trưởng đoàn") == "Team leader"
    assert tr.format("Không tìm thấy đơn vị “{id}”.", id="u1") == "Unit “u1” not found."


# -- the English UI -------------------------------------------------------------------------------


@pytest.fixture
def english_ctx(tmp_path: Path) -> Iterator[AppContext]:
    data_dir = tmp_path / "data"
    with Workspace.open(data_dir) as workspace:
        workspace.services.settings.set_language("en")
    ctx = open_context(data_dir)
    yield ctx
    close_context(ctx)


@pytest.fixture
def english_window(english_ctx: AppContext, qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    return show_window(english_ctx, qtbot)


def _visible_texts(win: MainWindow) -> list[str]:
    """Text a user can read on the main window as it is: labels, buttons, menus, tabs, headers, tooltips."""
    texts = [win.windowTitle()]
    shown = [w for w in win.findChildren(QWidget) if w.isVisibleTo(win)]
    for w in shown:
        if isinstance(w, QLabel | QAbstractButton):
            texts += [w.text(), w.toolTip()]
        elif isinstance(w, QLineEdit):
            texts += [w.placeholderText(), w.toolTip()]
        elif isinstance(w, QComboBox):
            texts += [w.itemText(i) for i in range(w.count())] + [w.toolTip()]
        elif isinstance(w, QTabBar):
            texts += [w.tabText(i) for i in range(w.count())]
        elif isinstance(w, QHeaderView) and w.model() is not None:
            texts += [str(w.model().headerData(i, w.orientation()) or "") for i in range(w.count())]
        elif isinstance(w, QListWidget) and w.objectName() == "navigation":
            texts += [w.item(i).text() for i in range(w.count())]
    for menu in win.menuBar().findChildren(QMenu):
        texts += [menu.title()] + [a.text() for a in menu.actions()] + [a.toolTip() for a in menu.actions()]
    return [t for t in texts if t]


def _looks_vietnamese(text: str) -> bool:
    for name in PROPER_NAMES:
        text = text.replace(name, "")
    return bool(VIETNAMESE_ONLY.search(text))


def test_main_window_speaks_english(english_window: MainWindow, qtbot, screenshot_dir: Path) -> None:  # type: ignore[no-untyped-def]
    win = english_window
    ctx = win.ctx
    assert ctx.tr.language == "en"
    assert win.windowTitle() == "Inspector — Discipline inspections under Directive 24-CT/TU"
    win.set_navigation_compact(False)  # the labels (a compact bar on a small window shows icons only)
    navigation = [win.navigation.item(i).text() for i in range(win.navigation.count())]
    assert navigation[:3] == ["Inspections", "Recording", "Minutes, conclusion"]
    assert "Units and staff" in navigation and "Catalogs, checklists" in navigation
    assert not win.navigation.horizontalScrollBar().isVisible()  # the English labels fit the 210 px column
    assert win.inspections_page.new_button.text() == "New inspection"
    menus = [a.text() for a in win.menuBar().actions()]
    assert menus[:2] == ["&File", "&Edit"]

    for row in [*range(1, win.navigation.count()), 0]:  # every screen, empty, ending on the list
        win.navigation.setCurrentRow(row)
        QApplication.processEvents()
        vietnamese = [t for t in _visible_texts(win) if _looks_vietnamese(t)]
        assert not vietnamese, f"screen {navigation[row]!r} still shows Vietnamese: {vietnamese}"

    write(ctx, lambda s: load_demo(s, inspections=9))  # user data (unit names) is Vietnamese: only the UI must not be
    page = win.inspections_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 9, timeout=5000)
    model = page.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:3] == ["Decision number", "Decision date", "Inspected unit"]
    statuses = {model.data(model.index(r, model.STATUS_COLUMN)) for r in range(model.rowCount())}
    assert statuses and not any(_looks_vietnamese(str(s)) for s in statuses), statuses
    kinds = {model.data(model.index(r, 3)) for r in range(model.rowCount())}
    assert kinds <= {"Surprise", "Regular"}, kinds

    QApplication.processEvents()
    image = win.grab().toImage()
    path = screenshot_dir / "en-main-window.png"
    assert image.save(str(path)), path
    assert image.width() >= 1100 and image.height() >= 700
