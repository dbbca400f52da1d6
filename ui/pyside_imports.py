"""A cheaper answer to the question PySide6 asks after every import (the app's cold start).

Once PySide6 is imported it wraps `builtins.__import__`, and after each new module is imported it
asks whether that module uses PySide (`shibokensupport.feature._mod_uses_pyside`, PYSIDE-2029: it
decides which modules `from __feature__ import snake_case` could apply to). The question is
answered with `"PySide6" in inspect.getsource(module)`: every module the app imports after Qt is
read, decoded, split into lines and kept in `linecache`, ~0.25 ms each, ~90 ms over the ~340
modules of a start (measured with -X importtime and a timer around the function).

`install()` keeps the question and the answer and only reads more cheaply: a module with a `.py`
file is answered by searching the file's bytes for b"PySide6" (the same answer: Python source is
ASCII-compatible and the name is ASCII); anything else (no file, a `.pyc` or frozen module, an
unreadable file) goes to PySide's own function. Without the function (another PySide6 version),
nothing is changed. The app uses no `__feature__`; `tests/ui/test_pyside_imports.py` checks that
both answers agree for every module of a start.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

_MARK = "_inspector_reads_bytes"


class BytesAnswer:
    """PySide's `_mod_uses_pyside(module)`, answered from the module's `.py` bytes when it has one."""

    _inspector_reads_bytes = True

    def __init__(self, original: Callable[[ModuleType], bool]) -> None:
        self.original = original

    def __call__(self, module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as fh:
                    return b"PySide6" in fh.read()
            except OSError:
                pass
        return self.original(module)


def install() -> bool:
    """Answer PySide's question from the file's bytes from now on (idempotent). True if installed."""
    import PySide6.QtCore  # noqa: F401  (loads shibokensupport, which defines the hook)

    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if getattr(original, _MARK, False):
        return True
    feature._mod_uses_pyside = BytesAnswer(original)  # type: ignore[attr-defined]
    return True
