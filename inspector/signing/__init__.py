"""Digital signatures for inspection documents: PAdES signing, document timestamps, verification.

A pure library (no database, no Qt). Typical flow (document brief §8.4–8.5):

    pdf = prepare_fields(rendered_pdf, [FieldSpec("Sig_TruongDoan", 1, box), ...])
    with open_pkcs11(module, "Token label", pin) as source:          # or load_pkcs12(path, pw)
        result = sign_pdf(pdf, "Sig_TruongDoan", source, reason="Ký biên bản kiểm tra")
    later = add_document_timestamp(result.pdf, tsa_url)               # when online
    report = verify_pdf(later.pdf, load_trust_roots(trust_dir))
"""

from __future__ import annotations

from inspector.signing.appearance import AppearanceSpec
from inspector.signing.certs import CertificateInfo
from inspector.signing.fields import FieldSpec, FieldState, prepare_fields, signature_fields
from inspector.signing.sign import SignResult, sign_pdf
from inspector.signing.sources import PinError, SignerSource, load_pkcs12, open_pkcs11
from inspector.signing.timestamp import TimestampResult, add_document_timestamp
from inspector.signing.trust import load_trust_roots
from inspector.signing.verify import (
    Coverage,
    SignatureReport,
    TimestampReport,
    VerificationReport,
    verify_pdf,
)

__all__ = [
    "AppearanceSpec",
    "CertificateInfo",
    "Coverage",
    "FieldSpec",
    "FieldState",
    "PinError",
    "SignResult",
    "SignatureReport",
    "SignerSource",
    "TimestampReport",
    "TimestampResult",
    "VerificationReport",
    "add_document_timestamp",
    "load_pkcs12",
    "load_trust_roots",
    "open_pkcs11",
    "prepare_fields",
    "sign_pdf",
    "signature_fields",
    "verify_pdf",
]
