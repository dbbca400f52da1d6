"""The built-in catalog and checklists, and precise refusals of bad files (nothing imported)."""

from __future__ import annotations

import copy
import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from inspector.errors import ValidationError
from inspector.paths import resources_dir
from inspector.workspace import Services

CHECKLISTS = resources_dir() / "checklists"
CATALOG_FILE = resources_dir() / "catalogs" / "ct24-hn.v1.json"


def _doc(name: str) -> dict[str, Any]:
    path = CATALOG_FILE if name == "catalog" else CHECKLISTS / f"{name}.v1.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, doc: Any, name: str = "bad.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _snapshot(s: Services) -> tuple[int, int]:
    store = s.ctx.store
    return store.scalar("SELECT count(*) FROM events"), store.scalar("SELECT count(*) FROM catalog_versions")


def test_builtin_catalog_has_25_manifestations_in_12_9_4(services: Services) -> None:
    catalog = services.catalogs.catalog("ct24-hn")
    assert [(g.code, len(g.manifestations)) for g in catalog.groups] == [("KL", 12), ("NT", 9), ("BV", 4)]
    assert len(catalog.codes()) == 25 == len(set(catalog.codes()))
    assert [t.code for t in catalog.task_groups] == [f"NV-{n}" for n in range(1, 7)]
    assert [lv.level for lv in catalog.level_scale] == [0, 1, 2, 3]


@pytest.mark.parametrize(("checklist_id", "count"), [
    ("ct24-lanh-dao", 41), ("ct24-cong-chuc", 36), ("ct24-mot-cua", None)])
def test_builtin_checklists_map_to_codes_and_describe_3_levels(
        services: Services, checklist_id: str, count: int | None) -> None:
    checklist = services.catalogs.checklist(checklist_id)
    codes = set(services.catalogs.catalog("ct24-hn").codes())
    if count:
        assert len(checklist.items) == count
    else:
        assert 12 <= len(checklist.items) <= 30
    for item in checklist.items:
        assert item.manifestations and set(item.manifestations) <= codes
        assert all(text.strip() for text in item.levels) and len(set(item.levels)) == 3
    if checklist.audience != "one_stop_desk":
        covered = {c for item in checklist.items for c in item.manifestations}
        assert covered == codes


def test_builtin_files_are_nfc_and_installed_once(services: Services, workspace) -> None:  # type: ignore[no-untyped-def]
    for path in [CATALOG_FILE, *CHECKLISTS.glob("*.json")]:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path
    before = _snapshot(services)
    assert services.catalogs.install_builtins() == []
    assert _snapshot(services) == before


def _expect(services: Services, path: Path, *fragments: str) -> str:
    before = _snapshot(services)
    with pytest.raises(ValidationError) as info:
        services.catalogs.import_file(path)
    text = info.value.render()
    assert path.name in text
    for fragment in fragments:
        assert fragment in text, text
    assert _snapshot(services) == before, "a refused file must import nothing"
    return text


def test_malformed_json_names_line_and_column(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "inspector.checklist",\n  "id": "x"\n  "version": 2\n}', encoding="utf-8")
    _expect(services, path, "dòng 4", "cột 3", "thiếu dấu phẩy")


def test_not_utf8_duplicate_keys_nan_and_floats(services: Services, tmp_path: Path) -> None:
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"title": "Phường"}'.encode("utf-16"))
    _expect(services, latin, "UTF-8")
    dup = tmp_path / "dup.json"
    dup.write_text('{"id": "a", "id": "b"}', encoding="utf-8")
    _expect(services, dup, "“id”", "hai lần")
    nan = tmp_path / "nan.json"
    nan.write_text('{"version": NaN}', encoding="utf-8")
    _expect(services, nan, "NaN")
    doc = _doc("ct24-mot-cua")
    doc["version"] = 2.0
    _expect(services, _write(tmp_path, doc), "version", "số nguyên")


def test_wrong_types_and_missing_fields_name_the_path(services: Services, tmp_path: Path) -> None:
    doc = _doc("ct24-mot-cua")
    doc["version"] = 7
    doc["items"][2]["manifestations"] = "KL-01"
    del doc["items"][4]["levels"]["3"]
    doc["items"][5]["levels"]["2"] = "   "
    doc["items"][6]["colour"] = "đỏ"
    code2, code4 = doc["items"][2]["code"], doc["items"][4]["code"]
    text = _expect(services, _write(tmp_path, doc),
                   f"items[2] ({code2}).manifestations: Sai kiểu dữ liệu: cần danh sách",
                   f"items[4] ({code4}).levels: Thiếu trường bắt buộc “3”",
                   ".levels.2: Không được để trống", "colour")
    assert text.count("\n  - ") == 4


