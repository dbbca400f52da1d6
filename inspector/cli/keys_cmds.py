"""`inspector keys …`: how this laptop's data is protected, and recovery when a key is lost."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from typing import Any

from inspector.cli.common import CliError, print_json, terminal_prompt, unlocker
from inspector.keys import (
    KEY_FILE,
    DataKeys,
    KeyFile,
    OsKeyStore,
    Unlocked,
    Unlocker,
    add_passphrase_slot,
    add_recovery_slot,
    format_recovery,
    recovery_sheet,
    reprotect,
    unlock_with_recovery,
)
from inspector.paths import resolve_data_dir

NEW_PASSPHRASE_ENV = "INSPECTOR_NEW_PASSPHRASE"
_KINDS = {"keyring": "kho khóa của hệ điều hành", "passphrase": "mật khẩu", "recovery": "khóa khôi phục"}


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    keys = sub.add_parser("keys", parents=[common], help="khóa mã hóa dữ liệu trên máy này")
    ksub = keys.add_subparsers(dest="keys_command", metavar="LỆNH", required=True)
    st = ksub.add_parser("status", parents=[common], help="dữ liệu đang được bảo vệ bằng gì")
    st.add_argument("--json", action="store_true", help="in dạng JSON")
    st.set_defaults(handler=_status)
    rc = ksub.add_parser("recover", parents=[common],
                         help="mở dữ liệu bằng khóa khôi phục rồi bảo vệ lại (mất mật khẩu, đổi tài khoản máy)")
    rc.add_argument("--passphrase", action="store_true",
                    help="bảo vệ lại bằng mật khẩu mới (mặc định: kho khóa của hệ điều hành nếu có)")
    rc.set_defaults(handler=_recover)
    pw = ksub.add_parser("passphrase", parents=[common],
                         help="đặt hoặc đổi mật khẩu bảo vệ dữ liệu (hỏi trong cửa sổ dòng lệnh hoặc lấy từ"
                              f" {NEW_PASSPHRASE_ENV})")
    pw.set_defaults(handler=_passphrase)
    nr = ksub.add_parser("new-recovery-key", parents=[common],
                         help="tạo khóa khôi phục mới (khóa cũ hết hiệu lực); hiện một lần để in")
    nr.set_defaults(handler=_new_recovery)


def _key_file(args: argparse.Namespace) -> tuple[Any, KeyFile]:
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    key_file = KeyFile.load(data_dir)
    if key_file is None:
        raise CliError(f"Lỗi: thư mục {data_dir} chưa có dữ liệu được mã hóa (không có tệp {KEY_FILE}).")
    return data_dir, key_file


def _status(args: argparse.Namespace) -> int:
    data_dir, key_file = _key_file(args)
    kinds = key_file.kinds()
    if args.json:
        print_json({"data_dir": str(data_dir), "encrypted": True, "protected_by": kinds})
    else:
        print(f"Dữ liệu trong {data_dir} được mã hóa (SQLCipher, kho minh chứng mã hóa từng tệp).")
        print("Khóa dữ liệu được giữ bằng: " + ", ".join(_KINDS.get(k, k) for k in kinds) + ".")
    return 0


def _secret(prompt_text: str) -> str:
    value = terminal_prompt(prompt_text, False)
    if not value:
        raise CliError("Lỗi: cần nhập khóa khôi phục (hoặc đặt biến INSPECTOR_RECOVERY_KEY).")
    return value


def _recover(args: argparse.Namespace) -> int:
    data_dir, key_file = _key_file(args)
    who = unlocker()
    master = unlock_with_recovery(key_file, who.recovery or _secret("Nhập khóa khôi phục"))
    passphrase: str | None = None
    if args.passphrase or not OsKeyStore().available():
        passphrase = who.passphrase or terminal_prompt("Đặt mật khẩu mới bảo vệ dữ liệu", True)
        if not passphrase:
            raise CliError("Lỗi: cần mật khẩu mới (nhập trong cửa sổ dòng lệnh hoặc đặt INSPECTOR_PASSPHRASE);"
                           " chưa có gì thay đổi.")
    unlocked = Unlocked(DataKeys.from_master(master), master, key_file)
    how = _KINDS[reprotect(data_dir, unlocked, passphrase=passphrase)]
    print(f"Đã mở lại dữ liệu bằng khóa khôi phục; từ nay dữ liệu được bảo vệ bằng {how}."
          " Khóa khôi phục cũ vẫn dùng được.")
    return 0


def _passphrase(args: argparse.Namespace) -> int:
    data_dir, key_file = _key_file(args)
    who = unlocker()
    unlocked = Unlocker(prompt=who.prompt, recovery=who.recovery).unlock(data_dir)  # the current secret
    assert unlocked is not None
    new = os.environ.get(NEW_PASSPHRASE_ENV) or terminal_prompt("Mật khẩu mới", True)
    if not new:
        raise CliError("Lỗi: cần mật khẩu mới (nhập trong cửa sổ dòng lệnh hoặc đặt biến"
                       f" {NEW_PASSPHRASE_ENV}); chưa có gì thay đổi.")
    add_passphrase_slot(key_file, unlocked.master, new)
    key_file.save(data_dir)
    print("Đã đặt mật khẩu mới cho dữ liệu trên máy này.")
    return 0


def _new_recovery(args: argparse.Namespace) -> int:
    data_dir, key_file = _key_file(args)
    unlocked = unlocker().unlock(data_dir)
    assert unlocked is not None
    raw = secrets.token_bytes(20)
    add_recovery_slot(key_file, unlocked.master, raw)
    key_file.save(data_dir)
    print(recovery_sheet(data_dir, format_recovery(raw)), file=sys.stderr)
    print("Đã tạo khóa khôi phục mới; khóa cũ không còn mở được dữ liệu.")
    return 0
