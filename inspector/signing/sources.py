"""Where the private key lives: a PKCS#12 file (tests, small offices) or a PKCS#11 token.

Both give a `SignerSource`: the certificate to show the user before they sign, plus the pyHanko
signer that does the work. Loading never refuses a certificate that is expired or not meant for
signing: the UI shows `warnings` next to the name, and `sign_pdf` refuses when the certificate is
not valid at the signing time. That way the user learns *why* a token or file cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from inspector.errors import StorageError, UserError
from inspector.signing.certs import CertificateInfo
from inspector.signing.identity import PIN_ATTEMPTS, PinError, SignerSource, TokenInfo

__all__ = ["PIN_ATTEMPTS", "PinError", "SignerSource", "TokenInfo", "list_tokens", "load_pkcs12", "open_pkcs11",
           "pkcs12_certificate", "token_certificate"]

class _KeptKeySigner(SimpleSigner):
    """SimpleSigner that parses its private key once.

    pyHanko's SimpleSigner re-parses the DER key on every `sign_raw` (twice per signature: the
    size-estimation dry run signs too). For RSA that parse includes OpenSSL's key consistency
    check, ~30 ms each: the bulk of the signing time on a 2 MB PDF.
    """

    def __init__(self, key: PrivateKeyTypes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            name = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            name = ""
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if name == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hash_algo)
        if name == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algo))
        return bytes(super().sign_raw(data, digest_algorithm))  # PSS, EdDSA...: pyHanko's path


def _check_key_matches(key_spki: bytes, cert: asn1_x509.Certificate, place: str) -> None:
    if key_spki != cert.public_key.dump():
        raise UserError("Khóa bí mật không khớp với chứng thư số trong {place}.",
                        hint="Liên hệ nơi cấp chứng thư để lấy lại tệp/thiết bị đúng.", place=place)


def load_pkcs12(path: Path, passphrase: str) -> SignerSource:
    """Load a .p12/.pfx file; the CA certificates inside are embedded in each signature."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise StorageError("Không đọc được tệp chứng thư số “{file}”.",
                           hint="Kiểm tra tệp còn tồn tại và bạn có quyền đọc.",
                           file=Path(path).name) from exc
    try:  # the outer structure is not encrypted: tells "not a PKCS#12 file" from "wrong passphrase"
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        _ = pfx["auth_safe"]["content_type"].native
    except Exception as exc:  # arbitrary file content
        raise UserError("Tệp “{file}” không phải tệp chứng thư số PKCS#12 (.p12/.pfx).",
                        hint="Chọn đúng tệp .p12 hoặc .pfx do nơi cấp chứng thư gửi.",
                        file=Path(path).name) from exc
    loaded = None
    for candidate in [passphrase.encode("utf-8")] + ([None] if passphrase == "" else []):
        try:
            loaded = pkcs12.load_pkcs12(data, candidate)
            break
        except (ValueError, TypeError):
            continue
    if loaded is None:
        raise UserError("Mật khẩu của tệp chứng thư số “{file}” không đúng.",
                        hint="Nhập lại mật khẩu (phân biệt chữ hoa, chữ thường).", file=Path(path).name)
    if loaded.key is None or loaded.cert is None:
        raise UserError("Tệp “{file}” không chứa khóa bí mật và chứng thư số để ký.",
                        hint="Xuất lại tệp .pfx kèm khóa bí mật.", file=Path(path).name)
    der = loaded.cert.certificate.public_bytes(serialization.Encoding.DER)
    cert = asn1_x509.Certificate.load(der)
    key = asn1_keys.PrivateKeyInfo.load(loaded.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    spki = loaded.key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    _check_key_matches(spki, cert, f"tệp {Path(path).name}")
    chain = tuple(asn1_x509.Certificate.load(c.certificate.public_bytes(serialization.Encoding.DER))
                  for c in loaded.additional_certs)
    signer = _KeptKeySigner(loaded.key, signing_cert=cert, signing_key=key,
                            cert_registry=SimpleCertificateStore.from_certs(chain))  # type: ignore[no-untyped-call]
    return SignerSource(signer, cert, "pkcs12", chain=chain)


def open_pkcs11(module_path: str, token_label: str | None, pin: str | None, *, slot: int | None = None,
                key_label: str | None = None, cert_label: str | None = None) -> SignerSource:
    """Log in to a token and find its signing key and certificate.

    The token is chosen by `slot` (the PKCS#11 slot id), by `token_label`, or, with neither, it
    must be the only token present. `pin=None` means the token has its own PIN pad (protected
    authentication path). Without labels the token must hold exactly one signing key; its
    certificate is the one with the same CKA_ID (how CA tools write them), and every other
    certificate on the token joins the chain.
    """
    from inspector.signing import _pkcs11  # python-pkcs11's native module loads only when used

    return _pkcs11.open_source(module_path, token_label, pin, key_label, cert_label, slot=slot)


def pkcs12_certificate(path: Path, passphrase: str) -> CertificateInfo:
    """The certificate in a .p12/.pfx file (the file is encrypted, so the password is needed)."""
    with load_pkcs12(path, passphrase) as source:
        return source.certificate


def token_certificate(module_path: str, token_label: str | None = None, *, slot: int | None = None,
                      key_label: str | None = None, cert_label: str | None = None) -> CertificateInfo:
    """The signing certificate on a token, read without the PIN (certificates are public objects)."""
    from inspector.signing import _pkcs11

    return _pkcs11.read_certificate(module_path, token_label, slot, key_label, cert_label)


def list_tokens(module_path: str) -> list[TokenInfo]:
    """The tokens plugged in, for the user to pick one (slot, label, maker, serial)."""
    from inspector.signing import _pkcs11

    return _pkcs11.list_tokens(module_path)
