"""What an enrolled device may write: checked for every new event before the server stores it.

A valid signature only proves which device sent an event; these rules bound what that device
may claim (docs/sync-protocol.md, "What a device may write"):

* **Time** (`wire.check_times`). An event's hybrid clock and its wall time must lie between
  2020-01-01 and the server's time plus `wire.MAX_CLOCK_AHEAD_S`. A laptop whose clock runs
  ahead is told to fix it; its changes stay on the laptop and go in once real time reaches them.
* **Author.** The author of an event is the enrolled person of the device whose chain holds it,
  or (with one of the names that person used) another enrolled person of the same team.
* **Team.** Events of an inspection (and edits of an inspection team) come only from devices of
  the team that created it, or from the device that created it. A correction may supersede only
  such an inspection.
Refusals other than time are 403 with a reason; the refused events are quarantined for the office.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace

from inspector.central.errors import ApiError
from inspector.central.schema import (
    DeviceRecord,
    device_record,
    owner_of,
    person_names,
    remember_name,
    set_owner,
    set_person,
    team_people,
)
from inspector.errors import UserError
from inspector.store.events import Event
from inspector.sync.merge import INSPECTION_SCOPED, chain_head, inspection_of
from inspector.sync.wire import EventBatch


class Forbidden(Exception):
    """A new event the sending device may not write. Nothing of the batch is stored."""

    def __init__(self, event: Event, cause: str, error: UserError) -> None:
        self.event, self.cause, self.error = event, cause, error
        super().__init__(error.render())

    def api_error(self) -> ApiError:
        return ApiError(403, "forbidden", self.error, extra={
            "device": self.event.device_id, "epoch": self.event.epoch, "seq": self.event.seq,
            "cause": self.cause})


def new_events(conn: sqlite3.Connection, batch: EventBatch) -> list[Event]:
    """The events of a batch beyond what the server holds of each chain (duplicates left out)."""
    out: list[Event] = []
    for r in batch.ranges:
        seq = chain_head(conn, r.chain)[0]
        out += [e for e in r.events if e.seq > seq]
    return out


@dataclass
class WritePolicy:
    """Checks authorship and team scope of a batch's new events, inside the push transaction
    (so what it records — names used, owners of new inspections — commits with the events)."""

    conn: sqlite3.Connection
    server_id: str
    now: str
    write: bool = True  # False: a dry run (a bundle checked before its blobs are stored)
    _devices: dict[str, DeviceRecord] = field(default_factory=dict)
    _created: dict[str, tuple[str, str]] = field(default_factory=dict)  # entity → (device, team) in batch
    _entities: dict[str, str] = field(default_factory=dict)  # entity → inspection, in this batch
    _names: set[tuple[str, str]] = field(default_factory=set)  # (person, name) recorded in this batch

    def device(self, device_id: str) -> DeviceRecord:
        record = self._devices.get(device_id) or device_record(self.conn, device_id)
        if record is None:  # verify_heads already refused chains of unknown devices
            raise ValueError(f"unknown device {device_id}")
        self._devices[device_id] = record
        return record

    def check(self, events: list[Event]) -> None:
        mine = [e for e in events if e.device_id != self.server_id]
        for e in mine:
            team = self.device(e.device_id).team
            if e.type in ("inspection.created", "team.created"):
                self._created.setdefault(e.entity_id, (e.device_id, team))
            if e.type.startswith("inspection."):
                self._entities[e.entity_id] = e.entity_id
            elif isinstance(e.payload.get("inspection_id"), str):
                self._entities[e.entity_id] = e.payload["inspection_id"]
        for e in mine:
            self._check_author(e)
            self._check_team(e)

    def record_owners(self) -> None:
        for entity, (device_id, team) in self._created.items():
            kind = "inspection" if self._entities.get(entity) == entity else "team"
            set_owner(self.conn, entity, kind, device_id, team)

    # -- authorship --------------------------------------------------------------------------
    def _check_author(self, e: Event) -> None:
        device = self.device(e.device_id)
        if device.person_id is None:  # enrolled before persons were: its first author becomes it
            if self.write:
                set_person(self.conn, device.device_id, e.author_id, e.author_name)
            device = self._devices[device.device_id] = replace(device, person_id=e.author_id,
                                                               person_name=e.author_name)
        if e.author_id == device.person_id:
            if self.write and (e.author_id, e.author_name) not in self._names:
                remember_name(self.conn, e.author_id, e.author_name, device.device_id, self.now)
                self._names.add((e.author_id, e.author_name))
            return
        if e.author_id in team_people(self.conn, device.team) and e.author_name in person_names(
                self.conn, e.author_id):
            return
        raise Forbidden(e, "author", UserError(
            "Sự kiện số {seq} của thiết bị {device}… ghi người thực hiện là “{name}”, không phải người đã"
            " đăng ký với thiết bị này hay thành viên của đoàn. Máy chủ không nhận; thay đổi được giữ lại để"
            " văn phòng trung tâm xem xét.",
            hint="Kiểm tra tên người dùng trong Cài đặt của máy; liên hệ văn phòng trung tâm.",
            seq=e.seq, device=e.device_id[:12], name=e.author_name[:80]))

    # -- team scope --------------------------------------------------------------------------
    def _owner(self, entity_id: str, created_type: str) -> tuple[str, str] | None:
        found = owner_of(self.conn, entity_id) or self._created.get(entity_id)
        if found is not None:
            return found
        row = self.conn.execute("SELECT device_id FROM events WHERE entity_id = ? AND type = ? LIMIT 1",
                                (entity_id, created_type)).fetchone()
        if row is None:
            return None
        creator = device_record(self.conn, str(row[0]))
        return (str(row[0]), creator.team if creator else "")

    def _allowed(self, e: Event, owner: tuple[str, str] | None) -> bool:
        return owner is None or owner[0] == e.device_id or owner[1] == self.device(e.device_id).team

    def _check_team(self, e: Event) -> None:
        kind = e.type.split(".", 1)[0]
        if kind == "team" and e.type != "team.created":
            if not self._allowed(e, self._owner(e.entity_id, "team.created")):
                raise self._foreign(e, "đoàn kiểm tra")
            return
        if kind not in INSPECTION_SCOPED:
            return
        inspection = self._entities.get(e.entity_id) or inspection_of(self.conn, e)
        if inspection is None:
            return  # refers to nothing the server knows: the projection refuses it (422)
        if e.type == "inspection.created":
            target = e.payload.get("supersedes")
            if isinstance(target, str) and not self._allowed(e, self._owner(target, "inspection.created")):
                raise self._foreign(e, "đợt kiểm tra")
            return
        if not self._allowed(e, self._owner(inspection, "inspection.created")):
            raise self._foreign(e, "đợt kiểm tra")

    def _foreign(self, e: Event, what: str) -> Forbidden:
        return Forbidden(e, "team", UserError(
            "Thiết bị {device}… không thuộc đoàn đã lập {what} này nên không được ghi vào đó (sự kiện số {seq})."
            " Máy chủ không nhận; thay đổi được giữ lại để văn phòng trung tâm xem xét.",
            hint="Chỉ các thiết bị của đoàn kiểm tra đã lập đợt kiểm tra mới ghi nhận được vào đợt đó.",
            device=e.device_id[:12], what=what, seq=e.seq))
