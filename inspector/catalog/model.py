"""Parsed catalog and checklist documents (validated before they get here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector import canonical

CATALOG_FORMAT = "inspector.catalog"
CHECKLIST_FORMAT = "inspector.checklist"
AUDIENCES = {
    "leadership": "Cán bộ giữ chức vụ lãnh đạo, quản lý",
    "staff": "Công chức, viên chức không giữ chức vụ lãnh đạo",
    "one_stop_desk": "Bộ phận một cửa",
    "other": "Khác",
}


def content_hash(document: dict[str, Any]) -> str:
    """Identity of a document's content: canonical JSON without the editor hint `$schema`."""
    return canonical.digest({k: v for k, v in document.items() if k != "$schema"})


@dataclass(frozen=True)
class Manifestation:
    code: str
    title: str
    description: str
    group_code: str


@dataclass(frozen=True)
class ManifestationGroup:
    code: str
    title: str
    description: str
    manifestations: tuple[Manifestation, ...]


@dataclass(frozen=True)
class TaskGroup:
    code: str
    title: str
    description: str


@dataclass(frozen=True)
class LevelDefinition:
    level: int
    label: str
    description: str


@dataclass(frozen=True)
class Catalog:
    id: str
    version: int
    title: str
    directive_number: str
    directive_date: str
    directive_issuer: str
    directive_title: str
    wording_note: str
    level_scale: tuple[LevelDefinition, ...]
    groups: tuple[ManifestationGroup, ...]
    task_groups: tuple[TaskGroup, ...]
    content_hash: str

    def manifestation(self, code: str) -> Manifestation | None:
        for group in self.groups:
            for m in group.manifestations:
                if m.code == code:
                    return m
        return None

    def codes(self) -> list[str]:
        return [m.code for g in self.groups for m in g.manifestations]

    def group(self, code: str) -> ManifestationGroup | None:
        return next((g for g in self.groups if g.code == code), None)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Catalog:
        groups = tuple(
            ManifestationGroup(
                code=g["code"],
                title=g["title"],
                description=g.get("description", ""),
                manifestations=tuple(
                    Manifestation(m["code"], m["title"], m.get("description", ""), g["code"])
                    for m in g["manifestations"]
                ),
            )
            for g in doc["groups"]
        )
        return cls(
            id=doc["id"],
            version=doc["version"],
            title=doc["title"],
            directive_number=doc["directive"]["number"],
            directive_date=doc["directive"]["date"],
            directive_issuer=doc["directive"]["issuer"],
            directive_title=doc["directive"]["title"],
            wording_note=doc.get("wording_note", ""),
            level_scale=tuple(
                LevelDefinition(x["level"], x["label"], x["description"])
                for x in sorted(doc["level_scale"], key=lambda x: x["level"])
            ),
            groups=groups,
            task_groups=tuple(
                TaskGroup(t["code"], t["title"], t.get("description", "")) for t in doc["task_groups"]
            ),
            content_hash=content_hash(doc),
        )


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    text: str
    guidance: str
    manifestations: tuple[str, ...]
    levels: tuple[str, str, str]  # descriptions of levels 1, 2, 3

    @property
    def group_code(self) -> str:
        """The manifestation group the item belongs to: that of its first manifestation code."""
        return self.manifestations[0].split("-")[0]

    def level_text(self, level: int) -> str:
        return self.levels[level - 1] if 1 <= level <= 3 else ""


@dataclass(frozen=True)
class Checklist:
    id: str
    version: int
    title: str
    description: str
    catalog_id: str
    catalog_version: int
    audience: str
    subject_kind: str
    items: tuple[ChecklistItem, ...]
    content_hash: str

    def item(self, code: str) -> ChecklistItem | None:
        return self._index().get(code)

    def _index(self) -> dict[str, ChecklistItem]:
        cached: dict[str, ChecklistItem] | None = self.__dict__.get("_by_code")
        if cached is None:
            cached = {i.code: i for i in self.items}
            object.__setattr__(self, "_by_code", cached)
        return cached

    @property
    def label(self) -> str:
        return f"{self.title} (phiên bản {self.version})"

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Checklist:
        return cls(
            id=doc["id"],
            version=doc["version"],
            title=doc["title"],
            description=doc.get("description", ""),
            catalog_id=doc["catalog"]["id"],
            catalog_version=doc["catalog"]["version"],
            audience=doc["audience"],
            subject_kind=doc["subject_kind"],
            items=tuple(
                ChecklistItem(
                    code=i["code"],
                    text=i["text"],
                    guidance=i.get("guidance", ""),
                    manifestations=tuple(i["manifestations"]),
                    levels=(i["levels"]["1"], i["levels"]["2"], i["levels"]["3"]),
                )
                for i in doc["items"]
            ),
            content_hash=content_hash(doc),
        )
