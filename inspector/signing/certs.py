"""What the user and the audit log need to know about a certificate, in plain Python values."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import x509 as asn1_x509
from cryptography import x509

from inspector.clock import VIETNAM_TZ

#: Warn this long before a signing certificate expires, so the user can renew in time.
EXPIRY_WARNING = timedelta(days=30)
#: Key usages that allow signing documents (Vietnamese CAs set one or both).
SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})
KEY_USAGE_LABELS = {
    "digital_signature": "ký số (digitalSignature)",
    "non_repudiation": "chống chối bỏ (nonRepudiation)",
    "key_encipherment": "mã hóa khóa",
    "data_encipherment": "mã hóa dữ liệu",
    "key_agreement": "thỏa thuận khóa",
    "key_cert_sign": "ký chứng thư",
    "crl_sign": "ký danh sách thu hồi",
    "encipher_only": "chỉ mã hóa",
    "decipher_only": "chỉ giải mã",
}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def vn_time(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM:SS +07:00: the form shown in stamps, messages and reports."""
    return moment.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M:%S +07:00")


@dataclass(frozen=True)
class CertificateInfo:
    common_name: str   # NFC; falls back to the whole subject when there is no CN
    subject: str       # NFC, human-readable
    issuer: str        # NFC, human-readable
    fingerprint_sha256: str  # lowercase hex of the DER encoding
    serial_number: int
    not_before: datetime  # UTC
    not_after: datetime   # UTC
    key_usage: frozenset[str]  # asn1crypto names: "digital_signature", "non_repudiation"...

    @classmethod
    def from_asn1(cls, cert: asn1_x509.Certificate) -> CertificateInfo:
        subject = cert.subject
        cn = subject.native.get("common_name")
        if isinstance(cn, list):  # several CN attributes: the last one is the most specific
            cn = cn[-1]
        validity = cert["tbs_certificate"]["validity"]
        ku = cert.key_usage_value
        return cls(
            common_name=nfc(cn or subject.human_friendly),
            subject=nfc(subject.human_friendly),
            issuer=nfc(cert.issuer.human_friendly),
            fingerprint_sha256=cert.sha256.hex(),
            serial_number=int(cert.serial_number),
            not_before=validity["not_before"].native.astimezone(UTC),
            not_after=validity["not_after"].native.astimezone(UTC),
            key_usage=frozenset(ku.native) if ku is not None else frozenset(),
        )

    @classmethod
    def from_cryptography(cls, cert: x509.Certificate) -> CertificateInfo:
        from cryptography.hazmat.primitives.serialization import Encoding

        return cls.from_asn1(asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)))

    @property
    def serial_hex(self) -> str:
        """The serial number as CAs print it: upper-case hex in pairs."""
        raw = f"{self.serial_number:X}"
        raw = raw if len(raw) % 2 == 0 else "0" + raw
        return " ".join(raw[i:i + 2] for i in range(0, len(raw), 2))

    @property
    def can_sign(self) -> bool:
        """No key-usage extension means no restriction; otherwise one signing usage is needed."""
        return not self.key_usage or bool(self.key_usage & SIGNING_USAGES)

    @property
    def key_usage_text(self) -> str:
        if not self.key_usage:
            return "không giới hạn"
        return ", ".join(KEY_USAGE_LABELS.get(u, u) for u in sorted(self.key_usage))

    def validity_problem(self, when: datetime) -> tuple[str, dict[str, str]] | None:
        """(Vietnamese template, params) if the certificate cannot sign at `when`, else None."""
        if when < self.not_before:
            return ("Chứng thư số của {name} chưa có hiệu lực (hiệu lực từ {start}).",
                    {"name": self.common_name, "start": vn_time(self.not_before)})
        if when > self.not_after:
            return ("Chứng thư số của {name} đã hết hạn từ {end}.",
                    {"name": self.common_name, "end": vn_time(self.not_after)})
        return None

    def warnings(self, when: datetime) -> tuple[str, ...]:
        """Things worth telling the user when the certificate is loaded; none of them blocks loading."""
        out = []
        problem = self.validity_problem(when)
        if problem:
            template, params = problem
            out.append(template.format(**params) + " Không thể dùng chứng thư này để ký.")
        elif self.not_after - when < EXPIRY_WARNING:
            out.append(f"Chứng thư số của {self.common_name} sắp hết hạn "
                       f"({vn_time(self.not_after)}); hãy liên hệ nơi cấp để gia hạn.")
        if not self.can_sign:
            out.append("Chứng thư số này không được cấp cho mục đích ký số "
                       "(thiếu digitalSignature/nonRepudiation); chữ ký có thể bị từ chối.")
        return tuple(out)
