"""The signing child process (`inspector.worker`) as the app uses it: documents rendered and signed
there with a PKCS#12 file and a SoftHSM2 token, refusals that read exactly as inline, a child killed
during or between calls, and no process left once the worker is shut down."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.errors import BugError, Problem, UserError, ValidationError
from inspector.services.documents import Pkcs11Credential, Pkcs12Credential, SignerPlan
from inspector.signing import PinError, Verdict
from inspector.worker import STOPPED_MESSAGE, RemoteTraceback, Worker, WorkerStopped
from inspector.workspace import Services, Workspace
from tests.signing.pki import PASSPHRASE, Pki
from tests.signing.test_issue_documents import drawn, leader_plan, recorded


@pytest.fixture
def child() -> Iterator[Worker]:
    worker = Worker.child()
    yield worker
    worker.shutdown()


def _open(path: Path, worker: Worker) -> Workspace:
    return Workspace.open(path, worker=worker)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _nothing_recorded(s: Services, inspection_id: str, events: int, blobs: set[str]) -> None:
    assert s.documents.documents(inspection_id) == []
    assert s.ctx.store.scalar("SELECT count(*) FROM events") == events
    assert set(s.ctx.vault.stored_names()) == blobs  # not even an unreferenced revision in the vault
    assert s.inspections.get(inspection_id).status == "recorded"


def test_pkcs12_and_softhsm_sign_in_the_child(tmp_path: Path, child: Worker, pki: Pki, p12_path: Path,
                                              softhsm_token) -> None:  # type: ignore[no-untyped-def]
    with _open(tmp_path / "data", child) as ws:
        s = ws.services
        minutes = recorded(s)
        doc = s.documents.issue(minutes, "minutes", [SignerPlan("unit_rep", drawn_png=drawn()),
                                                     leader_plan(p12_path, drawn_png=drawn())])
        pid = child.pid
        assert pid is not None and pid != os.getpid()  # it was signed over there
        assert doc.status == "signed" and s.inspections.get(minutes).status == "sealed"
        assert s.documents.check_file(s.documents.file_bytes(doc.id), [pki.root.cert]).verdict is Verdict.VALID_TRUSTED
        token = Pkcs11Credential(softhsm_token.module, softhsm_token.label, softhsm_token.pin)
        other = s.documents.issue(_fresh(s), "minutes", [SignerPlan("leader", credential=token)])
        assert child.pid == pid  # one persistent process, a token session per call
        (signature,) = other.signatures
        assert signature.method == "pkcs11"
        check = s.documents.check_file(s.documents.file_bytes(other.id), [pki.root.cert])
        assert check.verdict is Verdict.VALID_TRUSTED
        assert s.verify_events().ok


def _fresh(s: Services) -> str:
    """An inspection ready to sign: the first one made by `recorded`, the next ones like it."""
    from tests.benchmarks.bench_ui import _recorded_like

    found = s.inspections.find()
    return _recorded_like(s, found[0].id) if found else recorded(s)


def _refusal(s: Services, plans: list[SignerPlan]) -> UserError:
    inspection_id = _fresh(s)
    events = s.ctx.store.scalar("SELECT count(*) FROM events")
    blobs = set(s.ctx.vault.stored_names())
    with pytest.raises(UserError) as info:
        s.documents.issue(inspection_id, "minutes", plans)
    _nothing_recorded(s, inspection_id, events, blobs)
    return info.value


def _good_login(token) -> None:  # type: ignore[no-untyped-def]
    """A right PIN resets the token's count of wrong ones."""
    import pkcs11

    with pkcs11.lib(token.module).get_token(token_label=token.label).open(user_pin=token.pin):
        pass


def test_refusals_from_the_child_read_exactly_as_inline(tmp_path: Path, child: Worker, p12_path: Path,
                                                        second_p12_path: Path, softhsm_token) -> None:  # type: ignore[no-untyped-def]
    bad_pin = Pkcs11Credential(softhsm_token.module, softhsm_token.label, "000000")
    cases = [
        [SignerPlan("leader", credential=bad_pin)],                                   # wrong PIN
        [SignerPlan("leader", credential=Pkcs12Credential(p12_path, "sai mật khẩu"))],  # wrong password
        [SignerPlan("leader", credential=Pkcs12Credential(second_p12_path, PASSPHRASE))],  # not the leader's
    ]
    with _open(tmp_path / "inline", Worker.inline()) as here, _open(tmp_path / "child", child) as there:
        for plans in cases:
            inline = _refusal(here.services, plans)
            _good_login(softhsm_token)  # the token counts wrong PINs: the same state for both
            remote = _refusal(there.services, plans)
            _good_login(softhsm_token)
            assert child.pid is not None
            assert type(remote) is type(inline)
            assert remote.render() == inline.render() and remote.hint() == inline.hint()
            assert (remote.template, remote.hint_template, remote.params) == (
                inline.template, inline.hint_template, inline.params)
            assert not isinstance(remote, WorkerStopped)
        pin = _refusal(there.services, cases[0])
        assert isinstance(pin, PinError) and not pin.locked and "Mã PIN không đúng" in pin.render()
        assert "Caps Lock" in pin.hint()


