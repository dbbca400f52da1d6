"""The data key of a laptop's data directory, and the slots that protect it.

One random 256-bit master key per data directory. Three raw keys are derived from it with HKDF
(SQLCipher's database key, the vault's file key, the vault's file-name key), so no page, file or
name is encrypted under a key a person typed. The master key itself is kept in "slots" in
`inspector.keys` (JSON next to the database; wrapped keys, salts and KDF parameters only):

* `keyring`: the master key in the operating system's key store for this user (Windows
  Credential Manager, macOS Keychain, Secret Service) through `keyring`;
* `passphrase`: wrapped with AES-256-GCM under Argon2id(passphrase) (RFC 9106's second
  recommended setting: 64 MiB, 3 passes, 4 lanes), derived once per process by the caller;
* `recovery`: wrapped under a 160-bit recovery key shown once at set-up, which opens the data
  when the OS account (and with it the key store) or the passphrase is lost.

The key file is replaced atomically and durably; a wrong passphrase or recovery key fails the
AES-GCM tag, so nothing is ever opened (or changed) with a wrong key.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inspector.durable import write_bytes
from inspector.errors import UserError

KEY_FILE = "inspector.keys"
FORMAT = "inspector.keys"
KEYRING_SERVICE = "Inspector"
PASSPHRASE_ENV = "INSPECTOR_PASSPHRASE"
RECOVERY_ENV = "INSPECTOR_RECOVERY_KEY"
KEY_STORE_ENV = "INSPECTOR_KEY_STORE"  # "keyring" | "passphrase": how a new data directory is protected
MIN_PASSPHRASE = 8
ARGON2 = {"iterations": 3, "lanes": 4, "memory_cost": 64 * 1024}
_RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class KeyError_(UserError):
    """The data directory's key could not be obtained; nothing was opened or changed."""


class KeyMissingError(KeyError_):
    """The key is not where it was kept (the OS key store lost it, or no passphrase was given):
    only the recovery key opens the data now."""


class NoSecretGiven(KeyError_):
    """A passphrase was needed and none was given (the person cancelled, or no terminal)."""


class WrongSecretError(KeyError_):
    pass


@dataclass(frozen=True)
class DataKeys:
    """The raw keys a process uses; never written anywhere."""

    db: bytes
    vault: bytes
    names: bytes

    @classmethod
    def from_master(cls, master: bytes) -> DataKeys:
        return cls(_hkdf(master, b"inspector/sqlcipher/v1"), _hkdf(master, b"inspector/vault/v1"),
                   _hkdf(master, b"inspector/vault-names/v1"))

    def __repr__(self) -> str:  # keys never end up in a log or a crash report
        return "DataKeys(…)"


def _hkdf(key: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text, validate=True)


