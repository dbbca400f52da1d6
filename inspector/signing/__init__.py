"""Digital signatures for inspection documents: PAdES signing, document timestamps, verification.

A pure library (no database, no Qt). Typical flow (document brief §8.4–8.5):

    pdf = prepare_fields(rendered_pdf, [FieldSpec("Sig_TruongDoan", 1, box), ...])
    with open_pkcs11(module, "Token label", pin) as source:          # or load_pkcs12(path, pw)
        result = sign_pdf(pdf, "Sig_TruongDoan", source, reason="Ký biên bản kiểm tra")
    later = add_document_timestamp(result.pdf, tsa_url)               # when online
    report = verify_pdf(later.pdf, load_trust_roots(trust_dir))
"""

from __future__ import annotations

import logging

from inspector.signing.appearance import AppearanceSpec
from inspector.signing.binding import Binding, check_binding, check_usable, names_match
from inspector.signing.certs import CertificateInfo
from inspector.signing.fields import FieldSpec, FieldState, prepare_fields, signature_fields
from inspector.signing.identity import PinError, SignerSource, TokenInfo
from inspector.signing.modules import DetectedModule, detect_pkcs11_modules
from inspector.signing.sign import SignResult, sign_pdf
from inspector.signing.sources import (
    list_tokens,
    load_pkcs12,
    open_pkcs11,
    pkcs12_certificate,
    token_certificate,
)
from inspector.signing.timestamp import TimestampResult, add_document_timestamp
from inspector.signing.trust import load_trust_roots
from inspector.signing.verify import (
    Coverage,
    SignatureReport,
    TimestampReport,
    Verdict,
    VerificationReport,
    verify_pdf,
)

# pyHanko and its certificate validator log every failed path search or diff check as a warning
# with an English traceback. Verdicts reach users as Vietnamese sentences in the reports; without
# a handler of our own, Python's last-resort handler would print those tracebacks on stderr.
# Records still propagate to whatever handlers the application installs (e.g. a debug log).
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

__all__ = [
    "AppearanceSpec",
    "Binding",
    "CertificateInfo",
    "Coverage",
    "DetectedModule",
    "FieldSpec",
    "FieldState",
    "PinError",
    "SignResult",
    "SignatureReport",
    "SignerSource",
    "TimestampReport",
    "TimestampResult",
    "TokenInfo",
    "Verdict",
    "VerificationReport",
    "add_document_timestamp",
    "check_binding",
    "check_usable",
    "detect_pkcs11_modules",
    "list_tokens",
    "load_pkcs12",
    "load_trust_roots",
    "names_match",
    "open_pkcs11",
    "pkcs12_certificate",
    "prepare_fields",
    "sign_pdf",
    "signature_fields",
    "token_certificate",
    "verify_pdf",
]
