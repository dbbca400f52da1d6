"""Canonical JSON: the one byte encoding that every hash and signature in the product covers.

UTF-8, keys sorted, no insignificant whitespace, integers only (no floats), strings in NFC.
Client, central server and bundles all share this encoder.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any

from inspector.errors import BugError

JsonValue = Any


def _check(value: JsonValue, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return
    if isinstance(value, float):
        raise BugError(f"float in canonical JSON at {path}")
    if isinstance(value, str):
        if not unicodedata.is_normalized("NFC", value):
            raise BugError(f"non-NFC string in canonical JSON at {path}")
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise BugError(f"non-string key in canonical JSON at {path}")
            _check(k, f"{path}.<key>")
            _check(v, f"{path}.{k}")
        return
    raise BugError(f"unsupported type {type(value).__name__} in canonical JSON at {path}")


def dumps(value: JsonValue) -> str:
    _check(value, "$")
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def encode(value: JsonValue) -> bytes:
    return dumps(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: JsonValue) -> str:
    """SHA-256 (hex) of the canonical encoding of `value`."""
    return sha256_hex(encode(value))


def nfc(value: JsonValue) -> JsonValue:
    """Normalise every string in a JSON-like value to NFC (keys included)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", k): nfc(v) for k, v in value.items()}
    return value