def test_a_child_killed_while_signing_leaves_nothing_and_the_next_issue_works(
        tmp_path: Path, child: Worker, p12_path: Path) -> None:
    with _open(tmp_path / "data", child) as ws:
        s = ws.services
        inspection_id = recorded(s)
        child.call(int, "1")  # started and warm, so the kill lands in the rendering or the signing
        first = child.pid
        assert first is not None
        events = s.ctx.store.scalar("SELECT count(*) FROM events")
        blobs = set(s.ctx.vault.stored_names())
        failures: list[BaseException] = []

        def kill_when_busy() -> None:
            _wait_until(lambda: child.busy)
            time.sleep(0.05)
            os.kill(first, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        try:
            s.documents.prepare_issue(inspection_id, "minutes", [leader_plan(p12_path)])
        except BaseException as exc:
            failures.append(exc)
        killer.join(30)
        (failure,) = failures
        assert isinstance(failure, WorkerStopped)
        assert failure.message() == STOPPED_MESSAGE and "chưa được ký" in failure.render()
        assert "Thử ký lại" in failure.hint()
        _nothing_recorded(s, inspection_id, events, blobs)
        doc = s.documents.issue(inspection_id, "minutes", [leader_plan(p12_path)])
        assert doc.status == "signed" and child.pid not in (None, first)
        assert s.verify_events().ok


def test_a_child_killed_between_calls_is_replaced_before_the_next(tmp_path: Path, child: Worker,
                                                                   p12_path: Path) -> None:
    with _open(tmp_path / "data", child) as ws:
        s = ws.services
        s.documents.issue(recorded(s), "minutes", [leader_plan(p12_path)])
        first = child.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        _wait_until(lambda: child.pid is None)
        doc = s.documents.issue(_fresh(s), "minutes", [leader_plan(p12_path)])
        assert doc.status == "signed" and child.pid not in (None, first)


def test_an_unexpected_error_in_the_child_carries_its_traceback(child: Worker) -> None:
    with pytest.raises(ValueError, match="invalid literal") as info:
        child.call(int, "không phải số")
    assert isinstance(info.value.__cause__, RemoteTraceback)
    assert "ValueError" in str(info.value.__cause__)


def test_shutdown_leaves_no_process(child: Worker) -> None:
    child.warm_up()
    _wait_until(lambda: child.pid is not None)
    pid = child.pid
    assert pid is not None
    child.shutdown()
    assert _gone(pid) and child.pid is None
    child.shutdown()  # idempotent
    with pytest.raises(BugError):
        child.call(int, "1")


def test_shutdown_during_warm_up_does_not_wait_for_it() -> None:
    worker = Worker.child()
    worker.warm_up()
    _wait_until(lambda: worker.pid is not None)
    pid = worker.pid
    started = time.monotonic()
    worker.shutdown()
    assert time.monotonic() - started < 3
    assert pid is not None and _gone(pid)


def _raise(error: BaseException) -> None:
    raise error


@pytest.mark.parametrize("error", [
    UserError("Tệp “{file}” không đọc được.", hint="Chọn tệp khác.", file="biên bản {bản nháp}.pdf"),
    ValidationError("mau.json", [Problem("muc[2]", "thiếu {field}", {"field": "code"})]),
    PinError("Mã PIN không đúng. {tries}", hint="Nhập lại.", final_try=True, tries="Còn 1 lần thử."),
], ids=["braces-in-a-parameter", "validation", "pin"])
def test_every_kind_of_user_error_crosses_the_process_intact(child: Worker, error: UserError) -> None:
    with pytest.raises(UserError) as info:
        child.call(_raise, error)
    got = info.value
    assert type(got) is type(error) and got.render() == error.render()
    assert vars(got) == vars(error) and got.args == error.args
