"""Signing benchmarks: one PKCS#12 signature and one verification of the big minutes PDF.

Targets (signing issue): sign ≤ 0.3 s, verify ≤ 0.2 s. Same-run baselines are the irreducible
work: SHA-256 over the whole file plus one raw signature (or verification) with `cryptography`
using the same RSA-2048 key.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from inspector.documents import render_minutes
from inspector.signing import FieldSpec, load_pkcs12, prepare_fields, sign_pdf, verify_pdf
from tests.benchmarks.harness import Result, percentile, timed
from tests.documents import builders
from tests.signing.pki import PASSPHRASE, make_pki

SIGN_TARGET_MS = 300
VERIFY_TARGET_MS = 200


def run(quick: bool) -> list[Result]:
    pki = make_pki()
    repeat = 3 if quick else 15
    # The file the issue names: the minutes of 41 items × 30 subjects with 50 photos, as rendered.
    items, subjects, photos = (10, 5, 5) if quick else (41, 30, 50)
    rendered = render_minutes(builders.minutes("state", items=items, subjects=subjects, photos=photos,
                                               results=items))
    prepared = prepare_fields(rendered.pdf, [FieldSpec(f.name, f.page_index, f.box) for f in rendered.fields])
    size_mb = len(prepared) / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-signing-") as tmp:
        p12 = Path(tmp) / "signer.p12"
        p12.write_bytes(pki.signer.pkcs12())
        with load_pkcs12(p12, PASSPHRASE) as source:
            signed = sign_pdf(prepared, "Sig_TruongDoan", source, reason="Ký").pdf  # warm-up
            sign_ms = percentile(timed(lambda: sign_pdf(prepared, "Sig_TruongDoan", source,
                                                        reason="Ký biên bản kiểm tra"), repeat), 50)
            # co-signed file: verifying the first signature now runs pyHanko's diff analysis
            cosigned = sign_pdf(signed, "Sig_DaiDienDonVi", source, reason="Ký").pdf
    key = pki.signer.key

    def raw_sign() -> bytes:
        digest = hashlib.sha256(prepared).digest()
        return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))

    raw_sign_ms = percentile(timed(raw_sign, repeat * 3), 50)
    roots = [pki.root.cert]
    report = verify_pdf(signed, roots)
    assert report.trusted, report
    verify_ms = percentile(timed(lambda: verify_pdf(signed, roots), repeat), 50)
    signature = key.sign(hashlib.sha256(signed).digest(), padding.PKCS1v15(),
                         utils.Prehashed(hashes.SHA256()))
    public = key.public_key()

    def raw_verify() -> None:
        digest = hashlib.sha256(signed).digest()
        public.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))

    raw_verify_ms = percentile(timed(raw_verify, repeat * 3), 50)
    assert verify_pdf(cosigned, roots).trusted
    cosigned_ms = percentile(timed(lambda: verify_pdf(cosigned, roots), repeat), 50)
    return [
        Result(f"sign minutes {items}×{subjects}, {photos} photos ({size_mb:.1f} MB), p50", sign_ms, raw_sign_ms, "ms",
               "SHA-256 of file + 1 raw RSA sign", f"≤ {SIGN_TARGET_MS} ms", sign_ms <= SIGN_TARGET_MS),
        Result("verify that file, 1 signature, p50", verify_ms, raw_verify_ms, "ms",
               "SHA-256 of file + 1 raw RSA verify", f"≤ {VERIFY_TARGET_MS} ms",
               verify_ms <= VERIFY_TARGET_MS),
        Result("verify 2 signatures (incl. diff analysis), p50", cosigned_ms, 2 * raw_verify_ms,
               "ms", "2 × (SHA-256 of file + 1 raw RSA verify)", "(reported)", True),
    ]
