"""Where a signing identity comes from, what its certificate says, and the last one each person used.

A signing identity is a PKCS#12 file (.p12/.pfx, protected by a password) or a PKCS#11 token
(a USB key from a licensed CA or from Ban Cơ yếu, protected by a PIN) reached through the token
driver's library. Reading a token's certificate needs no PIN; reading a PKCS#12 file needs its
password. Secrets are never stored: the remembered identity names the file or the token only.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inspector.errors import UserError
from inspector.signing import (
    CertificateInfo,
    DetectedModule,
    SignerSource,
    TokenInfo,
    detect_pkcs11_modules,
    list_tokens,
    load_pkcs12,
    open_pkcs11,
    pkcs12_certificate,
    token_certificate,
)
from inspector.signing.binding import name_key
from inspector.store.db import Store

__all__ = ["CertificateInfo", "Credential", "DetectedModule", "Pkcs11Credential", "Pkcs12Credential", "SigningIdentity",
           "TokenInfo", "credential_certificate", "detected_modules", "last_signing_identity", "open_credential",
           "remember_signing_identity", "tokens"]

SETTING_PREFIX = "signing_identity:"


@dataclass(frozen=True)
class Pkcs12Credential:
    path: Path
    passphrase: str


@dataclass(frozen=True)
class Pkcs11Credential:
    """A token: by `slot` (PKCS#11 slot id) or `token_label`; neither = the only token plugged in."""

    module: str
    token_label: str | None
    pin: str | None  # None: a PIN pad on the token
    key_label: str | None = None
    slot: int | None = None


Credential = Pkcs12Credential | Pkcs11Credential


@dataclass(frozen=True)
class SigningIdentity:
    """A remembered identity (never its password or PIN): enough to preselect it next time."""

    kind: str  # "pkcs12" | "pkcs11"
    path: str = ""          # pkcs12: the file
    module: str = ""        # pkcs11: the driver library
    slot: int | None = None
    token_label: str = ""
    key_label: str = ""
    holder: str = ""        # certificate common name when last used
    fingerprint: str = ""   # SHA-256 of the certificate when last used

    @classmethod
    def of(cls, credential: Credential, cert: CertificateInfo) -> SigningIdentity:
        if isinstance(credential, Pkcs12Credential):
            return cls("pkcs12", path=str(credential.path), holder=cert.common_name,
                       fingerprint=cert.fingerprint_sha256)
        return cls("pkcs11", module=credential.module, slot=credential.slot,
                   token_label=credential.token_label or "", key_label=credential.key_label or "",
                   holder=cert.common_name, fingerprint=cert.fingerprint_sha256)


@contextlib.contextmanager
def open_credential(credential: Credential) -> Iterator[tuple[SignerSource, str]]:
    if isinstance(credential, Pkcs12Credential):
        with load_pkcs12(credential.path, credential.passphrase) as source:
            yield source, "pkcs12"
    else:
        with open_pkcs11(credential.module, credential.token_label, credential.pin, slot=credential.slot,
                         key_label=credential.key_label) as source:
            yield source, "pkcs11"


def credential_certificate(credential: Credential) -> CertificateInfo:
    """The certificate that would sign: holder, issuer, serial, validity, key usage (no signing).

    A token's certificate is read without the PIN; a PKCS#12 file needs its password.
    """
    if isinstance(credential, Pkcs12Credential):
        return pkcs12_certificate(credential.path, credential.passphrase)
    return token_certificate(credential.module, credential.token_label, slot=credential.slot,
                             key_label=credential.key_label)


def detected_modules() -> list[DetectedModule]:
    """PKCS#11 libraries of Vietnamese CA token drivers installed in their usual places."""
    return detect_pkcs11_modules()


def tokens(module: str) -> list[TokenInfo]:
    """The tokens plugged in behind a PKCS#11 library (slot, label, maker, serial, PIN pad)."""
    return list_tokens(module)


def _key(person_name: str) -> str:
    key = name_key(person_name)
    if not key:
        raise UserError("Chưa có họ tên người ký.", hint="Nhập họ tên người ký trước.")
    return SETTING_PREFIX + key


def last_signing_identity(store: Store, person_name: str) -> SigningIdentity | None:
    """The identity this person signed with last on this laptop (names compared without tone marks)."""
    raw = store.scalar("SELECT value FROM settings WHERE key = ?", (_key(person_name),))
    if raw is None:
        return None
    data: dict[str, Any] = json.loads(raw)
    try:
        return SigningIdentity(**data)
    except TypeError:  # written by another version: forget it rather than fail
        return None


def remember_signing_identity(conn: sqlite3.Connection, person_name: str, identity: SigningIdentity) -> None:
    """Inside the caller's transaction (the commit that recorded the signature)."""
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
                 " value = excluded.value", (_key(person_name), json.dumps(asdict(identity), ensure_ascii=False)))
