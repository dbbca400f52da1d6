"""Opening an encrypted data directory from the app: a wrong passphrase is said and asked again
(nothing changes), a lost OS key store is overcome with the recovery key, after which the data is
protected again so the next start is ordinary. Real dialogs, driven as a user would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from inspector.keys import KeyFile, OsKeyStore, Unlocker
from inspector.workspace import Workspace
from tests.ui.helpers import type_text, when_modal
from ui.dialogs.unlock import InteractiveUnlock, SecretDialog

PASSPHRASE = "mật-khẩu-đúng-2026"


def _answer(texts: list[str], seen: list[str], recover: bool = False):  # type: ignore[no-untyped-def]
    """Fill the next SecretDialog with the next text (or ask for the recovery key)."""
    def act(dialog: QDialog) -> None:
        assert isinstance(dialog, SecretDialog)
        seen.append(dialog.problem.text())
        if recover and not texts:
            dialog._on_recover()
            return
        value = texts.pop(0)
        type_text(dialog.secret, value)
        if dialog.again is not None:
            type_text(dialog.again, value)
        dialog._on_ok()
        if texts or recover:
            when_modal(act)
    return act


def _open(data_dir: Path):  # type: ignore[no-untyped-def]
    def open_fn(unlocker: Unlocker) -> Workspace:
        return Workspace.open(data_dir, unlocker=unlocker)
    return open_fn


def test_a_wrong_passphrase_is_said_and_asked_again(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from inspector.i18n import Translator

    data = tmp_path / "data"
    Workspace.open(data, unlocker=Unlocker(passphrase=PASSPHRASE, prefer="passphrase")).close()
    before = (data / "inspector.keys").read_bytes()
    seen: list[str] = []
    when_modal(_answer(["sai-mat-khau-1", PASSPHRASE], seen))
    ws = InteractiveUnlock(Translator(), data).open_with(_open(data))
    assert isinstance(ws, Workspace)
    ws.close()
    assert seen[0] == "" and "Mật khẩu không đúng" in seen[1]
    assert (data / "inspector.keys").read_bytes() == before  # a wrong secret changed nothing


def test_a_lost_key_store_is_overcome_with_the_recovery_key(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from inspector.i18n import Translator

    data = tmp_path / "data"
    first = Workspace.open(data)  # protected by the (test) OS key store
    recovery = first.recovery_key
    first.close()
    assert recovery
    key_file = KeyFile.load(data)
    assert key_file is not None
    slot = key_file.slot("keyring")
    assert slot is not None
    OsKeyStore().delete(str(slot["account"]))  # the OS account was reinstalled: the key is gone
    with pytest.raises(Exception, match="kho khóa"):
        Workspace.open(data)

    seen: list[str] = []
    when_modal(_answer(["0000-0000", recovery], seen))  # a wrong recovery key first
    ws = InteractiveUnlock(Translator(), data).open_with(_open(data))
    assert isinstance(ws, Workspace)
    ws.close()
    assert any("không đúng" in text for text in seen)
    Workspace.open(data).close()  # protected again: opens with no question at all
    assert "INSPECTOR_RECOVERY_KEY" not in os.environ
