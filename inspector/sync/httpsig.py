"""HTTP request signatures in the style of RFC 9421 (HTTP Message Signatures), Ed25519 only.

Covered components: `@method`, `@request-target` (path and query: it survives a TLS proxy that
rewrites the host), `content-digest` (SHA-256 of the body, RFC 9530), plus the `created` time,
a random `nonce` and the `keyid` (the device id) as signature parameters. The server refuses a
signature older or newer than the allowed skew and any nonce it has seen inside that window.
Exactly one fixed shape is accepted: a strict parser is a smaller attack surface than a general one.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from inspector.sync.keys import Signer, b64, verify_ed25519

LABEL = "sig1"
COMPONENTS = '("@method" "@request-target" "content-digest")'
MAX_SKEW_S = 300

_INPUT_RE = re.compile(
    r'^sig1=\("@method" "@request-target" "content-digest"\);created=([0-9]{1,12});'
    r'nonce="([A-Za-z0-9_-]{16,64})";keyid="([0-9a-f]{32})";alg="ed25519"$')
_SIG_RE = re.compile(r"^sig1=:([A-Za-z0-9+/]{86}==):$")
_DIGEST_RE = re.compile(r"^sha-256=:([A-Za-z0-9+/]{43}=):$")


def content_digest(body: bytes) -> str:
    return f"sha-256=:{b64(hashlib.sha256(body).digest())}:"


def digest_matches(header: str, digest: bytes) -> bool:
    match = _DIGEST_RE.match(header)
    return match is not None and base64.b64decode(match.group(1)) == digest


def _params(created: int, nonce: str, keyid: str) -> str:
    return f'{COMPONENTS};created={created};nonce="{nonce}";keyid="{keyid}";alg="ed25519"'


def signature_base(method: str, target: str, digest_header: str, params: str) -> bytes:
    return "\n".join((
        f'"@method": {method.upper()}',
        f'"@request-target": {target}',
        f'"content-digest": {digest_header}',
        f'"@signature-params": {params}',
    )).encode("utf-8")


def sign_request(signer: Signer, method: str, target: str, body: bytes, *, created: int,
                 digest_header: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """Headers to add to a request. `digest_header` may be passed when the body was hashed already."""
    digest = digest_header or content_digest(body)
    params = _params(created, nonce or secrets.token_urlsafe(18), signer.device_id)
    signature = signer.sign(signature_base(method, target, digest, params))
    return {"Content-Digest": digest, "Signature-Input": f"{LABEL}={params}",
            "Signature": f"{LABEL}=:{b64(signature)}:"}


@dataclass(frozen=True)
class ParsedSignature:
    keyid: str
    created: int
    nonce: str
    params: str
    signature: bytes
    digest_header: str

    def verify(self, method: str, target: str, public_key: bytes) -> bool:
        base = signature_base(method, target, self.digest_header, self.params)
        return verify_ed25519(public_key, self.signature, base)


def parse_signature(headers: Mapping[str, str]) -> ParsedSignature | None:
    """The signature headers of a request, or None when absent or not in the one accepted shape."""
    raw_input = headers.get("signature-input", "")
    raw_sig = headers.get("signature", "")
    digest = headers.get("content-digest", "")
    match = _INPUT_RE.match(raw_input)
    sig_match = _SIG_RE.match(raw_sig)
    if match is None or sig_match is None or _DIGEST_RE.match(digest) is None:
        return None
    created, nonce, keyid = int(match.group(1)), match.group(2), match.group(3)
    return ParsedSignature(keyid, created, nonce, raw_input.removeprefix(f"{LABEL}="),
                           base64.b64decode(sig_match.group(1)), digest)


class NonceCache:
    """Nonces seen inside the skew window. Thread-safe; bounded (a full cache refuses, not forgets).

    The server also refuses signatures created before it started, so a restart (which empties
    this cache) does not reopen a replay window.
    """

    def __init__(self, window_s: int = MAX_SKEW_S, capacity: int = 1_000_000) -> None:
        self.window_s = window_s
        self.capacity = capacity
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, nonce: str, now_s: int) -> bool:
        """Record a nonce; False when it was seen before (a replay) or the cache is full."""
        with self._lock:
            horizon = now_s - 2 * self.window_s
            while self._seen:
                oldest, seen_at = next(iter(self._seen.items()))
                if seen_at >= horizon:
                    break
                del self._seen[oldest]
            if nonce in self._seen or len(self._seen) >= self.capacity:
                return False
            self._seen[nonce] = now_s
            return True