# -- recovery keys ------------------------------------------------------------------------------
def format_recovery(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def parse_recovery(text: str) -> bytes:
    cleaned = "".join(c for c in text.upper() if c.isalnum()).replace("0", "O").replace("1", "I").replace("8", "B")
    if len(cleaned) != 32 or any(c not in _RECOVERY_ALPHABET for c in cleaned):
        raise WrongSecretError("Khóa khôi phục không đúng định dạng (32 ký tự chữ và số, chia nhóm 4).",
                               hint="Nhập lại khóa khôi phục đúng như bản đã in khi thiết lập.")
    return base64.b32decode(cleaned)


def recovery_sheet(data_dir: Path, recovery_key: str) -> str:
    """The text to show once and print: what the recovery key opens and how to use it."""
    return "\n".join([
        "=" * 64,
        "KHÓA KHÔI PHỤC DỮ LIỆU INSPECTOR (chỉ hiện một lần — hãy in hoặc chép lại ngay)",
        f"Thư mục dữ liệu: {data_dir}",
        "",
        f"    {recovery_key}",
        "",
        "Dữ liệu trên máy được mã hóa. Khi mất mật khẩu hoặc tài khoản người dùng của máy,",
        "khóa này mở lại được dữ liệu: inspector keys recover (hoặc biến INSPECTOR_RECOVERY_KEY).",
        "Cất bản in ở nơi an toàn, tách khỏi máy tính. Ai có khóa này đọc được dữ liệu.",
        "=" * 64,
    ])


# -- slots --------------------------------------------------------------------------------------
def _aad(data_id: str, kind: str) -> bytes:
    return f"inspector.keys/v1|{data_id}|{kind}".encode()


def _wrap(kek: bytes, master: bytes, data_id: str, kind: str) -> dict[str, str]:
    nonce = os.urandom(12)
    return {"nonce": _b64(nonce), "wrapped": _b64(AESGCM(kek).encrypt(nonce, master, _aad(data_id, kind)))}


def _unwrap(kek: bytes, slot: dict[str, Any], data_id: str) -> bytes:
    return AESGCM(kek).decrypt(_unb64(slot["nonce"]), _unb64(slot["wrapped"]), _aad(data_id, slot["kind"]))


def passphrase_kek(passphrase: str, salt: bytes, params: dict[str, int] | None = None) -> bytes:
    p = params or ARGON2
    return Argon2id(salt=salt, length=32, iterations=p["iterations"], lanes=p["lanes"],
                    memory_cost=p["memory_cost"]).derive(passphrase.encode("utf-8"))


def recovery_kek(raw: bytes, salt: bytes) -> bytes:
    return _hkdf(raw, b"inspector/recovery-kek/v1", salt)


@dataclass
class KeyFile:
    data_id: str
    slots: list[dict[str, Any]] = field(default_factory=list)

    def slot(self, kind: str) -> dict[str, Any] | None:
        return next((s for s in self.slots if s.get("kind") == kind), None)

    def kinds(self) -> list[str]:
        return [str(s.get("kind")) for s in self.slots]

    def set_slot(self, slot: dict[str, Any]) -> None:
        self.slots = [s for s in self.slots if s.get("kind") != slot["kind"]] + [slot]

    def drop_slot(self, kind: str) -> None:
        self.slots = [s for s in self.slots if s.get("kind") != kind]

    @classmethod
    def load(cls, data_dir: Path) -> KeyFile | None:
        path = data_dir / KEY_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeyError_("Không đọc được tệp khóa {path}: {reason}.", hint="Kiểm tra quyền đọc thư mục dữ liệu.",
                            path=str(path), reason=exc.strerror or str(exc)) from exc
        try:
            doc = json.loads(raw)
            if doc.get("format") != FORMAT or doc.get("v") != 1 or not isinstance(doc.get("slots"), list):
                raise ValueError("unknown format")
            return cls(str(doc["data_id"]), [dict(s) for s in doc["slots"]])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyError_("Tệp khóa {path} bị hỏng; không mở được dữ liệu.",
                            hint="Khôi phục tệp này từ bản sao lưu, hoặc dùng bản sao lưu của cả thư mục dữ liệu.",
                            path=str(path)) from exc

    def save(self, data_dir: Path) -> None:
        doc = {"format": FORMAT, "v": 1, "data_id": self.data_id, "slots": self.slots,
               "note": "Khóa dữ liệu đã được mã hóa; tệp này không chứa dữ liệu kiểm tra."}
        write_bytes(data_dir / KEY_FILE, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))


