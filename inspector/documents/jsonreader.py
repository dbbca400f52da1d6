"""Typed, problem-collecting access to parsed JSON, for validating files with precise messages.

Instead of stopping at the first error it records a Problem (field path + Vietnamese reason)
and returns a harmless default, so one run reports everything that is wrong with a file.
"""

from __future__ import annotations

import string
from typing import Any

from reportlab.lib.units import mm

from inspector.documents.stylemodel import FontSpec
from inspector.errors import Problem


class JsonReader:
    """Typed access to one JSON object; records problems instead of raising, and unknown keys."""

    def __init__(self, data: Any, path: str, problems: list[Problem]) -> None:
        if not isinstance(data, dict):
            problems.append(Problem(path or "(gốc)", "phải là một đối tượng {{…}}"))
            data = {}
        self.data: dict[str, Any] = data
        self.path = path
        self.problems = problems
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str, template: str, **params: Any) -> None:
        self.problems.append(Problem(self.where(key), template, params))

    def _get(self, key: str) -> Any:
        self.used.add(key)
        if key not in self.data:
            self.problem(key, "thiếu trường bắt buộc")
            return None
        return self.data[key]

    def finish(self) -> None:
        for key in sorted(set(self.data) - self.used):
            self.problem(key, "trường không được hỗ trợ (gõ sai tên?)")

    def obj(self, key: str) -> JsonReader:
        value = self._get(key)
        return JsonReader(value if value is not None else {}, self.where(key),
                       self.problems if value is not None else [])

    def objects(self, key: str) -> list[JsonReader]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.problem(key, "phải là một danh sách không rỗng […]")
            return []
        return [JsonReader(item, f"{self.where(key)}[{n}]", self.problems) for n, item in enumerate(value)]

    def number(self, key: str, lo: float, hi: float) -> float:
        value = self._get(key)
        if value is None:
            return lo
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(key, "phải là một số")
            return lo
        if not lo <= value <= hi:
            self.problem(key, "giá trị {value} nằm ngoài khoảng {lo}–{hi}", value=value, lo=lo, hi=hi)
            return lo
        return float(value)

    def length(self, key: str, lo_mm: float, hi_mm: float) -> float:
        return float(self.number(key, lo_mm, hi_mm) * mm)

    def numbers(self, key: str, lo: float, hi: float) -> list[float]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.problem(key, "phải là một danh sách số […]")
            return []
        out = []
        for n, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int | float) or not lo <= item <= hi:
                self.problem(f"{key}[{n}]", "phải là một số trong khoảng {lo}–{hi}", lo=lo, hi=hi)
                return []
            out.append(float(item))
        return out

    def texts(self, key: str, *, placeholders: set[str] | None = None) -> list[str]:
        """A non-empty list of non-empty strings, each checked like `text`."""
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.problem(key, "phải là một danh sách chuỗi ký tự […]")
            return []
        items = JsonReader({f"{key}[{n}]": v for n, v in enumerate(value)}, self.path, self.problems)
        return [items.text(f"{key}[{n}]", placeholders=placeholders) for n in range(len(value))]

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(key, "phải là true hoặc false")
            return False
        return value

    def text(self, key: str, *, allow_empty: bool = False, placeholders: set[str] | None = None) -> str:
        value = self._get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.problem(key, "phải là chuỗi ký tự")
            return ""
        if not allow_empty and not value.strip():
            self.problem(key, "không được để trống")
        allowed = placeholders or set()
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError:
            self.problem(key, "dấu ngoặc {{ }} không cân đối")
            return ""
        unknown = used - allowed
        if unknown:
            self.problem(key, "chỗ trống {found} không được hỗ trợ (được dùng: {allowed})",
                         found=", ".join("{" + u + "}" for u in sorted(unknown)),
                         allowed=", ".join("{" + a + "}" for a in sorted(allowed)) or "không có")
            return ""
        return value

    def strings(self) -> dict[str, str]:
        """Every key of this object as a non-empty string (a free-form mapping)."""
        out = {}
        for key in self.data:
            out[key] = self.text(key)
        if not out:
            self.problems.append(Problem(self.path, "không được rỗng"))
        return out

    def font(self, key: str) -> FontSpec:
        r = self.obj(key)
        size = r.number("size_pt", 5, 40)
        leading = r.optional_number("leading_pt", 5, 60, default=round(size * 1.2, 2))
        spec = FontSpec(size=size, leading=leading, bold=r.optional_bool("bold"),
                        italic=r.optional_bool("italic"), underline=r.optional_bool("underline"))
        if spec.leading < spec.size:
            r.problem("leading_pt", "khoảng cách dòng không được nhỏ hơn cỡ chữ")
        r.finish()
        return spec

    def optional_number(self, key: str, lo: float, hi: float, *, default: float) -> float:
        return self.number(key, lo, hi) if key in self.data else default

    def optional_bool(self, key: str) -> bool:
        return self.boolean(key) if key in self.data else False
