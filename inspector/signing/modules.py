"""Where Vietnamese CA token drivers put their PKCS#11 library, and which of them this machine has.

Token drivers ("trình điều khiển", installed from the CA's setup program) copy a PKCS#11 module
into the Windows system folder, or under /usr/lib on Linux. Nothing is loaded here: detection only
looks for files, so a broken or foreign DLL cannot crash the app before the user picks one.

Sources for the names (public integrations that load these modules; none is an official CA
document, so the user can always browse for another file):
- VNPT-CA: `vnpt-ca_csp11.dll`, `VNPT-CA_v34.dll`, `vnptca_p11_v6…v10.dll`, `vnpt-ca_cl_v1.dll` —
  the driver lists that web portals hand to the VNPT-CA signing plugin (`vnpt_cams_plugin`,
  `VnptTokenApplet`), and the VNPT-CA CSP registry entries (`vnptca_p11_v6_s.dll` in System32).
- Viettel-CA: `viettel-ca_v1…v6.dll`, `viettel-ca.dll`; Linux `~/.uid/viettel-ca_v6.so`,
  `/usr/lib/libviettel-ca_v2.so` — Viettel-CA's own signing-plugin sample (`LibList_WIN`) and
  desktop signing helpers that scan System32.
- BkavCA: `BkavCA.dll`, `BkavCAv2S.dll`, `st3csp11.dll` (SecureMetric token, also under
  `Program Files\\Bkav Corporation\\BkavCA Token Manager`) — the BkavCA signer plugin's DLL list.
- FPT-CA: `fpt-ca.dll`, `fpt-ca_v4.dll`, `fpt-ca_v5.dll`, `fptca_v3…v6.dll`, `fpt-ca-stx.dll`.
- MISA: `misaca_csp11_v2.dll`. Newtel-CA: `newca_v4.dll`, `NEWTEL-CA.dll`.
- Nacencomm (CA2, NCCA): `CA2_csp11.dll`, `CA2_v34.dll`, `ncca_csp11_v1.dll`, `nca_v4…v9.dll`.
- SmartSign (Vina-CA): `Vina-CA.dll`, `vina-ca_v1…v5.dll`. Safe-CA: `safe-ca.dll`, `Safe-ca_v1/v2.dll`.
  EFY-CA: `efy-ca_v1.dll`. FastCA: `fca_v1.dll`.
- Ban Cơ yếu (chữ ký số chuyên dùng công vụ) tokens: SafeNet `eTPKCS11.dll` / `libeTPkcs11.so`,
  Bit4id `bit4xpki.dll` / `libbit4xpki.so` (document brief §6.1); the Feitian chips many CA
  tokens are built on: `ShuttleCsp11_3003.dll`, `eps2003csp11.dll`, `ngp11v211.dll`; OpenSC.
The lists were gathered from public source code that integrates these tokens (the code search of
this project's research tools); each still needs a check on a machine with the real driver.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath


@dataclass(frozen=True)
class KnownModule:
    vendor: str
    windows: tuple[str, ...] = ()      # file names in the system folder, or paths under Program Files
    linux: tuple[str, ...] = ()        # absolute paths; "~" is the user's home


KNOWN_MODULES: tuple[KnownModule, ...] = (
    KnownModule("VNPT-CA", windows=(
        "vnptca_p11_v10.dll", "vnptca_p11_v9.dll", "vnptca_p11_v8.dll", "vnptca_p11_v7.dll",
        "vnptca_p11_v6.dll", "vnpt-ca_cl_v1.dll", "vnpt-ca_v34.dll", "vnpt-ca_csp11.dll"),
        linux=("/usr/lib/libvnpt-pkcs11.so", "/usr/lib/libvnpt-pkcs11.so.1")),
    KnownModule("Viettel-CA", windows=(
        "viettel-ca_v6.dll", "viettel-ca_v5.dll", "viettel-ca_v4.dll", "viettel-ca_v3.dll",
        "viettel-ca_v2.dll", "viettel-ca_v1.dll", "viettel-ca.dll"),
        linux=("~/.uid/viettel-ca_v6.so", "/usr/lib/libviettel-ca_v2.so")),
    KnownModule("BkavCA", windows=(
        "BkavCA.dll", "BkavCAv2S.dll", "st3csp11.dll",
        r"Bkav Corporation\BkavCA Token Manager\st3csp11.dll")),
    KnownModule("FPT-CA", windows=(
        "fpt-ca_v5.dll", "fpt-ca_v4.dll", "fpt-ca.dll", "fptca_v6.dll", "fptca_v5.dll", "fptca_v4.dll",
        "fptca_v3.dll", "fpt-ca-stx.dll"),
        linux=("/usr/lib/libfpt-pkcs11.so",)),
    KnownModule("MISA-CA", windows=("misaca_csp11_v2.dll",)),
    KnownModule("Newtel-CA", windows=("newca_v4.dll", "NEWTEL-CA.dll")),
    KnownModule("CA2 / NCCA (Nacencomm)", windows=(
        "ncca_csp11_v1.dll", "CA2_csp11.dll", "CA2_v34.dll", "nca_v9.dll", "nca_v8.dll", "nca_v7.dll",
        "nca_v6.dll", "nca_v5.dll", "nca_v4.dll")),
    KnownModule("SmartSign (Vina-CA)", windows=(
        "vina-ca_v5.dll", "vina-ca_v4.dll", "vina-ca_v3.dll", "vina-ca_v1.dll", "Vina-CA.dll")),
    KnownModule("Safe-CA", windows=("Safe-ca_v2.dll", "Safe-ca_v1.dll", "safe-ca.dll")),
    KnownModule("EFY-CA", windows=("efy-ca_v1.dll",)),
    KnownModule("FastCA", windows=("fca_v1.dll",)),
    KnownModule("SafeNet eToken (Ban Cơ yếu)", windows=("eTPKCS11.dll",),
                linux=("/usr/lib/libeTPkcs11.so", "/usr/lib64/libeTPkcs11.so", "/usr/lib/libeToken.so")),
    KnownModule("Bit4id (Ban Cơ yếu)", windows=("bit4xpki.dll",),
                linux=("/usr/lib/libbit4xpki.so", "/usr/lib64/libbit4xpki.so")),
    KnownModule("Feitian ePass", windows=("ShuttleCsp11_3003.dll", "eps2003csp11.dll", "ngp11v211.dll"),
                linux=("/usr/lib/libcastle.so.1.0.0", "/usr/lib/libepsng_p11.so")),
    KnownModule("OpenSC", windows=(r"OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll",),
                linux=("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
                       "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so", "/usr/lib64/opensc-pkcs11.so")),
)


@dataclass(frozen=True)
class DetectedModule:
    vendor: str
    path: str


def _windows_candidates(name: str, env: Mapping[str, str]) -> list[PurePath]:
    if "\\" in name:  # installed under Program Files (a 32-bit process sees "Program Files (x86)" here)
        return [PureWindowsPath(env.get("ProgramFiles", r"C:\Program Files")) / name]
    # The system folder: for a 32-bit process on 64-bit Windows, WOW64 maps System32 to SysWOW64,
    # which is where the 32-bit module the process can load lives.
    return [PureWindowsPath(env.get("SystemRoot") or env.get("WINDIR") or r"C:\Windows") / "System32" / name]


def _linux_candidates(name: str, env: Mapping[str, str]) -> list[PurePath]:
    if name.startswith("~"):
        home = env.get("HOME")
        return [PurePosixPath(home) / name[2:]] if home else []
    return [PurePosixPath(name)]


def detect_pkcs11_modules(*, system: str | None = None, env: Mapping[str, str] | None = None,
                          exists: Callable[[str], bool] | None = None) -> list[DetectedModule]:
    """The known token modules present on this machine, in the order of KNOWN_MODULES.

    The parameters exist for tests (another OS, environment or file system); by default they
    describe this machine.
    """
    system = system or platform.system()
    env = os.environ if env is None else env
    exists = exists or os.path.isfile
    found: list[DetectedModule] = []
    seen: set[str] = set()
    for module in KNOWN_MODULES:
        names = module.windows if system == "Windows" else module.linux if system == "Linux" else ()
        for name in names:
            paths = _windows_candidates(name, env) if system == "Windows" else _linux_candidates(name, env)
            for path in paths:
                key = str(path).lower() if system == "Windows" else str(path)
                if key not in seen and exists(str(path)):
                    seen.add(key)
                    found.append(DetectedModule(module.vendor, str(path)))
    return found
