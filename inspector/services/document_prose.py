"""The findings as sentences a reader understands: what the item says, what the level means for
it, what the team noted; cells not assessed listed as such, never counted as "no manifestation".

Pure functions of the inspection's content; the minutes and the conclusion both use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inspector.catalog.model import Catalog, Checklist, ChecklistItem
from inspector.documents import ResultSection
from inspector.domain import EvidenceRef, FindingsMatrix, Subject


def clause(text: str) -> str:
    """A piece of text that goes inside a sentence: trimmed, its own end punctuation dropped."""
    return " ".join(text.split()).rstrip(" .;,:")


def sentence(text: str) -> str:
    """Exactly one full stop at the end (no ".." and no ".;")."""
    body = clause(text)
    return f"{body}." if body else ""


def with_honorific(honorific: str, name: str) -> str:
    return " ".join(part for part in (honorific.strip(), name.strip()) if part)


@dataclass(frozen=True)
class People:
    """How subjects are named in running text: the regime's honorific for everybody (Party:
    "đồng chí"), else each person's own from the registry ("ông", "bà"), else the name alone."""

    regime_honorific: str
    honorifics: Mapping[str, str]  # person id -> "Ông" | "Bà"

    def honorific(self, person_id: str | None) -> str:
        return self.regime_honorific or (self.honorifics.get(person_id, "") if person_id else "")

    def name(self, subject: Subject, *, with_position: bool = True) -> str:
        if subject.kind == "collective":
            return f"tập thể {subject.name.strip()}"
        # Inside a sentence the honorific is lower case ("ông Nam", "đồng chí Hà").
        own = self.honorific(subject.person_id)
        base = with_honorific(own[:1].lower() + own[1:], subject.name)
        return f"{base}, {clause(subject.position)}" if with_position and subject.position.strip() else base

    def line(self, subject: Subject) -> str:
        """A list line: "Ông Lê Văn Nam – Phó Chủ tịch UBND phường", "Tập thể Bộ phận một cửa"."""
        if subject.kind == "collective":
            return f"Tập thể {subject.name.strip()}"
        head = with_honorific(self.honorific(subject.person_id), subject.name)
        head = head[:1].upper() + head[1:]
        return f"{head} – {clause(subject.position)}" if subject.position.strip() else head


def _level_phrase(item: ChecklistItem, level: int, note: str) -> str:
    meaning = clause(item.level_text(level))
    text = f"có biểu hiện ở mức {level}" + (f" ({meaning[:1].lower() + meaning[1:]})" if meaning else "")
    extra = clause(note)
    if extra and extra != meaning:
        text += f"; Đoàn ghi nhận: {extra}"
    return text


def _group_titles(catalog: Catalog | None) -> dict[str, str]:
    return {g.code: g.title for g in catalog.groups} if catalog else {}


def not_assessed_cells(checklist: Checklist, subjects: Sequence[Subject],
                       matrix: FindingsMatrix) -> dict[str, list[ChecklistItem]]:
    """Per subject id, the items with no level recorded (in checklist order)."""
    out: dict[str, list[ChecklistItem]] = {}
    for subject in subjects:
        missing = [i for i in checklist.items
                   if (f := matrix.get(i.code, subject.id)) is None or f.level is None]
        if missing:
            out[subject.id] = missing
    return out


def results_sections(checklist: Checklist, catalog: Catalog | None, subjects: Sequence[Subject],
                     matrix: FindingsMatrix, evidence: Sequence[EvidenceRef],
                     people: People) -> tuple[ResultSection, ...]:
    """One section per manifestation group: a paragraph per item with a manifestation or a note,
    then one sentence for the items where nothing was found for anyone assessed."""
    by_finding: dict[str, list[EvidenceRef]] = {}
    for ref in evidence:
        if ref.finding_id:
            by_finding.setdefault(ref.finding_id, []).append(ref)
    titles = _group_titles(catalog)
    groups: dict[str, list[ChecklistItem]] = {}
    for item in checklist.items:
        groups.setdefault(item.group_code, []).append(item)
    sections = []
    for code, items in groups.items():
        paragraphs: list[str] = []
        files: list[str] = []
        clean_items = 0
        for item in items:
            noted: list[str] = []
            assessed = 0
            for subject in subjects:
                f = matrix.get(item.code, subject.id)
                if f is None or f.level is None:
                    continue
                assessed += 1
                if f.level == 0 and not clause(f.note):
                    continue
                who = people.name(subject, with_position=False)
                if f.level == 0:
                    noted.append(f"{who} không có biểu hiện; Đoàn ghi nhận: {clause(f.note)}")
                else:
                    noted.append(f"{who} {_level_phrase(item, f.level, f.note)}")
                files += [f"{r.file_name}: {clause(r.caption) or 'minh chứng'} ({who}, nội dung “{clause(item.text)}”)"
                          for r in by_finding.get(f.id, [])]
            if noted:
                paragraphs.append(sentence(f"Về nội dung “{clause(item.text)}”: " + "; ".join(noted)))
            elif assessed:
                clean_items += 1
        if clean_items:
            which = (f"{clean_items} nội dung còn lại của nhóm" if paragraphs
                     else f"tất cả {clean_items} nội dung của nhóm")
            paragraphs.append(sentence(f"Ở {which}, Đoàn không phát hiện biểu hiện đối với các đối tượng đã được"
                                       " đánh giá"))
        if not paragraphs:
            paragraphs.append("Các nội dung của nhóm này chưa được đánh giá (xem phần nội dung chưa đánh giá).")
        sections.append(ResultSection(titles.get(code, code), tuple(paragraphs), tuple(files)))
    return tuple(sections)