# -- the OS key store ---------------------------------------------------------------------------
class OsKeyStore:
    """`keyring`, imported only when a data directory uses it (it costs start-up time)."""

    @staticmethod
    def needed_for(data_dir: Path) -> bool:
        """Whether opening `data_dir` may read the OS key store: its key file has a keyring slot, or
        there is none yet (new keys may go there). A passphrase-only directory never imports `keyring`."""
        try:
            key_file = KeyFile.load(data_dir)
        except KeyError_:
            return True  # unreadable: the unlock says why; warming up costs nothing then
        return key_file is None or key_file.slot("keyring") is not None

    @staticmethod
    def warm_up() -> None:
        """Import `keyring` and pick its backend (~0.1 s) while the caller does other start-up work."""
        with contextlib.suppress(Exception):
            import keyring

            keyring.get_keyring()

    def _backend(self) -> Any:
        import keyring
        import keyring.backends.fail

        backend = keyring.get_keyring()
        if isinstance(backend, keyring.backends.fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            return None
        return backend

    def available(self) -> bool:
        try:
            return self._backend() is not None
        except Exception:  # a broken backend is the same as none
            return False

    def get(self, account: str) -> bytes | None:
        backend = self._backend()
        if backend is None:
            return None
        try:
            text = backend.get_password(KEYRING_SERVICE, account)
            return None if text is None else _unb64(text)
        except Exception:
            return None

    def put(self, account: str, secret: bytes) -> None:
        backend = self._backend()
        if backend is None:
            raise KeyError_("Máy này không có kho khóa của hệ điều hành để giữ khóa dữ liệu.",
                            hint="Dùng mật khẩu để bảo vệ dữ liệu (đặt INSPECTOR_KEY_STORE=passphrase).")
        backend.set_password(KEYRING_SERVICE, account, _b64(secret))

    def delete(self, account: str) -> None:
        backend = self._backend()
        if backend is not None:
            with contextlib.suppress(Exception):
                backend.delete_password(KEYRING_SERVICE, account)


PassphrasePrompt = Callable[[str, bool], str | None]  # (why, confirm twice) -> passphrase or None


@dataclass
class Unlocked:
    keys: DataKeys
    master: bytes
    key_file: KeyFile
    recovery_key: str | None = None  # set only when the keys were just created: show it once


@dataclass
class Unlocker:
    """How this process obtains a data directory's key: OS key store, passphrase, recovery key.

    `prompt` asks a person (terminal, dialog); without one only the environment is used. The
    passphrase KDF runs once per unlock; pass the resulting keys on (threads, read pool) instead
    of unlocking again.
    """

    prompt: PassphrasePrompt | None = None
    passphrase: str | None = None
    recovery: str | None = None
    prefer: str | None = None  # for a new data directory: "keyring" or "passphrase"
    os_store: OsKeyStore = field(default_factory=OsKeyStore)

    @classmethod
    def from_environment(cls, prompt: PassphrasePrompt | None = None) -> Unlocker:
        return cls(prompt=prompt, passphrase=os.environ.get(PASSPHRASE_ENV) or None,
                   recovery=os.environ.get(RECOVERY_ENV) or None, prefer=os.environ.get(KEY_STORE_ENV) or None)

    def _ask(self, why: str, confirm: bool) -> str | None:
        if self.passphrase:
            return self.passphrase
        return self.prompt(why, confirm) if self.prompt else None

    # -- creating ------------------------------------------------------------------------------
    def create(self, data_dir: Path) -> Unlocked:
        """New keys for a data directory: a master key, its slots, and a recovery key (shown once)."""
        master = secrets.token_bytes(32)
        key_file = KeyFile(secrets.token_hex(16))
        use_keyring = self.prefer == "keyring" or (self.prefer != "passphrase" and not self.passphrase
                                                   and self.os_store.available())
        if use_keyring:
            account = f"data-key-{key_file.data_id}"
            self.os_store.put(account, master)
            key_file.set_slot({"kind": "keyring", "service": KEYRING_SERVICE, "account": account})
        else:
            passphrase = self._ask("Đặt mật khẩu bảo vệ dữ liệu trên máy này", True)
            if passphrase is None:
                raise KeyError_("Cần một mật khẩu để mã hóa dữ liệu trên máy này (máy không có kho khóa"
                                " của hệ điều hành).",
                                hint="Đặt biến INSPECTOR_PASSPHRASE, hoặc chạy lệnh trong cửa sổ dòng lệnh để"
                                     " nhập mật khẩu.")
            add_passphrase_slot(key_file, master, passphrase)
        recovery_raw = secrets.token_bytes(20)
        add_recovery_slot(key_file, master, recovery_raw)
        key_file.save(data_dir)
        return Unlocked(DataKeys.from_master(master), master, key_file, format_recovery(recovery_raw))

    # -- opening -------------------------------------------------------------------------------
    def unlock(self, data_dir: Path) -> Unlocked | None:
        """The keys of an existing data directory; None if it has no key file yet."""
        key_file = KeyFile.load(data_dir)
        if key_file is None:
            return None
        master = self._master(key_file)
        return Unlocked(DataKeys.from_master(master), master, key_file)

    def open_or_create(self, data_dir: Path) -> Unlocked:
        return self.unlock(data_dir) or self.create(data_dir)

    def _master(self, key_file: KeyFile) -> bytes:
        if self.recovery:
            return unlock_with_recovery(key_file, self.recovery)
        keyring_slot = key_file.slot("keyring")
        if keyring_slot is not None:
            master = self.os_store.get(str(keyring_slot.get("account")))
            if master is not None and len(master) == 32:
                return master
        slot = key_file.slot("passphrase")
        if slot is not None:
            passphrase = self._ask("Nhập mật khẩu dữ liệu", False)
            if passphrase is None:
                raise NoSecretGiven("Dữ liệu trên máy này được bảo vệ bằng mật khẩu; chưa có mật khẩu.",
                                hint="Đặt biến INSPECTOR_PASSPHRASE, hoặc chạy lệnh trong cửa sổ dòng lệnh để"
                                     " nhập mật khẩu.")
            return unlock_with_passphrase(key_file, passphrase)
        raise KeyMissingError("Không tìm thấy khóa dữ liệu trong kho khóa của hệ điều hành (có thể tài khoản"
                        " người dùng đã đổi hoặc máy đã cài lại).",
                        hint="Dùng khóa khôi phục đã in khi thiết lập: inspector keys recover"
                             " (hoặc đặt biến INSPECTOR_RECOVERY_KEY).")


def add_passphrase_slot(key_file: KeyFile, master: bytes, passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyError_("Mật khẩu quá ngắn (cần ít nhất {n} ký tự).", hint="Chọn mật khẩu dài hơn.",
                        n=MIN_PASSPHRASE)
    salt = os.urandom(16)
    key_file.set_slot({"kind": "passphrase", "kdf": "argon2id", **ARGON2, "salt": _b64(salt),
                       **_wrap(passphrase_kek(passphrase, salt), master, key_file.data_id, "passphrase")})


def add_recovery_slot(key_file: KeyFile, master: bytes, raw: bytes) -> None:
    salt = os.urandom(16)
    key_file.set_slot({"kind": "recovery", "kdf": "hkdf-sha256", "salt": _b64(salt),
                       **_wrap(recovery_kek(raw, salt), master, key_file.data_id, "recovery")})


def unlock_with_passphrase(key_file: KeyFile, passphrase: str) -> bytes:
    slot = key_file.slot("passphrase")
    if slot is None:
        raise KeyError_("Dữ liệu này không được bảo vệ bằng mật khẩu.", hint="Bỏ biến INSPECTOR_PASSPHRASE.")
    try:
        params = {k: int(slot[k]) for k in ARGON2}
        return _unwrap(passphrase_kek(passphrase, _unb64(slot["salt"]), params), slot, key_file.data_id)
    except InvalidTag:
        raise WrongSecretError("Mật khẩu không đúng; dữ liệu chưa được mở và không có gì bị thay đổi.",
                               hint="Nhập lại mật khẩu (chú ý bộ gõ tiếng Việt và phím Caps Lock), hoặc dùng"
                                    " khóa khôi phục: inspector keys recover.") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyError_("Tệp khóa bị hỏng; không mở được dữ liệu.",
                        hint="Khôi phục thư mục dữ liệu từ bản sao lưu.") from exc


def unlock_with_recovery(key_file: KeyFile, recovery: str) -> bytes:
    slot = key_file.slot("recovery")
    raw = parse_recovery(recovery)
    if slot is None:
        raise KeyError_("Tệp khóa không có khóa khôi phục.", hint="Khôi phục thư mục dữ liệu từ bản sao lưu.")
    try:
        return _unwrap(recovery_kek(raw, _unb64(slot["salt"])), slot, key_file.data_id)
    except InvalidTag:
        raise WrongSecretError("Khóa khôi phục không đúng với dữ liệu này; không có gì bị thay đổi.",
                               hint="Kiểm tra lại bản in khóa khôi phục của đúng máy và thư mục dữ liệu này."
                               ) from None
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyError_("Tệp khóa bị hỏng; không mở được dữ liệu.",
                        hint="Khôi phục thư mục dữ liệu từ bản sao lưu.") from exc


def reprotect(data_dir: Path, unlocked: Unlocked, *, passphrase: str | None,
              os_store: OsKeyStore | None = None) -> str:
    """After opening with the recovery key: protect the data key again, by the OS key store when
    there is one and no passphrase is given, else by `passphrase`. Returns "keyring" or "passphrase".

    The recovery key keeps working; the new slot is written durably with the key file.
    """
    store = os_store or OsKeyStore()
    key_file = unlocked.key_file
    if passphrase is None and store.available():
        account = f"data-key-{key_file.data_id}"
        store.put(account, unlocked.master)
        key_file.set_slot({"kind": "keyring", "service": KEYRING_SERVICE, "account": account})
        kind = "keyring"
    else:
        if not passphrase:
            raise KeyError_("Cần một mật khẩu mới để bảo vệ dữ liệu (máy không có kho khóa của hệ điều hành).",
                            hint="Nhập một mật khẩu mới.")
        add_passphrase_slot(key_file, unlocked.master, passphrase)
        kind = "passphrase"
    key_file.save(data_dir)
    return kind
