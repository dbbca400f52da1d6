"""Reading and validating catalog and checklist files, with precise Vietnamese messages.

Every problem names the file, the field path (or the line and column for broken JSON) and the
reason. Validation never imports anything: callers import only a document that came back clean.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector import canonical
from inspector.catalog.model import CATALOG_FORMAT, CHECKLIST_FORMAT, Catalog
from inspector.errors import Problem, ValidationError
from inspector.paths import resources_dir

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaError

CatalogLookup = Callable[[str, int], Catalog | None]

_TYPE_NAMES = {
    "string": "chuỗi ký tự",
    "integer": "số nguyên",
    "number": "số",
    "object": "đối tượng {…}",
    "array": "danh sách […]",
    "boolean": "true/false",
    "null": "null",
}
_PATTERN_HINTS = {
    "^[a-z0-9][a-z0-9-]{1,62}$": (
        "mã định danh chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, ví dụ “ct24-lanh-dao”"
    ),
    "^[A-Z]{2,4}-[0-9]{2}$": "mã biểu hiện dạng “KL-01”",
    "^[A-Z]{2,4}$": "mã nhóm gồm 2–4 chữ in hoa, ví dụ “KL”",
    "^[A-Z0-9]{1,8}-[0-9]{2,3}$": "mã mục dạng “LD-01”",
    "^NV-[0-9]{1,2}$": "mã nhóm nhiệm vụ dạng “NV-1”",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "ngày dạng YYYY-MM-DD, ví dụ “2023-08-07”",
    "\\S": "không được để trống hoặc chỉ có khoảng trắng",
}


@cache
def _validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # ~80 ms to import; only needed to validate files

    name = "catalog.schema.json" if kind == "catalog" else "checklist.schema.json"
    schema = json.loads((resources_dir() / "schemas" / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def field_path(parts: Any, doc: Any) -> str:
    """`items[3] (LD-04).levels.2` style paths: indexes, plus the item's code when it has one."""
    out = ""
    node = doc
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("code"), str):
                out += f" ({node['code']})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(gốc tài liệu)"


