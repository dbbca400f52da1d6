"""Issue 11, the office's registry: units and people are reference data of the central office.

A unit or person a laptop adds offline reaches the server as a proposal; the server matches it to
an existing entry (by code, or by normalised name and parent) or adds it once, and every
inspection ends up pointing at the one canonical entry — on the server and, after the next pull,
on the laptops too."""

from __future__ import annotations

from collections import Counter

import pytest

from inspector.central.storage.audit import verify_central_store
from inspector.demo import load_demo
from inspector.errors import UserError
from inspector.services.registry import RegistryService
from inspector.workspace import Workspace
from tests.sync.conftest import DeviceFactory
from tests.sync.harness import LiveServer


def _units(registry: RegistryService) -> Counter[str]:
    return Counter(u.name for u in registry.units())


def _inspection_units(ws_or_conn: object) -> set[str]:
    conn = ws_or_conn.store.conn  # type: ignore[attr-defined]
    return {r[0] for r in conn.execute("SELECT DISTINCT unit_id FROM inspections")}


def test_four_laptops_with_demo_data_give_one_registry(server: LiveServer, make_device: DeviceFactory) -> None:
    laptops = [make_device(f"laptop-{n}") for n in range(4)]
    for ws in laptops:
        server.enroll(ws)
        load_demo(ws.services, inspections=3, subjects=2, photos=0)
    one_laptop = _units(laptops[0].services.registry)
    assert one_laptop["Ủy ban nhân dân phường Long Biên"] == 1
    for ws in laptops:
        ws.services.sync.sync()
    central = server.call(lambda c: _units(RegistryService(c.ctx)))
    assert central == one_laptop, central - one_laptop
    canonical = server.call(lambda c: {u.id for u in RegistryService(c.ctx).units()})
    used = server.call(lambda c: _inspection_units(c))
    assert len(used) == 3 and used <= canonical  # 12 inspections on 3 units, all canonical
    people = server.call(lambda c: Counter(p.full_name for p in RegistryService(c.ctx).people()))
    assert people == Counter(p.full_name for p in laptops[0].services.registry.people())
    for ws in laptops:
        ws.services.sync.sync()  # pull the registry: proposals merged into the canonical entries
        assert _units(ws.services.registry) == one_laptop
        assert _inspection_units(ws) == used
        report = ws.services.verify_events()
        assert report.ok, report.projection_problems
    report = server.call(lambda c: verify_central_store(c.store))
    assert report.ok, report.chain_problems + report.projection_problems


def test_a_proposal_matches_by_code_or_is_added_once(server: LiveServer, make_device: DeviceFactory) -> None:
    first, second = make_device("first"), make_device("second")
    for ws in (first, second):
        server.enroll(ws)
    city = first.services.registry.add_unit("Thành phố Hà Nội", "city", code="HN")
    first.services.sync.sync()
    second.services.sync.sync()  # the city is now reference data on both laptops
    canonical_city = next(u for u in second.services.registry.units() if u.name == "Thành phố Hà Nội")
    assert canonical_city.id == city.id
    first.services.registry.add_unit("Phường Mới", "ward", parent_id=city.id)  # both propose it, offline
    second.services.registry.add_unit("phường  mới", "ward", parent_id=city.id)
    other = second.services.registry.add_unit("TP. Hà Nội (cũ)", "city", code="hn")  # the city's code
    first.services.sync.sync()
    second.services.sync.sync()
    first.services.sync.sync()
    expected = ["Phường Mới", "Thành phố Hà Nội"]
    assert server.call(lambda c: sorted(u.name for u in RegistryService(c.ctx).units())) == expected
    for ws in (first, second):
        assert sorted(u.name for u in ws.services.registry.units()) == expected
    assert second.services.registry.unit(other.id).id == city.id  # the proposal resolves to the city


def test_a_laptop_cannot_edit_central_reference_data(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    unit = ws.services.registry.add_unit("Thành phố Hà Nội", "city", code="HN")
    person = ws.services.registry.add_person("Nguyễn Văn An", position="Chuyên viên", unit_id=unit.id)
    ws.services.sync.sync()
    with pytest.raises(UserError, match="văn phòng trung tâm"):
        ws.services.registry.update_unit(unit.id, name="Hà Nội mới", unit_type="city")
    with pytest.raises(UserError, match="văn phòng trung tâm"):
        ws.services.registry.update_person(person.id, full_name="Nguyễn Văn Bình")
    assert ws.services.registry.unit(unit.id).name == "Thành phố Hà Nội"


def test_laptops_never_see_another_laptops_duplicate(server: LiveServer, make_device: DeviceFactory) -> None:
    a, b = make_device("a"), make_device("b")
    for ws in (a, b):
        server.enroll(ws)
        ws.services.registry.add_unit("Phường Long Biên", "ward")
    a.services.sync.sync()
    b.services.sync.sync()
    a.services.sync.sync()
    for ws in (a, b):
        assert [u.name for u in ws.services.registry.units()] == ["Phường Long Biên"]
    assert isinstance(a, Workspace)