def test_duplicate_and_unknown_codes(services: Services, tmp_path: Path) -> None:
    doc = _doc("ct24-lanh-dao")
    doc["version"] = 9
    doc["items"][1]["code"] = doc["items"][0]["code"]
    doc["items"][3]["manifestations"] = ["KL-99"]
    _expect(services, _write(tmp_path, doc), "bị trùng", "KL-99", "không có trong danh mục ct24-hn")
    cat = _doc("catalog")
    cat["version"] = 5
    cat["groups"][0]["manifestations"][1]["code"] = cat["groups"][0]["manifestations"][0]["code"]
    cat["groups"][1]["manifestations"][0]["code"] = "KL-20"
    _expect(services, _write(tmp_path, cat, "cat.json"), "bị trùng", "phải bắt đầu bằng mã nhóm “NT”")


def test_checklist_for_an_unknown_catalog_version(services: Services, tmp_path: Path) -> None:
    doc = _doc("ct24-mot-cua")
    doc["version"], doc["catalog"]["version"] = 3, 42
    _expect(services, _write(tmp_path, doc), "phiên bản 42 chưa có", "Nhập tệp danh mục tương ứng trước")


def test_decomposed_unicode_is_normalised_to_nfc(services: Services, tmp_path: Path) -> None:
    doc = _doc("ct24-mot-cua")
    doc["version"] = 2
    doc["title"] = "Phiếu kiểm tra đột xuất (bản thử)"
    path = tmp_path / "nfd.json"
    path.write_text(unicodedata.normalize("NFD", json.dumps(doc, ensure_ascii=False)), encoding="utf-8")
    result = services.catalogs.import_file(path)
    assert result.imported and unicodedata.is_normalized("NFC", result.title)
    checklist = services.catalogs.checklist("ct24-mot-cua", 2)
    assert all(unicodedata.is_normalized("NFC", i.text) for i in checklist.items)
    nfc_path = _write(tmp_path, doc, "nfc.json")  # the same content in NFC is the same version
    assert services.catalogs.import_file(nfc_path).imported is False


def test_huge_files_are_refused_before_parsing(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text('{"items": [' + ",".join(['"' + "x" * 1000 + '"'] * 3000) + "]}", encoding="utf-8")
    _expect(services, path, "quá lớn")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    _expect(services, deep)


def test_published_versions_are_immutable(services: Services, tmp_path: Path) -> None:
    doc = _doc("ct24-lanh-dao")
    doc["items"][0]["text"] += " (đã sửa)"
    _expect(services, _write(tmp_path, doc), "Phiên bản 1", "không bao giờ thay đổi", "Tăng số phiên bản")
    doc["version"] = 2
    result = services.catalogs.import_file(_write(tmp_path, doc, "v2.json"))
    assert result.imported and services.catalogs.checklist("ct24-lanh-dao").version == 2
    assert services.catalogs.checklist("ct24-lanh-dao", 1).items[0].text != doc["items"][0]["text"]


def test_unknown_format_and_non_object(services: Services, tmp_path: Path) -> None:
    _expect(services, _write(tmp_path, {"format": "something"}), "inspector.catalog")
    _expect(services, _write(tmp_path, [1, 2, 3], "list.json"), "đối tượng JSON")


def test_validation_problems_are_counted_per_kind(services: Services, tmp_path: Path) -> None:
    doc = _doc("ct24-mot-cua")
    doc["version"] = 4
    for item in doc["items"][:3]:
        item["code"] = "bad code"
    with pytest.raises(ValidationError) as info:
        services.catalogs.import_file(_write(tmp_path, doc))
    kinds = Counter(p.template for p in info.value.problems)
    assert sum(kinds.values()) == 3


def test_catalog_documents_round_trip_through_the_store(services: Services) -> None:
    original = _doc("ct24-lanh-dao")
    original.pop("$schema", None)
    stored = services.ctx._document("checklist", "ct24-lanh-dao", 1)
    assert stored == copy.deepcopy(original)
