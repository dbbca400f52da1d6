"""Local settings of this laptop (not events): who uses it, for which body and team, how they
sign, and the language. The first-run assistant saves each of its steps through one call here."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.changes import Changes
from inspector.domain import Team, Unit
from inspector.errors import UserError
from inspector.i18n import LANGUAGES
from inspector.ids import uuid7
from inspector.services.context import Identity, ServiceContext
from inspector.services.registry import RegistryService
from inspector.services.settings_store import identity_from_json, identity_json, read_setting, write_setting
from inspector.store.db import Store
from inspector.text import clean

SIGNING_KINDS = ("pkcs12", "pkcs11")
MAX_PKCS12_BYTES = 1024 * 1024  # a certificate file with its chain is a few kilobytes
MAX_PATH = 1000


def load_identity(store: Store, *, create: bool = True) -> Identity:
    """The saved identity, or a first-run one named after the OS account (until one is chosen)."""
    saved = identity_from_json(read_setting(store, "identity"))
    if saved is not None:
        return saved
    try:
        user = getpass.getuser()
    except Exception:  # no login name (service accounts, some containers)
        user = "người dùng"
    identity = Identity(uuid7(), clean(user, label="Tên", max_length=120) or "người dùng")
    if create:
        with store.transaction() as conn:
            write_setting(conn, "identity", identity_json(identity))
    return identity


@dataclass(frozen=True)
class SettingsDraft:
    """What the Settings dialog saves, all at once."""

    name: str
    position: str
    language: str
    trust_dir: str
    tsa_url: str


@dataclass(frozen=True)
class SigningChoice:
    """Where the signer's key lives; never its password or PIN (asked for at each signature)."""

    kind: str       # "pkcs12": a certificate file; "pkcs11": a USB token
    location: str   # the .p12/.pfx file, or the token's PKCS#11 library
    label: str = ""  # the token's label (pkcs11), or a name to recognise the file by

    def as_json(self) -> dict[str, str]:
        where = "path" if self.kind == "pkcs12" else "module"
        return {"kind": self.kind, where: self.location, "label": self.label}

    @staticmethod
    def from_json(data: Any) -> SigningChoice | None:
        if not isinstance(data, dict) or data.get("kind") not in SIGNING_KINDS:
            return None
        location = data.get("path") if data["kind"] == "pkcs12" else data.get("module")
        return SigningChoice(str(data["kind"]), str(location or ""), str(data.get("label", "")))


@dataclass(frozen=True)
class SetupState:
    """What the first-run assistant shows: each choice made so far (None: not yet)."""

    identity: Identity
    issuing_body: Unit | None
    team: Team | None
    signing: SigningChoice | None
    offered: bool  # the assistant has been shown once on this data directory

    @property
    def complete(self) -> bool:
        return self.identity.person_id is not None and self.issuing_body is not None and self.team is not None


