"""Importing, listing and reading directive catalogs and checklists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.catalog.model import Catalog, Checklist, content_hash
from inspector.catalog.validate import load_and_validate, read_document, validate_document
from inspector.errors import NotFoundError, Problem, ValidationError
from inspector.paths import resources_dir
from inspector.services.context import ServiceContext

BUILTIN_DIRS = ("catalogs", "checklists")


@dataclass(frozen=True)
class CatalogVersionInfo:
    kind: str
    id: str
    version: int
    title: str
    content_hash: str
    source: str
    imported_at: str
    imported_by: str
    entry_count: int


@dataclass(frozen=True)
class ImportResult:
    kind: str
    id: str
    version: int
    title: str
    imported: bool  # False: the identical version was already here (a no-op)


class CatalogService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- reading -----------------------------------------------------------------------------
    def _lookup(self, catalog_id: str, version: int) -> Catalog | None:
        try:
            return self.ctx.catalog(catalog_id, version)
        except NotFoundError:
            return None

    def list_versions(self, kind: str | None = None) -> list[CatalogVersionInfo]:
        rows = self.ctx.store.query(
            "SELECT kind, id, version, title, content_hash, source, imported_at, imported_by,"
            " CASE kind WHEN 'catalog' THEN (SELECT count(*) FROM json_each(document, '$.groups') g,"
            "   json_each(g.value, '$.manifestations'))"
            " ELSE json_array_length(document, '$.items') END AS entry_count"
            " FROM catalog_versions WHERE (:kind IS NULL OR kind = :kind)"
            " ORDER BY kind, id, version",
            {"kind": kind},
        )
        return [CatalogVersionInfo(**r) for r in rows]

    def latest_version(self, kind: str, doc_id: str) -> int:
        version = self.ctx.store.scalar(
            "SELECT max(version) FROM catalog_versions WHERE kind = ? AND id = ?", (kind, doc_id)
        )
        if version is None:
            label = "Danh mục" if kind == "catalog" else "Bộ câu hỏi"
            raise NotFoundError("{label} “{id}” chưa có trong máy.",
                                hint="Xem danh sách bằng lệnh “inspector catalog list”.",
                                label=label, id=doc_id)
        return int(version)

    def resolve(self, ref: str) -> tuple[str, str, int]:
        """'ct24-lanh-dao' or 'ct24-lanh-dao@2' → (kind, id, version); latest when unversioned."""
        doc_id, _, ver = ref.partition("@")
        kind = self.ctx.store.scalar(
            "SELECT kind FROM catalog_versions WHERE id = ? LIMIT 1", (doc_id,)
        )
        if kind is None:
            raise NotFoundError("Không có danh mục hay bộ câu hỏi nào mã “{id}”.",
                                hint="Xem danh sách bằng lệnh “inspector catalog list”.", id=doc_id)
        if ver:
            if not ver.isdigit():
                raise NotFoundError("Phiên bản “{ver}” không hợp lệ; cần một số nguyên.", ver=ver)
            version = int(ver)
            exists = self.ctx.store.scalar(
                "SELECT 1 FROM catalog_versions WHERE kind = ? AND id = ? AND version = ?",
                (kind, doc_id, version))
            if not exists:
                raise NotFoundError("“{id}” không có phiên bản {version}.", id=doc_id, version=version)
        else:
            version = self.latest_version(kind, doc_id)
        return str(kind), doc_id, version

    def catalog(self, catalog_id: str, version: int | None = None) -> Catalog:
        return self.ctx.catalog(catalog_id, version or self.latest_version("catalog", catalog_id))

    def checklist(self, checklist_id: str, version: int | None = None) -> Checklist:
        return self.ctx.checklist(checklist_id, version or self.latest_version("checklist", checklist_id))

    def latest_checklists(self) -> list[Checklist]:
        rows = self.ctx.store.query(
            "SELECT id, max(version) AS version FROM catalog_versions WHERE kind = 'checklist'"
            " GROUP BY id ORDER BY id"
        )
        return [self.ctx.checklist(r["id"], r["version"]) for r in rows]

    # -- validating and importing ------------------------------------------------------------
    def _existing_hash(self, kind: str, doc_id: str, version: int) -> str | None:
        value = self.ctx.store.scalar(
            "SELECT content_hash FROM catalog_versions WHERE kind = ? AND id = ? AND version = ?",
            (kind, doc_id, version),
        )
        return None if value is None else str(value)

    def _check_immutable(self, kind: str, doc: dict[str, Any], source: str) -> bool:
        """True if this exact version is already here; refuse a changed file with the same number."""
        existing = self._existing_hash(kind, doc["id"], doc["version"])
        if existing is None:
            return False
        if existing == content_hash(doc):
            return True
        raise ValidationError(source, [Problem(
            "version",
            "Phiên bản {version} của “{id}” đã được công bố với nội dung khác; phiên bản đã công bố"
            " không bao giờ thay đổi.",
            {"version": doc["version"], "id": doc["id"]})],
            hint="Tăng số phiên bản (trường “version”) rồi nhập lại.")

    def validate_file(self, path: Path) -> tuple[str, dict[str, Any], bool]:
        """(kind, normalised document, already present). Raises ValidationError; changes nothing."""
        kind, doc = load_and_validate(path, self._lookup)
        present = self._check_immutable(kind, doc, path.name)
        return kind, doc, present

    def import_file(self, path: Path, *, source: str = "file") -> ImportResult:
        kind, doc, present = self.validate_file(path)
        return self._import(kind, doc, present, source)

    def import_document(self, doc: dict[str, Any], *, source_name: str, source: str) -> ImportResult:
        kind = validate_document(doc, source_name, self._lookup)
        present = self._check_immutable(kind, doc, source_name)
        return self._import(kind, doc, present, source)

    def _import(self, kind: str, doc: dict[str, Any], present: bool, source: str) -> ImportResult:
        if not present:
            stored = {k: v for k, v in doc.items() if k != "$schema"}
            with self.ctx.store.transaction() as conn:
                self.ctx.record(conn, "catalog.imported", f"{kind}:{doc['id']}@{doc['version']}", {
                    "kind": kind,
                    "id": doc["id"],
                    "version": doc["version"],
                    "title": doc["title"],
                    "content_hash": content_hash(doc),
                    "document": stored,
                    "source": source,
                })
        return ImportResult(kind, doc["id"], doc["version"], doc["title"], imported=not present)

    def builtin_files(self) -> list[Path]:
        files: list[Path] = []
        for folder in BUILTIN_DIRS:  # catalogs before the checklists that refer to them
            files += sorted((resources_dir() / folder).glob("*.json"))
        return files

    def install_builtins(self) -> list[ImportResult]:
        """First run (and after an upgrade that ships new versions): import the bundled files."""
        results = []
        for path in self.builtin_files():
            doc = read_document(path)
            if self._existing_hash(
                "catalog" if doc.get("format") == "inspector.catalog" else "checklist",
                str(doc.get("id")), int(doc.get("version", 0)),
            ):
                continue
            results.append(self.import_file(path, source="builtin"))
        return results
