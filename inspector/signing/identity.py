"""A loaded signing identity (`SignerSource`) and the PIN error, shared by both key stores.

Kept apart from `sources` (PKCS#12) and `_pkcs11` (tokens) so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.signers.pdf_cms import Signer

from inspector.errors import UserError
from inspector.signing.certs import CertificateInfo

PIN_ATTEMPTS = 3  # Vietnamese CA tokens (SafeNet, Bit4id, Feitian rebrands) lock after 3 wrong PINs


@dataclass(frozen=True)
class TokenInfo:
    """One token present in a slot of a PKCS#11 module (what the user picks from)."""

    slot: int
    label: str
    manufacturer: str
    model: str
    serial: str
    pin_pad: bool  # the token has its own PIN pad (protected authentication path)


class PinError(UserError):
    """Wrong or locked PIN: the UI may ask again (unless `locked`)."""

    def __init__(self, message: str, *, hint: str = "", locked: bool = False,
                 final_try: bool = False, **params: Any) -> None:
        self.locked = locked
        self.final_try = final_try
        super().__init__(message, hint=hint, **params)


class SignerSource:
    """A loaded signing identity. Use it as a context manager so a token session gets closed."""

    def __init__(self, signer: Signer, cert: asn1_x509.Certificate, kind: str, *,
                 chain: tuple[asn1_x509.Certificate, ...] = (),
                 closer: Callable[[], None] | None = None) -> None:
        self.signer = signer
        self.kind = kind  # "pkcs12" or "pkcs11"
        self.certificate = CertificateInfo.from_asn1(cert)
        self.chain = tuple(CertificateInfo.from_asn1(c) for c in chain)
        self.warnings = self.certificate.warnings(datetime.now(UTC))
        self._closer = closer
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self._closer is not None:
                self._closer()

    def __enter__(self) -> SignerSource:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