def _describe(error: SchemaError) -> tuple[str, dict[str, Any]]:
    v, value, inst = error.validator, error.validator_value, error.instance
    if v == "required":
        missing = [k for k in value if isinstance(inst, dict) and k not in inst]
        return "Thiếu trường bắt buộc “{name}”.", {"name": ", ".join(missing)}
    if v == "additionalProperties":
        extra = sorted(k for k in inst if k not in error.schema.get("properties", {}))
        return "Trường không được hỗ trợ: “{names}” (kiểm tra lỗi chính tả).", {"names": ", ".join(extra)}
    if v == "type":
        return "Sai kiểu dữ liệu: cần {expected}, nhưng gặp {actual}.", {
            "expected": _TYPE_NAMES.get(str(value), str(value)),
            "actual": _TYPE_NAMES.get(_json_type(inst), _json_type(inst)),
        }
    if v == "const":
        return "Giá trị phải là {expected}, nhưng gặp {actual}.", {
            "expected": json.dumps(value, ensure_ascii=False),
            "actual": json.dumps(inst, ensure_ascii=False)[:80],
        }
    if v == "enum":
        return "Giá trị {actual} không hợp lệ; chỉ chấp nhận: {choices}.", {
            "actual": json.dumps(inst, ensure_ascii=False)[:80],
            "choices": ", ".join(json.dumps(c, ensure_ascii=False) for c in value),
        }
    if v == "pattern":
        hint = _PATTERN_HINTS.get(str(value), f"mẫu {value}")
        if str(value) == "\\S":
            return "Không được để trống.", {}
        return "Giá trị {actual} không đúng quy cách: cần {hint}.", {
            "actual": json.dumps(inst, ensure_ascii=False)[:80], "hint": hint,
        }
    if v == "minLength":
        return ("Không được để trống.", {}) if value == 1 else (
            "Quá ngắn: cần ít nhất {n} ký tự.", {"n": value})
    if v == "maxLength":
        return "Quá dài: {length} ký tự, tối đa {n}.", {"length": len(inst), "n": value}
    if v == "minItems":
        return "Danh sách cần ít nhất {n} phần tử, đang có {count}.", {"n": value, "count": len(inst)}
    if v == "maxItems":
        return "Danh sách quá dài: {count} phần tử, tối đa {n}.", {"n": value, "count": len(inst)}
    if v == "minimum":
        return "Giá trị {actual} nhỏ hơn mức tối thiểu {n}.", {"actual": inst, "n": value}
    if v == "maximum":
        return "Giá trị {actual} lớn hơn mức tối đa {n}.", {"actual": inst, "n": value}
    return "Giá trị không hợp lệ (quy tắc {rule}).", {"rule": str(v)}


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    counts = Counter(k for k, _ in pairs)
    dups = [k for k, n in counts.items() if n > 1]
    if dups:
        raise _DuplicateKey(dups[0])
    return dict(pairs)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _reject_constant(name: str) -> Any:
    raise ValueError(f"không được dùng {name}")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def _floats(value: Any, path: list[Any]) -> list[list[Any]]:
    if isinstance(value, float):
        return [path]
    found: list[list[Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _floats(v, [*path, k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _floats(v, [*path, i])
    return found


def read_document(path: Path) -> dict[str, Any]:
    """Read a JSON file into a dict, NFC-normalised, or raise ValidationError naming the line."""
    source = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationError(source, [Problem("", "Không tìm thấy tệp {path}.", {"path": str(path)})],
                              hint="Kiểm tra lại đường dẫn.") from None
    except OSError as exc:
        raise ValidationError(source, [Problem("", "Không đọc được tệp: {reason}.",
                                               {"reason": exc.strerror or str(exc)})]) from exc
    if size > MAX_FILE_BYTES:
        raise ValidationError(source, [Problem(
            "", "Tệp quá lớn: {size} KB, giới hạn {limit} KB cho một danh mục hoặc bộ câu hỏi.",
            {"size": size // 1024, "limit": MAX_FILE_BYTES // 1024})],
            hint="Kiểm tra xem có chọn nhầm tệp không; tách bộ câu hỏi quá lớn thành nhiều bộ.")
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError(source, [Problem(
            f"dòng {line}", "Tệp không phải mã UTF-8 (byte lỗi ở vị trí {pos}).", {"pos": exc.start})],
            hint="Lưu lại tệp với mã hóa UTF-8 (ví dụ trong Notepad: Lưu thành… → UTF-8).") from exc
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except _DuplicateKey as exc:
        raise ValidationError(source, [Problem(
            "", "Khóa “{key}” xuất hiện hai lần trong cùng một đối tượng.", {"key": exc.key})]) from exc
    except json.JSONDecodeError as exc:
        raise ValidationError(source, [Problem(
            f"dòng {exc.lineno}, cột {exc.colno}", "Lỗi cú pháp JSON: {reason}.",
            {"reason": _json_reason(exc.msg)})],
            hint="Kiểm tra dấu phẩy, dấu ngoặc và dấu nháy kép quanh dòng được chỉ ra.") from exc
    except (ValueError, RecursionError) as exc:
        raise ValidationError(source, [Problem("", "Nội dung JSON không hợp lệ: {reason}.",
                                               {"reason": str(exc)[:200]})]) from exc
    if not isinstance(doc, dict):
        raise ValidationError(source, [Problem("(gốc tài liệu)",
                                               "Tài liệu phải là một đối tượng JSON {{…}}.")])
    if _depth(doc) > MAX_DEPTH:
        raise ValidationError(source, [Problem("", "Cấu trúc lồng nhau quá sâu (trên {n} cấp).",
                                               {"n": MAX_DEPTH})])
    floats = _floats(doc, [])
    if floats:
        raise ValidationError(source, [
            Problem(field_path(p, doc), "Số thập phân không được dùng ở đây; cần số nguyên.")
            for p in floats[:20]
        ])
    result: dict[str, Any] = canonical.nfc(doc)
    return result


_JSON_REASONS = {
    "Expecting value": "thiếu giá trị",
    "Expecting ',' delimiter": "thiếu dấu phẩy",
    "Expecting ':' delimiter": "thiếu dấu hai chấm",
    "Expecting property name enclosed in double quotes": "tên trường phải đặt trong dấu nháy kép (hoặc thừa dấu phẩy)",
    "Unterminated string starting at": "chuỗi chưa đóng dấu nháy kép",
    "Extra data": "có dữ liệu thừa sau khi tài liệu đã kết thúc",
    "Invalid control character at": "ký tự điều khiển không hợp lệ trong chuỗi",
    "Invalid \\escape": "chuỗi thoát (\\) không hợp lệ",
}


def _json_reason(msg: str) -> str:
    for english, vietnamese in _JSON_REASONS.items():
        if msg.startswith(english):
            return vietnamese
    return msg


def _kind_of(doc: dict[str, Any], source: str) -> str:
    fmt = doc.get("format")
    if fmt == CATALOG_FORMAT:
        return "catalog"
    if fmt == CHECKLIST_FORMAT:
        return "checklist"
    raise ValidationError(source, [Problem(
        "format", "Không nhận ra loại tài liệu: trường “format” phải là “{a}” hoặc “{b}”.",
        {"a": CATALOG_FORMAT, "b": CHECKLIST_FORMAT})])


def _duplicates(codes: list[str]) -> list[str]:
    return [c for c, n in Counter(codes).items() if n > 1]


def _check_catalog(doc: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for code in _duplicates([g["code"] for g in doc["groups"]]):
        problems.append(Problem("groups", "Mã nhóm “{code}” bị trùng.", {"code": code}))
    seen: set[str] = set()
    for gi, group in enumerate(doc["groups"]):
        for mi, m in enumerate(group["manifestations"]):
            where = field_path(["groups", gi, "manifestations", mi, "code"], doc)
            if m["code"] in seen:
                problems.append(Problem(where, "Mã biểu hiện “{code}” bị trùng.", {"code": m["code"]}))
            seen.add(m["code"])
            if m["code"].split("-")[0] != group["code"]:
                problems.append(Problem(where, "Mã biểu hiện “{code}” phải bắt đầu bằng mã nhóm “{group}”.",
                                        {"code": m["code"], "group": group["code"]}))
    for code in _duplicates([t["code"] for t in doc["task_groups"]]):
        problems.append(Problem("task_groups", "Mã nhóm nhiệm vụ “{code}” bị trùng.", {"code": code}))
    levels = sorted(x["level"] for x in doc["level_scale"])
    if levels != [0, 1, 2, 3]:
        problems.append(Problem("level_scale", "Thang mức độ phải có đúng các mức 0, 1, 2, 3 (mỗi mức một lần)."))
    return problems


def _check_checklist(doc: dict[str, Any], lookup: CatalogLookup) -> list[Problem]:
    problems: list[Problem] = []
    items = doc["items"]
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["code"] in seen:
            problems.append(Problem(field_path(["items", i, "code"], doc), "Mã mục “{code}” bị trùng.",
                                    {"code": item["code"]}))
        seen.add(item["code"])
    ref = doc["catalog"]
    catalog = lookup(ref["id"], ref["version"])
    if catalog is None:
        problems.append(Problem(
            "catalog", "Danh mục “{id}” phiên bản {version} chưa có trong máy.",
            {"id": ref["id"], "version": ref["version"]}))
        return problems
    known = set(catalog.codes())
    for i, item in enumerate(items):
        for j, code in enumerate(item["manifestations"]):
            if code not in known:
                problems.append(Problem(
                    field_path(["items", i, "manifestations", j], doc),
                    "Mã biểu hiện “{code}” không có trong danh mục {catalog} phiên bản {version}.",
                    {"code": code, "catalog": catalog.id, "version": catalog.version}))
        for code in _duplicates(item["manifestations"]):
            problems.append(Problem(field_path(["items", i, "manifestations"], doc),
                                    "Mã biểu hiện “{code}” được ghi hai lần.", {"code": code}))
    return problems


def validate_document(doc: dict[str, Any], source: str, lookup: CatalogLookup) -> str:
    """Validate an already-read document; returns its kind ("catalog" or "checklist")."""
    kind = _kind_of(doc, source)
    errors = sorted(_validator(kind).iter_errors(doc), key=lambda e: list(e.absolute_path))
    problems = []
    for error in errors:
        template, params = _describe(error)
        problems.append(Problem(field_path(error.absolute_path, doc), template, params))
    if problems:
        raise ValidationError(source, problems[:50])
    semantic = _check_catalog(doc) if kind == "catalog" else _check_checklist(doc, lookup)
    if semantic:
        hint = ""
        if any(p.where == "catalog" for p in semantic):
            hint = "Nhập tệp danh mục tương ứng trước, rồi nhập lại bộ câu hỏi này."
        raise ValidationError(source, semantic[:50], hint=hint)
    return kind


def load_and_validate(path: Path, lookup: CatalogLookup) -> tuple[str, dict[str, Any]]:
    doc = read_document(path)
    return validate_document(doc, path.name, lookup), doc


