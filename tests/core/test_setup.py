"""What the first-run assistant and the preparation dialog read and save: identity from people,
issuing body, team, signing identity (where the key is, never a secret), a unit's earlier inspections."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from inspector.clock import FixedClock
from inspector.errors import UserError
from inspector.services.inspections import InspectionDraft, SubjectSpec
from inspector.services.registry import MemberSpec
from inspector.services.requirements import RequirementSpec
from inspector.services.settings import SigningChoice
from inspector.workspace import Services, Workspace

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SECRET = "Mật-khẩu-bí-mật 2026"


def make_pkcs12(path: Path, passphrase: str = SECRET) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn Hùng")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, None, serialization.BestAvailableEncryption(passphrase.encode())))
    return path


def test_identity_is_chosen_from_people_and_follows_the_person(data_dir: Path) -> None:
    with Workspace.open(data_dir) as ws:
        s = ws.services
        assert s.settings.first_run()
        unit = s.registry.add_unit("Ủy ban Kiểm tra Thành ủy Hà Nội", "party_committee")
        person = s.registry.add_person("Phạm Thị Thu", position="Chuyên viên", unit_id=unit.id)
        before = s.settings.identity()
        chosen = s.settings.choose_identity(person.id)
        assert (chosen.id, chosen.name, chosen.position, chosen.person_id) == (
            before.id, "Phạm Thị Thu", "Chuyên viên", person.id)
        assert s.ctx.identity == chosen, "the shared session carries it at once"
        s.registry.update_person(person.id, full_name="Phạm Thị Thu Hà", position="Phó Trưởng phòng",
                                 unit_id=unit.id)
        assert s.settings.identity().name == "Phạm Thị Thu Hà"
        other = s.registry.add_person("Lê Văn Nam")
        s.registry.update_person(other.id, full_name="Lê Văn Nam B")
        assert s.settings.identity().name == "Phạm Thị Thu Hà", "someone else's rename changes nothing"
        with pytest.raises(UserError, match="Không tìm thấy người"):
            s.settings.choose_identity("khong-co")
    with Workspace.open(data_dir) as ws:
        again = ws.services.settings.identity()
        assert (again.name, again.person_id) == ("Phạm Thị Thu Hà", person.id)
        # Typing another name by hand makes the identity nobody of the registry.
        renamed = ws.services.settings.set_identity("Người khác", "Chuyên viên")
        assert renamed.person_id is None


def test_issuing_body_team_and_state(services: Services) -> None:
    s = services
    state = s.settings.setup_state()
    assert not state.offered and not state.complete and state.issuing_body is None
    body = s.registry.add_unit("Ủy ban Kiểm tra Thành ủy Hà Nội", "party_committee")
    person = s.registry.add_person("Phạm Thị Thu", unit_id=body.id)
    team = s.registry.add_team("Đoàn kiểm tra số 2", members=[MemberSpec(person.id, "leader")])
    assert s.settings.choose_issuing_body(body.id) == body
    assert s.settings.choose_team(team.id) == team
    s.settings.choose_identity(person.id)
    state = s.settings.setup_state()
    assert state.issuing_body == body and state.team == team and state.complete
    assert s.settings.default_team_id() == team.id and s.settings.issuing_body() == body
    s.settings.mark_setup_offered()
    assert s.settings.setup_state().offered and not s.settings.first_run()
    with pytest.raises(UserError, match="Không tìm thấy đơn vị"):
        s.settings.choose_issuing_body("khong-co")
    with pytest.raises(UserError, match="Không tìm thấy đoàn"):
        s.settings.choose_team("khong-co")


def test_signing_identity_is_where_the_key_is_never_a_secret(services: Services, tmp_path: Path) -> None:
    s = services
    p12 = make_pkcs12(tmp_path / "chữ ký số.p12")
    saved = s.settings.choose_signing_identity(SigningChoice("pkcs12", str(p12)))
    assert saved == SigningChoice("pkcs12", str(p12), "chữ ký số.p12")
    assert s.settings.get("signing_identity") == {"kind": "pkcs12", "path": str(p12), "label": "chữ ký số.p12"}
    token = s.settings.choose_signing_identity(SigningChoice("pkcs11", SOFTHSM_MODULE, "Token Đoàn"))
    assert s.settings.get("signing_identity") == {"kind": "pkcs11", "module": SOFTHSM_MODULE, "label": "Token Đoàn"}
    assert s.settings.signing_identity() == token
    # The signing dialog offers what this person signed with last: the token, now.
    last = s.documents.last_signing_identity(s.settings.identity().name)
    assert last is not None and (last.kind, last.module, last.token_label) == ("pkcs11", SOFTHSM_MODULE, "Token Đoàn")
    everything = json.dumps(s.ctx.store.query("SELECT * FROM settings"), ensure_ascii=False)
    assert SECRET not in everything and "pin" not in everything.lower()

    not_p12 = tmp_path / "ghi-chu.p12"
    not_p12.write_text("đây không phải chứng thư", encoding="utf-8")
    refusals = [
        (SigningChoice("pkcs12", str(not_p12)), "không phải là tệp chứng thư số"),
        (SigningChoice("pkcs12", "chu-ky.p12"), "đường dẫn đầy đủ"),
        (SigningChoice("pkcs12", str(tmp_path / "khong-co.p12")), "Không tìm thấy tệp"),
        (SigningChoice("pkcs11", SOFTHSM_MODULE, ""), "Tên token"),
        (SigningChoice("pkcs11", "/khong/co/libtoken.so", "Token"), "Không tìm thấy tệp"),
        (SigningChoice("smartcard", SOFTHSM_MODULE, "x"), "không hợp lệ"),
        (SigningChoice("pkcs12", "/" + "a" * 2000), "quá dài"),
    ]
    for choice, message in refusals:
        with pytest.raises(UserError, match=message):
            s.settings.choose_signing_identity(choice)
    assert s.settings.signing_identity() == token, "a refusal changes nothing"
    assert s.settings.choose_signing_identity(None) is None and s.settings.signing_identity() is None


def _inspection(s: Services, unit_id: str, number: str, day: str) -> str:
    return s.inspections.create(InspectionDraft(
        decision_no=number, decision_date=day, unit_id=unit_id, checklist_id="ct24-mot-cua",
        subjects=[SubjectSpec("Tập thể", kind="collective")])).id


def test_a_units_earlier_inspections_and_their_open_requirements(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), step=timedelta(0))
    with Workspace.open(tmp_path / "data", clock=clock) as ws:
        s = ws.services
        ward = s.registry.add_unit("Phường Hoàn Kiếm", "ward")
        desk = s.registry.add_unit("Bộ phận một cửa phường Hoàn Kiếm", "desk", parent_id=ward.id)
        other = s.registry.add_unit("Phường Ba Đình", "ward")
        first = _inspection(s, ward.id, "1/QĐ", "2026-03-02")
        second = _inspection(s, desk.id, "2/QĐ", "2026-06-10")
        _inspection(s, other.id, "3/QĐ", "2026-07-01")
        current = _inspection(s, ward.id, "4/QĐ", "2026-11-19")
        overdue = s.requirements.add(first, RequirementSpec("Niêm yết thủ tục", "UBND phường", "2026-04-30"))
        s.requirements.add(first, RequirementSpec("Kiểm điểm", "UBND phường", "2026-12-31"))
        done = s.requirements.add(second, RequirementSpec("Đeo thẻ công chức", "Bộ phận một cửa", "2026-07-01"))
        s.requirements.set_status(done.id, "done")
        started = s.requirements.add(second, RequirementSpec("Trả hồ sơ đúng hạn", "Bộ phận một cửa", "2026-08-01"))
        s.requirements.set_status(started.id, "in_progress")

        history = s.requirements.unit_history(ward.id, excluding=current)
        assert [e.summary.id for e in history.inspections] == [second, first], "sub-units, newest first"
        assert history.today == "2026-11-20" and not history.more
        first_entry = history.inspections[1]
        assert [(p.requirement.content, p.overdue) for p in first_entry.pending] == [
            ("Niêm yết thủ tục", True), ("Kiểm điểm", False)]
        assert [p.requirement.content for p in history.inspections[0].pending] == ["Trả hồ sơ đúng hạn"]
        assert (history.pending_count, history.overdue_count) == (3, 2)
        assert overdue.id in {p.requirement.id for p in first_entry.pending}
        # A new inspection (nothing excluded) sees every inspection of the unit, itself not yet existing.
        assert len(s.requirements.unit_history(ward.id).inspections) == 3
        assert s.requirements.unit_history(other.id, excluding=None).pending_count == 0
        assert s.requirements.unit_history(desk.id).inspections[0].summary.id == second
