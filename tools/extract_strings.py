"""Print what resources/translations/en.json is missing, what it no longer needs, and text that cannot be
translated as written (f-strings, computed text, hard-coded Vietnamese in ui/).

    python tools/extract_strings.py            # missing and stale entries, as JSON ready to fill in
    python tools/extract_strings.py --audit    # also every untranslatable spot, with file:line

The extractor itself lives in tests/ui/test_translations.py, so the test and this script agree.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ui.test_translations import (  # noqa: E402
    CATALOGUE,
    DYNAMIC_KEYS,
    PROPER_NAMES,
    VIETNAMESE_ONLY,
    _Extractor,
    _func_name,
    extract,
)

SKIP = {"qt_strings.py"}  # Qt's own strings in Vietnamese, installed only for the Vietnamese UI


def audit(known: set[str]) -> list[str]:
    """f-strings with Vietnamese words, and Vietnamese literals in ui/ that never reach tr()."""
    extractor = _Extractor(ROOT)
    callees = {"tr", "Problem", *extractor.errors, *extractor.sinks}
    found = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        if path.name in SKIP:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef) and n.body
                      and isinstance(n.body[0], ast.Expr)}
        roots = [a for n in ast.walk(tree) if isinstance(n, ast.Call) and _func_name(n) in callees
                 for a in [*n.args, *(k.value for k in n.keywords)]]
        roots += [n.iter for n in ast.walk(tree) if isinstance(n, ast.For | ast.comprehension)]
        consumed = {id(c) for r in roots for c in ast.walk(r)}
        consumed |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        constants = {id(c) for body in [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
                     for stmt in body if isinstance(stmt, ast.Assign) for c in ast.walk(stmt.value)}
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if VIETNAMESE_ONLY.search(text):
                    found.append(f"{where}:{node.lineno}: f-string: {ast.unparse(node)[:110]}")
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                  and VIETNAMESE_ONLY.search(node.value) and node.value not in PROPER_NAMES
                  and not (id(node) in consumed or (id(node) in constants and node.value in known))):
                found.append(f"{where}:{node.lineno}: not translated: {node.value[:110]!r}")
    return found


def main() -> int:
    result = extract()
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8")) if CATALOGUE.exists() else {}
    missing = {text: "" for text in sorted(result.strings) if not catalogue.get(text)}
    stale = sorted(set(catalogue) - set(result.strings) - DYNAMIC_KEYS)
    print(f"{len(result.strings)} strings; {len(missing)} missing; {len(stale)} stale", file=sys.stderr)
    for text in missing:
        print(f"  missing {result.strings[text][0]}: {text!r}", file=sys.stderr)
    for text in stale:
        print(f"  stale: {text!r}", file=sys.stderr)
    if "--audit" in sys.argv:
        for line in result.untranslatable + audit(set(result.strings)):
            print(f"  {line}", file=sys.stderr)
    if missing:
        print(json.dumps(missing, ensure_ascii=False, indent=2))
    return 1 if missing or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
