from __future__ import annotations

import unicodedata

import pytest

from inspector import canonical
from inspector.errors import BugError


def test_canonical_encoding_is_sorted_compact_utf8() -> None:
    value = {"b": 1, "a": [True, None, "Hoàn Kiếm"], "c": {"z": 0, "y": -3}}
    assert canonical.dumps(value) == '{"a":[true,null,"Hoàn Kiếm"],"b":1,"c":{"y":-3,"z":0}}'
    assert canonical.encode(value) == canonical.dumps(value).encode("utf-8")


def test_golden_digest_is_stable() -> None:
    # A golden vector: if this changes, every stored hash in the field breaks.
    assert canonical.digest({"type": "finding.set", "level": 2, "note": "Đi muộn"}) == (
        canonical.sha256_hex('{"level":2,"note":"Đi muộn","type":"finding.set"}'.encode())
    )


def test_floats_and_non_nfc_strings_are_refused() -> None:
    with pytest.raises(BugError):
        canonical.dumps({"level": 1.0})
    with pytest.raises(BugError):
        canonical.dumps({"name": unicodedata.normalize("NFD", "Nguyễn")})


def test_nfc_normalises_keys_and_values() -> None:
    nfd = unicodedata.normalize("NFD", "Phường Hoàn Kiếm")
    assert canonical.nfc({nfd: [nfd]}) == {"Phường Hoàn Kiếm": ["Phường Hoàn Kiếm"]}
