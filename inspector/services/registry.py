"""The unit registry (a tree of any depth), the people in it, and inspection teams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inspector.changes import Changes
from inspector.domain import (
    HONORIFICS,
    TEAM_ROLES,
    UNIT_TYPES,
    Person,
    PersonId,
    Team,
    TeamId,
    TeamMember,
    Unit,
    UnitId,
)
from inspector.errors import NotFoundError, UserError
from inspector.ids import uuid7
from inspector.issuers import clean_abbreviation
from inspector.services.context import Identity, ServiceContext
from inspector.services.settings_store import identity_json, write_setting
from inspector.store.projection import canonical_id
from inspector.text import clean, fold


@dataclass(frozen=True)
class MemberSpec:
    person_id: str
    role: str


def _unit(row: dict[str, Any]) -> Unit:
    return Unit(UnitId(row["id"]), row["parent_id"], row["name"], row["unit_type"], row["code"],
                row["address"], bool(row["archived"]))


def _person(row: dict[str, Any]) -> Person:
    return Person(PersonId(row["id"]), row["full_name"], row["position"], row["unit_id"],
                  bool(row["holds_leadership"]), bool(row["archived"]), row["honorific"])


def _honorific(value: str) -> str:
    text = " ".join((value or "").split())
    if text and text not in HONORIFICS:
        raise UserError("Danh xưng “{value}” không hợp lệ.", hint="Chọn “Ông”, “Bà” hoặc để trống.", value=text)
    return text


class RegistryService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- units ------------------------------------------------------------------------------
    def unit(self, unit_id: str) -> Unit:
        """A unit; one the central registry merged into another resolves to that one."""
        row = self.ctx.store.one("SELECT * FROM units WHERE id = ?", (canonical_id(self.ctx.store.conn, "units",
                                                                                   unit_id),))
        if row is None:
            raise NotFoundError("Không tìm thấy đơn vị “{id}”.", hint="Chọn đơn vị trong danh sách.",
                                id=unit_id)
        return _unit(row)

    def units(self, *, include_archived: bool = False) -> list[Unit]:
        rows = self.ctx.store.query(
            "SELECT * FROM units WHERE (archived = 0 OR :all) AND merged_into IS NULL ORDER BY name",
            {"all": include_archived})
        return [_unit(r) for r in rows]

    def _editable(self, table: str, entity_id: str, what: str) -> None:
        """Entries of the central registry are the office's: a laptop does not edit them."""
        if self.ctx.store.scalar(f"SELECT central FROM {table} WHERE id = ?", (entity_id,)):
            raise UserError("{what} này thuộc danh mục chung do văn phòng trung tâm quản lý; không sửa được"
                            " trên máy này.", hint="Đề nghị văn phòng trung tâm sửa; thay đổi sẽ đến máy ở lần"
                                                  " đồng bộ tới.", what=what)

    def unit_path(self, unit_id: str) -> list[Unit]:
        """The unit and its ancestors, root first (for headers such as 'UBND THÀNH PHỐ HÀ NỘI')."""
        path: list[Unit] = []
        current: str | None = unit_id
        while current and len(path) < 32:
            unit = self.unit(current)
            path.insert(0, unit)
            current = unit.parent_id
        return path

    def descendants(self, unit_id: str) -> list[str]:
        rows = self.ctx.store.query(
            "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT u.id FROM units u"
            " JOIN tree t ON u.parent_id = t.id) SELECT id FROM tree",
            (unit_id,),
        )
        return [r["id"] for r in rows]

    def _unit_fields(self, name: str, unit_type: str, code: str, address: str,
                     parent_id: str | None) -> dict[str, Any]:
        if unit_type not in UNIT_TYPES:
            raise UserError("Loại đơn vị “{value}” không hợp lệ.", hint="Chọn loại đơn vị trong danh sách.",
                            value=unit_type)
        if parent_id:
            parent_id = self.unit(parent_id).id
        return {
            "parent_id": parent_id or None,
            "name": clean(name, label="Tên đơn vị", required=True, max_length=300),
            "unit_type": unit_type,
            "code": clean(code, label="Mã đơn vị", max_length=40),
            "address": clean(address, label="Địa chỉ", max_length=300),
        }

    def add_unit(self, name: str, unit_type: str, *, parent_id: str | None = None, code: str = "",
                 address: str = "") -> Unit:
        fields = self._unit_fields(name, unit_type, code, address, parent_id)
        siblings = self.ctx.store.query(
            "SELECT name FROM units WHERE parent_id IS ? AND archived = 0 AND merged_into IS NULL",
            (fields["parent_id"],))
        if any(fold(r["name"]) == fold(fields["name"]) for r in siblings):
            raise UserError("Đơn vị “{name}” đã có trong cùng cấp.",
                            hint="Chọn đơn vị sẵn có thay vì thêm mới.", name=fields["name"])
        unit_id = uuid7()
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "unit.created", unit_id, {**fields, "archived": False})
        return self.unit(unit_id)

    def update_unit(self, unit_id: str, *, name: str, unit_type: str, code: str = "",
                    address: str = "", parent_id: str | None = None) -> Unit:
        unit_id = self.unit(unit_id).id
        self._editable("units", unit_id, "Đơn vị")
        fields = self._unit_fields(name, unit_type, code, address, parent_id)
        if parent_id and (parent_id == unit_id or parent_id in self.descendants(unit_id)):
            raise UserError("Không thể đặt một đơn vị làm cấp trên của chính nó.",
                            hint="Chọn đơn vị cấp trên khác.")
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "unit.updated", unit_id, fields)
        return self.unit(unit_id)

    # -- people -----------------------------------------------------------------------------
    def person(self, person_id: str) -> Person:
        row = self.ctx.store.one("SELECT * FROM people WHERE id = ?",
                                 (canonical_id(self.ctx.store.conn, "people", person_id),))
        if row is None:
            raise NotFoundError("Không tìm thấy người có mã “{id}”.", id=person_id)
        return _person(row)

    def people(self, *, unit_id: str | None = None, search: str = "") -> list[Person]:
        rows = self.ctx.store.query(
            "SELECT * FROM people WHERE archived = 0 AND merged_into IS NULL AND (:u IS NULL OR unit_id = :u)"
            " ORDER BY full_name", {"u": unit_id})
        key = fold(search)
        return [_person(r) for r in rows if not key or key in fold(r["full_name"] + " " + r["position"])]

    def _person_fields(self, full_name: str, position: str, unit_id: str | None,
                       holds_leadership: bool, honorific: str) -> dict[str, Any]:
        if unit_id:
            unit_id = self.unit(unit_id).id
        return {
            "full_name": clean(full_name, label="Họ và tên", required=True, max_length=120),
            "position": clean(position, label="Chức vụ", max_length=200),
            "unit_id": unit_id or None,
            "holds_leadership": bool(holds_leadership),
            "honorific": _honorific(honorific),
        }

    def add_person(self, full_name: str, *, position: str = "", unit_id: str | None = None,
                   holds_leadership: bool = False, honorific: str = "") -> Person:
        fields = self._person_fields(full_name, position, unit_id, holds_leadership, honorific)
        person_id = uuid7()
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "person.created", person_id, {**fields, "archived": False})
        return self.person(person_id)

    def update_person(self, person_id: str, *, full_name: str, position: str = "",
                      unit_id: str | None = None, holds_leadership: bool = False,
                      honorific: str | None = None) -> Person:
        """`honorific=None` keeps the recorded one (callers that do not edit it leave it alone)."""
        current = self.person(person_id)
        person_id = current.id
        self._editable("people", person_id, "Người")
        fields = self._person_fields(full_name, position, unit_id, holds_leadership,
                                     current.honorific if honorific is None else honorific)
        me = self.ctx.identity
        # The laptop's user is this person: future events carry the corrected name at once.
        renamed = Identity(me.id, fields["full_name"], fields["position"], me.person_id) \
            if me.person_id == person_id else None
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "person.updated", person_id, fields)
            if renamed is not None:
                write_setting(conn, "identity", identity_json(renamed))
        if renamed is not None:
            self.ctx.session.replace_identity(renamed)
            self.ctx.touch(Changes(settings=True))
        return self.person(person_id)

    # -- teams ------------------------------------------------------------------------------
    def team(self, team_id: str) -> Team:
        row = self.ctx.store.one("SELECT * FROM teams WHERE id = ?", (team_id,))
        if row is None:
            raise NotFoundError("Không tìm thấy đoàn kiểm tra “{id}”.", id=team_id)
        members = self.ctx.store.query(
            "SELECT m.person_id, p.full_name, p.position, m.role, p.honorific FROM team_members m"
            " JOIN people p ON p.id = m.person_id WHERE m.team_id = ? ORDER BY m.ordinal",
            (team_id,))
        return Team(TeamId(row["id"]), row["name"], row["issuing_body"], row["superior_body"],
                    tuple(TeamMember(PersonId(m["person_id"]), m["full_name"], m["position"], m["role"],
                                     m["honorific"]) for m in members),
                    row["issuing_abbr"], row["superior_abbr"])

    def teams(self) -> list[Team]:
        rows = self.ctx.store.query("SELECT id FROM teams WHERE archived = 0 ORDER BY name")
        return [self.team(r["id"]) for r in rows]

    def _team_fields(self, name: str, issuing_body: str, superior_body: str,
                     members: Sequence[MemberSpec], issuing_abbr: str, superior_abbr: str) -> dict[str, Any]:
        seen: set[str] = set()
        out = []
        for m in members:
            if m.role not in TEAM_ROLES:
                raise UserError("Vai trò “{role}” không hợp lệ.", hint="Chọn vai trò trong danh sách.",
                                role=m.role)
            person = self.person(m.person_id)
            if m.person_id in seen:
                raise UserError("{name} được thêm vào đoàn hai lần.", hint="Bỏ dòng trùng.",
                                name=person.full_name)
            seen.add(m.person_id)
            out.append({"person_id": m.person_id, "role": m.role})
        leaders = [m for m in out if m["role"] == "leader"]
        if len(leaders) > 1:
            raise UserError("Mỗi đoàn chỉ có một Trưởng đoàn.", hint="Đổi vai trò của người còn lại.")
        if out and not leaders:
            raise UserError("Đoàn kiểm tra chưa có Trưởng đoàn.", hint="Chọn một thành viên làm Trưởng đoàn.")
        return {
            "name": clean(name, label="Tên đoàn", required=True, max_length=200),
            "issuing_body": clean(issuing_body, label="Cơ quan ban hành", max_length=200),
            "superior_body": clean(superior_body, label="Cơ quan chủ quản", max_length=200),
            "issuing_abbr": clean_abbreviation(issuing_abbr, label="Ký hiệu của đoàn"),
            "superior_abbr": clean_abbreviation(superior_abbr, label="Ký hiệu của cơ quan lập đoàn"),
            "members": out,
        }

    def add_team(self, name: str, *, issuing_body: str = "", superior_body: str = "",
                 members: Sequence[MemberSpec] = (), issuing_abbr: str = "", superior_abbr: str = "") -> Team:
        """`superior_body` is the body that set the team up and will issue the conclusion; the two
        abbreviations are the symbols its documents carry ("ĐKT", "TU"), written without tone marks.
        Write body names as running text does ("Thành ủy Hà Nội"): document headers upper-case them,
        while distribution lists and sentences use them as written."""
        fields = self._team_fields(name, issuing_body, superior_body, members, issuing_abbr, superior_abbr)
        team_id = uuid7()
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "team.created", team_id, {**fields, "archived": False})
        return self.team(team_id)

    def update_team(self, team_id: str, *, name: str, issuing_body: str = "",
                    superior_body: str = "", members: Sequence[MemberSpec] = (), issuing_abbr: str | None = None,
                    superior_abbr: str | None = None) -> Team:
        """An abbreviation left None keeps the recorded one."""
        current = self.team(team_id)
        fields = self._team_fields(name, issuing_body, superior_body, members,
                                   current.issuing_abbr if issuing_abbr is None else issuing_abbr,
                                   current.superior_abbr if superior_abbr is None else superior_abbr)
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "team.updated", team_id, fields)
        return self.team(team_id)