class SettingsService:
    def __init__(self, ctx: ServiceContext, registry: RegistryService) -> None:
        self.ctx = ctx
        self.registry = registry

    @property
    def store(self) -> Store:
        return self.ctx.store

    def identity(self) -> Identity:
        return self.ctx.identity

    def save(self, draft: SettingsDraft) -> Identity:
        """The Settings dialog: identity, language, trust folder and TSA in one transaction."""
        identity = self._checked_identity(draft.name, draft.position)
        self._check_language(draft.language)
        trust = clean(draft.trust_dir, label="Thư mục chứng thư gốc", max_length=MAX_PATH)
        tsa = clean(draft.tsa_url, label="Địa chỉ dịch vụ dấu thời gian", max_length=MAX_PATH)
        if tsa and not tsa.lower().startswith(("http://", "https://")):
            raise UserError("Địa chỉ dịch vụ dấu thời gian “{url}” không hợp lệ.",
                            hint="Địa chỉ phải bắt đầu bằng http:// hoặc https://, hoặc để trống.", url=tsa)
        with self.store.transaction() as conn:
            write_setting(conn, "identity", identity_json(identity))
            write_setting(conn, "language", draft.language)
            write_setting(conn, "trust_dir", trust)
            write_setting(conn, "tsa_url", tsa)
        self._committed(identity)
        return identity

    def set_identity(self, name: str, position: str = "") -> Identity:
        """Rename the author of future events (earlier events keep the name they were made with)."""
        identity = self._checked_identity(name, position)
        with self.store.transaction() as conn:
            write_setting(conn, "identity", identity_json(identity))
        self._committed(identity)
        return identity

    def _checked_identity(self, name: str, position: str) -> Identity:
        current = self.ctx.identity
        checked_name = clean(name, label="Họ và tên", required=True, max_length=120)
        # A name typed by hand that is no longer the chosen person's is nobody of the registry.
        person = current.person_id if checked_name == current.name else None
        return Identity(current.id, checked_name, clean(position, label="Chức vụ", max_length=200), person)

    def _committed(self, identity: Identity) -> None:
        """After the commit, every thread's services see the new identity at once."""
        self.ctx.session.replace_identity(identity)
        self.ctx.touch(Changes(settings=True))

    # -- the first-run assistant ------------------------------------------------------------
    def setup_state(self) -> SetupState:
        unit_id, team_id = self.get("issuing_body"), self.get("default_team")
        units = {u.id: u for u in self.registry.units()} if unit_id else {}
        teams = {t.id: t for t in self.registry.teams()} if team_id else {}
        offered = bool(self.get("setup_offered") or self.get("demo_offered"))
        return SetupState(self.ctx.identity, units.get(unit_id), teams.get(team_id),
                          SigningChoice.from_json(self.get("signing_identity")), offered)

    def first_run(self) -> bool:
        """A new data directory: the assistant was never shown and nothing was prepared yet."""
        return not self.setup_state().offered and not self.store.scalar("SELECT count(*) FROM inspections")

    def mark_setup_offered(self) -> None:
        self.put("setup_offered", True)

    def choose_identity(self, person_id: str) -> Identity:
        """The inspector using this laptop is this person of the registry (the author of what follows)."""
        person = self.registry.person(person_id)
        if person.archived:
            raise UserError("{name} đã được đưa ra khỏi danh bạ.", hint="Chọn người khác hoặc thêm người mới.",
                            name=person.full_name)
        identity = Identity(self.ctx.identity.id, person.full_name, person.position, person.id)
        with self.store.transaction() as conn:
            write_setting(conn, "identity", identity_json(identity))
        self._committed(identity)
        return identity

    def choose_issuing_body(self, unit_id: str | None) -> Unit | None:
        """The unit that sets up the teams and issues their documents (the default decision issuer)."""
        unit = self.registry.unit(unit_id) if unit_id else None
        if unit is not None and unit.archived:
            raise UserError("Đơn vị “{name}” đã được lưu trữ.", hint="Chọn đơn vị khác.", name=unit.name)
        self.put("issuing_body", unit.id if unit else None)
        return unit

    def issuing_body(self) -> Unit | None:
        unit_id = self.get("issuing_body")
        return next((u for u in self.registry.units() if u.id == unit_id), None) if unit_id else None

    def choose_team(self, team_id: str | None) -> Team | None:
        """The team this laptop usually works for: new inspections start with it."""
        team = self.registry.team(team_id) if team_id else None
        self.put("default_team", team.id if team else None)
        return team

    def default_team_id(self) -> str | None:
        value = self.get("default_team")
        return str(value) if value else None

    def choose_signing_identity(self, choice: SigningChoice | None) -> SigningChoice | None:
        """Remember where the signer's key is: a certificate file or a token (never a password or PIN).

        Also remembered as this person's last signing identity, which the signing dialog offers first.
        """
        if choice is None:
            self.put("signing_identity", None)
            return None
        checked = self._checked_signing(choice)
        from inspector.services.signing_identities import SigningIdentity, remember_signing_identity  # pyHanko

        if checked.kind == "pkcs12":
            remembered = SigningIdentity("pkcs12", path=checked.location)
        else:
            remembered = SigningIdentity("pkcs11", module=checked.location, token_label=checked.label)
        with self.store.transaction() as conn:
            write_setting(conn, "signing_identity", checked.as_json())
            remember_signing_identity(conn, self.ctx.identity.name, remembered)
        self.ctx.touch(Changes(settings=True))
        return checked

    def signing_identity(self) -> SigningChoice | None:
        return SigningChoice.from_json(self.get("signing_identity"))

    def _checked_signing(self, choice: SigningChoice) -> SigningChoice:
        if choice.kind not in SIGNING_KINDS:
            raise UserError("Cách ký số “{kind}” không hợp lệ.", hint="Chọn tệp chứng thư số hoặc USB token.",
                            kind=choice.kind[:40])
        token = choice.kind == "pkcs11"
        label_name = "Tên token" if token else "Tên gợi nhớ"
        path_name = "Thư viện PKCS#11 của token" if token else "Tệp chứng thư số"
        location = clean(choice.location, label=path_name, required=True, max_length=MAX_PATH)
        label = clean(choice.label, label=label_name, required=token, max_length=200)
        path = Path(location).expanduser()
        if not path.is_absolute():
            raise UserError("“{label}” phải là đường dẫn đầy đủ: {path}.", hint="Bấm “Chọn…” để chọn tệp.",
                            label=path_name, path=location)
        if not path.is_file():
            raise UserError("Không tìm thấy tệp {path}.", hint="Kiểm tra lại đường dẫn hoặc bấm “Chọn…” để chọn tệp.",
                            path=location)
        if not os.access(path, os.R_OK):
            raise UserError("Không đọc được tệp {path}.", hint="Kiểm tra quyền đọc tệp.", path=location)
        if not token:
            _check_pkcs12(path)
        return SigningChoice(choice.kind, str(path), label or path.name)

    # -- language and plain values ----------------------------------------------------------
    def language(self) -> str:
        value = read_setting(self.store, "language")
        return value if value in LANGUAGES else "vi"

    @staticmethod
    def _check_language(language: str) -> None:
        if language not in LANGUAGES:
            raise UserError("Ngôn ngữ “{lang}” chưa được hỗ trợ.", lang=language)

    def set_language(self, language: str) -> None:
        self._check_language(language)
        self.put("language", language)

    def get(self, key: str, default: Any = None) -> Any:
        value = read_setting(self.store, key)
        return default if value is None else value

    def put(self, key: str, value: Any) -> None:
        with self.store.transaction() as conn:
            write_setting(conn, key, value)
        self.ctx.touch(Changes(settings=True))

    def put_many(self, values: dict[str, Any]) -> None:
        """Several settings of one user action, in one transaction."""
        with self.store.transaction() as conn:
            for key, value in values.items():
                write_setting(conn, key, value)
        self.ctx.touch(Changes(settings=True))


def _check_pkcs12(path: Path) -> None:
    """The file is a PKCS#12 container (read without its password: only the outer structure)."""
    from asn1crypto import pkcs12

    size = path.stat().st_size
    if size > MAX_PKCS12_BYTES:
        raise UserError("Tệp {path} quá lớn để là tệp chứng thư số ({size} byte).",
                        hint="Chọn tệp .p12 hoặc .pfx do tổ chức cung cấp chữ ký số cấp.", path=str(path), size=size)
    try:
        pfx = pkcs12.Pfx.load(path.read_bytes())
        ok = pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native in ("data", "signed_data")
    except (ValueError, TypeError, KeyError):
        ok = False
    if not ok:
        raise UserError("Tệp {path} không phải là tệp chứng thư số PKCS#12 (.p12, .pfx).",
                        hint="Chọn tệp .p12 hoặc .pfx do tổ chức cung cấp chữ ký số cấp.", path=str(path))
