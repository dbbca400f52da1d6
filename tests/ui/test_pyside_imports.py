"""`ui.pyside_imports`: PySide's "does this module use PySide?" after every import, answered from the
file's bytes, gives PySide's own answer for every module of a start (and is installed at all)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ui  # noqa: F401  (installs the cheaper answer)
from ui import pyside_imports

ROOT = Path(__file__).resolve().parents[2]


def test_installed_on_this_pyside() -> None:
    import shibokensupport.feature as feature  # type: ignore[import-not-found]

    assert pyside_imports.install()  # False: this PySide6 has no such hook; the start is slower again
    assert getattr(feature._mod_uses_pyside, "_inspector_reads_bytes", False)


def test_the_same_answer_for_every_module_of_the_app() -> None:
    import shibokensupport.feature as feature

    import ui.app  # noqa: F401  (everything a start imports)

    fast = feature._mod_uses_pyside
    original = fast.original
    modules = [m for m in list(sys.modules.values()) if m is not None]
    answers = [(m.__name__, fast(m), original(m)) for m in modules]
    assert [a for a in answers if a[1] != a[2]] == []
    assert any(a[1] for a in answers) and any(not a[1] for a in answers)  # both answers occur
    assert ("ui.app", True, True) in answers


def _feature_defaults_of_a_start(cheaper: bool) -> dict[str, int]:
    code = ("import json, sys, PySide6.QtCore, shibokensupport.feature as f\n"
            + ("" if cheaper else "f._mod_uses_pyside._inspector_reads_bytes = True  # install() leaves it\n")
            + "import ui.app\n"
            "assert (f._mod_uses_pyside.__module__ == 'ui.pyside_imports') == " + str(cheaper) + "\n"
            "print(json.dumps(f.pyside_feature_dict))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout))


def test_a_start_records_the_same_feature_defaults() -> None:
    """Every module imported by a start gets PySide's default (0: uses PySide, -1: ignored) as before."""
    cheaper, pyside = _feature_defaults_of_a_start(True), _feature_defaults_of_a_start(False)
    assert cheaper == pyside
    assert len(cheaper) > 100 and set(cheaper.values()) == {0, -1}