def not_assessed_paragraphs(checklist: Checklist, subjects: Sequence[Subject], matrix: FindingsMatrix,
                            people: People, reason: str) -> tuple[str, ...]:
    """The cells left "chưa đánh giá", per subject, and the reason typed when sealing."""
    missing = not_assessed_cells(checklist, subjects, matrix)
    if not missing:
        return ()
    total = sum(len(v) for v in missing.values())
    lines = [f"Còn {total} nội dung chưa được đánh giá (không được coi là không có biểu hiện):"]
    by_id: dict[str, Subject] = {s.id: s for s in subjects}
    for subject_id, items in missing.items():
        who = people.name(by_id[subject_id], with_position=False)
        if len(items) == len(checklist.items):
            lines.append(f"- {who[:1].upper() + who[1:]}: chưa đánh giá nội dung nào;")
        else:
            codes = ", ".join(i.code for i in items)
            lines.append(f"- {who[:1].upper() + who[1:]}: {len(items)} nội dung ({codes}, xem Phụ lục I);")
    lines[-1] = lines[-1].rstrip(";") + "."
    if clause(reason):
        lines.append(sentence(f"Lý do chưa đánh giá: {clause(reason)}"))
    return tuple(lines)


def findings_summary(checklist: Checklist, catalog: Catalog | None, subjects: Sequence[Subject],
                     matrix: FindingsMatrix, people: People) -> str:
    """The summary the team edits for the conclusion: counts, by group, by subject, then every
    manifestation at level 2 or 3 with what it means."""
    counts = {lv: 0 for lv in (0, 1, 2, 3)}
    by_group: dict[str, dict[int, int]] = {}
    serious: list[str] = []
    for item in checklist.items:
        for subject in subjects:
            f = matrix.get(item.code, subject.id)
            if f is None or f.level is None:
                continue
            counts[f.level] += 1
            if f.level:
                by_group.setdefault(item.group_code, {1: 0, 2: 0, 3: 0})[f.level] += 1
            if f.level >= 2:
                who = people.name(subject, with_position=False)
                serious.append(f"- {who[:1].upper() + who[1:]}, nội dung “{clause(item.text)}”:"
                               f" {_level_phrase(item, f.level, f.note)};")
    assessed = sum(counts.values())
    cells = len(checklist.items) * len(subjects)
    lines = [sentence(
        f"Đoàn kiểm tra đã đánh giá {assessed}/{cells} nội dung ({len(checklist.items)} nội dung của bảng kiểm"
        f" đối với {len(subjects)} đối tượng)"
        + (f"; còn {cells - assessed} nội dung chưa đánh giá" if cells > assessed else "")
        + f". Kết quả: {counts[0]} nội dung không có biểu hiện, {counts[1]} nội dung có biểu hiện ở mức 1,"
          f" {counts[2]} ở mức 2 và {counts[3]} ở mức 3")]
    titles = _group_titles(catalog)
    for code, levels in sorted(by_group.items()):
        found = sum(levels.values())
        lines.append(sentence(f"Về {clause(titles.get(code, code))[:1].lower() + clause(titles.get(code, code))[1:]}:"
                              f" {found} biểu hiện (mức 1: {levels[1]}; mức 2: {levels[2]}; mức 3: {levels[3]})"))
    for subject in subjects:
        levels_found = [f.level for item in checklist.items
                        if (f := matrix.get(item.code, subject.id)) is not None and f.level]
        if levels_found:
            who = people.name(subject)
            lines.append(sentence(f"{who[:1].upper() + who[1:]}: {len(levels_found)} biểu hiện, cao nhất ở mức"
                                  f" {max(x or 0 for x in levels_found)}"))
    if serious:
        lines.append("Các biểu hiện ở mức 2 và mức 3:")
        lines += serious
        lines[-1] = lines[-1].rstrip(";") + "."
    return "\n".join(lines)
