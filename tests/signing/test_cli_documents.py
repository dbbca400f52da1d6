"""The command line an office scripts: `document issue` with the PIN from an environment variable
(never an argument), the same checks as the app (exit 1 with a clear message on a mismatch),
`document review|cert|tokens`, `verify` with its three verdicts and exit codes 0/1/4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from inspector.cli import main
from inspector.workspace import Workspace
from tests.signing.conftest import Token
from tests.signing.pki import PASSPHRASE, SECOND_SIGNER_NAME, SIGNER_NAME, Pki, make_signer
from tests.signing.test_issue_documents import REASON, recorded


@pytest.fixture
def data(tmp_path: Path) -> tuple[list[str], str]:
    with Workspace.open(tmp_path / "data") as ws:
        inspection_id = recorded(ws.services)
    return ["--data-dir", str(tmp_path / "data")], inspection_id


@pytest.fixture
def trust(tmp_path: Path, pki: Pki) -> Path:
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "root.pem").write_bytes(pki.root.cert.public_bytes(Encoding.PEM))
    return folder


def test_issue_with_pin_env_then_verify_and_export(data: tuple[list[str], str], p12_path: Path, trust: Path,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    args, inspection_id = data
    out = tmp_path / "bien-ban.pdf"
    monkeypatch.setenv("MAT_KHAU_KY", PASSPHRASE)
    assert main(["document", "issue", inspection_id, "--doc", "minutes", "--as", "leader", "--p12", str(p12_path),
                 "--pin-env", "MAT_KHAU_KY", "-o", str(out), *args]) == 0
    printed = capsys.readouterr().out
    assert f"bằng chứng thư của {SIGNER_NAME}" in printed and "niêm phong" in printed and PASSPHRASE not in printed
    assert out.read_bytes().startswith(b"%PDF")
    assert main(["verify", str(out), "--trust", str(trust), *args]) == 0
    text = capsys.readouterr().out
    assert "HỢP LỆ VÀ TIN CẬY" in text and "đã niêm phong" in text and "Tin cậy: có" in text
    assert main(["verify", str(out), *args]) == 4  # no trust folder: intact, trust not checked
    assert "NGUYÊN VẸN NHƯNG CHƯA XÁC NHẬN ĐƯỢC ĐỘ TIN CẬY" in capsys.readouterr().out
    tampered = tmp_path / "sua.pdf"
    raw = bytearray(out.read_bytes())
    raw[len(raw) // 2] ^= 0x20
    tampered.write_bytes(bytes(raw))
    assert main(["verify", str(tampered), "--trust", str(trust), *args]) == 1
    assert "KHÔNG HỢP LỆ HOẶC ĐÃ BỊ SỬA ĐỔI" in capsys.readouterr().out
    assert main(["verify", str(out), "--json", "--trust", str(trust), *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "valid_trusted" and report["signatures"][0]["verdict_label"] == "Hợp lệ và tin cậy"
    exported = tmp_path / "xuat.pdf"
    assert main(["inspection", "export", inspection_id, "--doc", "minutes", "-o", str(exported), *args]) == 0
    assert exported.read_bytes() == out.read_bytes()


def test_mismatch_exits_1_and_an_override_is_shown_by_verify(data: tuple[list[str], str], second_p12_path: Path,
                                                              trust: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    args, inspection_id = data
    out = tmp_path / "bien-ban.pdf"
    monkeypatch.setenv("PW", PASSPHRASE)
    base = ["document", "issue", inspection_id, "--doc", "minutes", "--as", "leader", "--p12", str(second_p12_path),
            "--pin-env", "PW", "-o", str(out), *args]
    assert main(base) == 1
    err = capsys.readouterr().err
    assert SECOND_SIGNER_NAME in err and SIGNER_NAME in err and "Traceback" not in err and not out.exists()
    assert main([*base, "--override-reason", REASON]) == 0
    assert "Ký thay" in capsys.readouterr().out
    assert main(["verify", str(out), "--trust", str(trust), *args]) == 0
    text = capsys.readouterr().out
    assert f"ký bằng chứng thư của {SECOND_SIGNER_NAME}, không phải của {SIGNER_NAME}" in text and REASON in text


def test_unit_rep_signs_after_the_leader_and_not_before(data: tuple[list[str], str], p12_path: Path, pki: Pki,
                                                         trust: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    args, inspection_id = data
    rep = tmp_path / "dai-dien.p12"
    rep.write_bytes(make_signer(pki, "Phạm Văn Bình").pkcs12(PASSPHRASE))
    monkeypatch.setenv("PW", PASSPHRASE)
    rep_cmd = ["document", "issue", inspection_id, "--doc", "minutes", "--as", "unit_rep", "--p12", str(rep),
               "--pin-env", "PW", "-o", str(tmp_path / "b.pdf"), *args]
    assert main(rep_cmd) == 1
    assert "Trưởng đoàn ký trước" in capsys.readouterr().err
    assert main(["document", "issue", inspection_id, "--doc", "minutes", "--as", "leader", "--p12", str(p12_path),
                 "--pin-env", "PW", "-o", str(tmp_path / "a.pdf"), *args]) == 0
    assert main(rep_cmd) == 0
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "b.pdf"), "--trust", str(trust), "--json", *args]) == 0
    signers = [s["signer"] for s in json.loads(capsys.readouterr().out)["signatures"]]
    assert signers == [SIGNER_NAME, "Phạm Văn Bình"]


def test_token_by_slot_review_cert_and_tokens(data: tuple[list[str], str], softhsm_token: Token, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    args, inspection_id = data
    assert main(["document", "tokens", "--pkcs11", softhsm_token.module, "--json", *args]) == 0
    (module,) = json.loads(capsys.readouterr().out)
    (token,) = module["tokens"]
    slot = str(token["slot"])
    assert main(["document", "cert", "--pkcs11", softhsm_token.module, "--slot", slot, *args]) == 0  # no PIN needed
    assert f"Người được cấp: {SIGNER_NAME}" in capsys.readouterr().out
    assert main(["document", "review", inspection_id, "--doc", "minutes", "--as", "leader", "--pkcs11",
                 softhsm_token.module, "--slot", slot, *args]) == 0
    reviewed = capsys.readouterr().out
    assert f"chứng thư của {SIGNER_NAME} — dùng được" in reviewed and "Sẵn sàng để ký." in reviewed
    monkeypatch.setenv("PIN_TOKEN", softhsm_token.pin)
    out = tmp_path / "token.pdf"
    assert main(["document", "issue", inspection_id, "--doc", "minutes", "--as", "leader", "--pkcs11",
                 softhsm_token.module, "--slot", slot, "--pin-env", "PIN_TOKEN", "-o", str(out), *args]) == 0
    assert out.exists()


def test_the_pin_is_never_an_argument_and_no_terminal_means_a_clear_error(
        data: tuple[list[str], str], p12_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    args, inspection_id = data
    base = ["document", "issue", inspection_id, "--doc", "minutes", "--as", "leader", "--p12", str(p12_path),
            "-o", str(tmp_path / "x.pdf"), *args]
    with pytest.raises(SystemExit) as usage:
        main([*base, "--pin", PASSPHRASE])
    assert usage.value.code == 2
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(base) == 1
    assert "--pin-env" in capsys.readouterr().err
    assert main([*base, "--pin-env", "KHONG_CO_BIEN_NAY"]) == 1
    assert "KHONG_CO_BIEN_NAY chưa được đặt" in capsys.readouterr().err
