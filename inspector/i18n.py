"""Translation: Vietnamese is the source language; other languages are data files.

`resources/translations/<lang>.json` maps a Vietnamese source string (or template) to its
translation. A missing entry falls back to the Vietnamese source, and a translation whose
`{placeholders}` differ from the source is ignored rather than crashing at format time.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from inspector.paths import resources_dir

SOURCE_LANGUAGE = "vi"
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def _fields(template: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f}
    except ValueError:
        return {"<invalid>"}


class Translator:
    def __init__(self, language: str = SOURCE_LANGUAGE, directory: Path | None = None) -> None:
        self.language = language if language in LANGUAGES else SOURCE_LANGUAGE
        self._table: dict[str, str] = {}
        if self.language != SOURCE_LANGUAGE:
            path = (directory or resources_dir() / "translations") / f"{self.language}.json"
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._table = {
                src: dst
                for src, dst in raw.items()
                if isinstance(dst, str) and dst and _fields(src) == _fields(dst)
            }

    def __call__(self, text: str) -> str:
        return self._table.get(text, text)

    def format(self, template: str, **params: object) -> str:
        return self(template).format(**params)
