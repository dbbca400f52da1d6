"""Finding the PKCS#11 libraries that Vietnamese CA token drivers install (nothing is loaded)."""

from __future__ import annotations

from pathlib import Path

from inspector.signing import detect_pkcs11_modules
from inspector.signing.modules import KNOWN_MODULES


def test_windows_system_folder_and_program_files() -> None:
    present = {r"D:\Win\System32\viettel-ca_v6.dll", r"D:\Win\System32\vnpt-ca_csp11.dll",
               r"C:\Apps\Bkav Corporation\BkavCA Token Manager\st3csp11.dll", r"D:\Win\System32\eTPKCS11.dll"}
    found = detect_pkcs11_modules(system="Windows", env={"SystemRoot": r"D:\Win", "ProgramFiles": r"C:\Apps"},
                                  exists=lambda p: p in present)
    assert [(m.vendor, m.path) for m in found] == [
        ("VNPT-CA", r"D:\Win\System32\vnpt-ca_csp11.dll"),
        ("Viettel-CA", r"D:\Win\System32\viettel-ca_v6.dll"),
        ("BkavCA", r"C:\Apps\Bkav Corporation\BkavCA Token Manager\st3csp11.dll"),
        ("SafeNet eToken (Ban Cơ yếu)", r"D:\Win\System32\eTPKCS11.dll"),
    ]


def test_linux_paths_including_the_home_folder(tmp_path: Path) -> None:
    driver = tmp_path / ".uid" / "viettel-ca_v6.so"
    driver.parent.mkdir()
    driver.write_bytes(b"\x7fELF")
    found = detect_pkcs11_modules(system="Linux", env={"HOME": str(tmp_path)})
    assert ("Viettel-CA", str(driver)) in [(m.vendor, m.path) for m in found]


def test_nothing_found_is_an_empty_list_and_every_vendor_is_listed() -> None:
    assert detect_pkcs11_modules(system="Windows", env={}, exists=lambda p: False) == []
    vendors = {m.vendor.split(" ")[0] for m in KNOWN_MODULES}
    assert {"VNPT-CA", "Viettel-CA", "BkavCA", "FPT-CA", "MISA-CA", "Newtel-CA"} <= vendors
