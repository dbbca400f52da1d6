"""An sRGB ICC profile, version 2.1, built from the sRGB definition (IEC 61966-2-1).

PDF/A-2 references ICC.1:2004-10 (profile version 4.2) at most; LittleCMS (through Pillow) only
writes version 4.3/4.4 profiles, which strict validators flag. A version 2 matrix/TRC display
profile is accepted by every PDF/A part and every reader, and it is small enough to write here,
so no profile file with its own licence is bundled. The bytes never change (fixed date).
"""

from __future__ import annotations

import struct
from functools import lru_cache

VERSION_2_1 = 0x02100000
DESCRIPTION = "sRGB IEC61966-2.1"
COPYRIGHT = "No copyright, use freely"
TRC_POINTS = 1024

# sRGB primaries and D65 white, chromatically adapted to the D50 profile connection space
# (Bradford), as published with IEC 61966-2-1 and used by the usual "sRGB IEC61966-2.1" profiles.
D50 = (0.9642, 1.0, 0.8249)
RED = (0.4360747, 0.2225045, 0.0139322)
GREEN = (0.3850649, 0.7168786, 0.0971045)
BLUE = (0.1430804, 0.0606169, 0.7141733)


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15f16(v) for v in values)


def _text(text: str) -> bytes:
    return b"text" + bytes(4) + text.encode("ascii") + b"\0"


def _description(text: str) -> bytes:
    """textDescriptionType (ICC v2): ASCII part, empty Unicode and ScriptCode parts."""
    ascii_part = text.encode("ascii") + b"\0"
    return (b"desc" + bytes(4) + struct.pack(">I", len(ascii_part)) + ascii_part
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + bytes(67))


def _srgb_decode(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _curve() -> bytes:
    points = [round(_srgb_decode(n / (TRC_POINTS - 1)) * 65535) for n in range(TRC_POINTS)]
    return b"curv" + bytes(4) + struct.pack(">I", TRC_POINTS) + struct.pack(f">{TRC_POINTS}H", *points)


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


@lru_cache(maxsize=1)
def srgb_v2_profile() -> bytes:
    curve = _curve()
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _description(DESCRIPTION)), (b"cprt", _text(COPYRIGHT)), (b"wtpt", _xyz(D50)),
        (b"rXYZ", _xyz(RED)), (b"gXYZ", _xyz(GREEN)), (b"bXYZ", _xyz(BLUE)),
        (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table = struct.pack(">I", len(tags))
    body = b""
    placed: dict[bytes, tuple[int, int]] = {}
    for signature, data in tags:
        if data not in placed:  # the three TRC tags share one curve
            placed[data] = (offset + len(body), len(data))
            body += _pad(data)
        start, size = placed[data]
        table += signature + struct.pack(">II", start, size)
    size = 128 + len(table) + len(body)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", VERSION_2_1) + b"mntr" + b"RGB " + b"XYZ "
              + struct.pack(">6H", 2020, 1, 1, 0, 0, 0) + b"acsp" + bytes(4) + struct.pack(">I", 0)
              + bytes(4) + bytes(4) + bytes(8) + struct.pack(">I", 0)
              + b"".join(_s15f16(v) for v in D50) + b"lcms" + bytes(16) + bytes(28))
    return header + table + body
