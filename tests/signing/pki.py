"""A small but real test PKI made with `cryptography`.

Root CA → intermediate CA → two signers (RSA and ECDSA, Vietnamese common names, digitalSignature
+ nonRepudiation), plus an expired signer, a TSA with critical EKU timeStamping, and an unrelated
root to prove that trust really depends on the roots given to the verifier.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

PASSPHRASE = "Mật-khẩu 2026!"
SIGNER_NAME = unicodedata.normalize("NFC", "Nguyễn Văn Hùng")
SECOND_SIGNER_NAME = unicodedata.normalize("NFC", "Trần Thị Ánh Tuyết")
EXPIRED_SIGNER_NAME = unicodedata.normalize("NFC", "Lê Quốc Đạt")


@dataclass(frozen=True)
class Identity:
    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # issuers, nearest first, root last

    def pkcs12(self, passphrase: str = PASSPHRASE) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"signer", self.key, self.cert, list(self.chain),
            serialization.BestAvailableEncryption(passphrase.encode("utf-8")))

    def key_pkcs8_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def key_pkcs8_der(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.DER,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


@dataclass(frozen=True)
class Pki:
    root: Identity
    intermediate: Identity
    signer: Identity          # RSA, SIGNER_NAME
    second_signer: Identity   # ECDSA P-256, SECOND_SIGNER_NAME
    expired_signer: Identity  # validity ended yesterday
    tsa: Identity             # RSA (pyHanko's DummyTimeStamper is RSA-only)
    other_root: Identity      # an unrelated root


def _name(cn: str, org: str = "Sở Nội vụ Hà Nội (thử nghiệm)") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _issue(subject: x509.Name, key: PrivateKey, issuer: Identity | None, *, ca: bool,
           eku: list[x509.ObjectIdentifier] | None = None, signing: bool = False,
           not_before: datetime | None = None, not_after: datetime | None = None) -> Identity:
    now = datetime.now(UTC)
    issuer_name = issuer.cert.subject if issuer else subject
    issuer_key = issuer.key if issuer else key
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before or now - timedelta(days=1))
               .not_valid_after(not_after or now + timedelta(days=3650 if ca else 365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False)
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature=not ca, content_commitment=signing, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False), critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    cert = builder.sign(issuer_key, hashes.SHA256())
    chain = (issuer.cert, *issuer.chain) if issuer else ()
    return Identity(key, cert, chain)


def make_pki() -> Pki:
    root = _issue(_name("Inspector Test Root CA", "Inspector Test PKI"), _rsa(), None, ca=True)
    inter = _issue(_name("Inspector Test Issuing CA", "Inspector Test PKI"), _rsa(), root, ca=True)
    signer = _issue(_name(SIGNER_NAME), _rsa(), inter, ca=False, signing=True)
    second = _issue(_name(SECOND_SIGNER_NAME), ec.generate_private_key(ec.SECP256R1()), inter,
                    ca=False, signing=True)
    now = datetime.now(UTC)
    expired = _issue(_name(EXPIRED_SIGNER_NAME), ec.generate_private_key(ec.SECP256R1()), inter,
                     ca=False, signing=True, not_before=now - timedelta(days=400),
                     not_after=now - timedelta(days=1))
    tsa = _issue(_name("Inspector Test TSA", "Inspector Test PKI"), _rsa(), inter, ca=False,
                 eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    other = _issue(_name("Some Other Root CA", "Elsewhere"), _rsa(), None, ca=True)
    return Pki(root, inter, signer, second, expired, tsa, other)


def make_signer(pki: Pki, name: str, *, not_before: datetime | None = None, not_after: datetime | None = None,
                can_sign: bool = True) -> Identity:
    """Another signer of the test PKI: a given holder name (an inspection's leader), a validity
    window, or a key meant only for encryption (no digitalSignature/nonRepudiation)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(unicodedata.normalize("NFC", name))
    if can_sign:
        return _issue(subject, key, pki.intermediate, ca=False, signing=True, not_before=not_before,
                      not_after=not_after)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(pki.intermediate.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - timedelta(days=1))
            .not_valid_after(not_after or now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=True, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
                critical=True)
            .sign(pki.intermediate.key, hashes.SHA256()))
    return Identity(key, cert, (pki.intermediate.cert, *pki.intermediate.chain))
