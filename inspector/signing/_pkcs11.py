"""PKCS#11 details behind `sources.open_pkcs11`: module, token, PIN, key and certificate lookup.

Kept apart so `import inspector.signing` does not load python-pkcs11's native module until a
token is actually used. Listing tokens and reading the signing certificate need no PIN (both
are public objects), so the user sees whose certificate is on the token before typing one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pkcs11
from asn1crypto import x509 as asn1_x509
from pkcs11 import Attribute, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11err
from pyhanko.sign.pkcs11 import PKCS11Signer

from inspector.errors import UserError
from inspector.signing.certs import CertificateInfo
from inspector.signing.identity import PIN_ATTEMPTS, PinError, SignerSource, TokenInfo

_TOKEN_HINT = "Cắm lại token, chờ vài giây rồi thử lại; kiểm tra đúng tên token trong phần Cài đặt."


def _load_module(module_path: str) -> Any:
    if not Path(module_path).is_file():
        raise UserError("Không tìm thấy thư viện PKCS#11 “{path}”.",
                        hint="Cài trình điều khiển (driver) của token rồi chọn lại đường dẫn "
                             "thư viện (ví dụ eTPKCS11.dll hoặc bit4xpki.dll) trong Cài đặt.",
                        path=module_path)
    try:
        return pkcs11.lib(module_path)
    except Exception as exc:  # a native library can fail in many ways
        raise UserError("Không nạp được thư viện PKCS#11 “{path}”.",
                        hint="Thư viện có thể hỏng hoặc không đúng kiến trúc (32/64-bit); "
                             "cài lại trình điều khiển của token.", path=module_path) from exc


def _tokens(lib: Any) -> list[tuple[int, Any]]:
    found = []
    try:
        for slot in lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except p11err.PKCS11Error:
                continue
            if token.flags & TokenFlag.TOKEN_INITIALIZED:
                found.append((int(slot.slot_id), token))
    except p11err.PKCS11Error as exc:
        raise UserError("Không đọc được danh sách token.", hint=_TOKEN_HINT) from exc
    return found


def _info(slot: int, token: Any) -> TokenInfo:
    return TokenInfo(slot, str(token.label).strip(), str(token.manufacturer_id).strip(),
                     str(token.model).strip(), bytes(token.serial).decode("ascii", "replace").strip(),
                     bool(token.flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH))


def list_tokens(module_path: str) -> list[TokenInfo]:
    return [_info(slot, token) for slot, token in _tokens(_load_module(module_path))]


def _find_token(lib: Any, label: str | None, slot: int | None = None) -> Any:
    tokens = _tokens(lib)
    labels = ", ".join(f"“{t.label.strip()}” (khe {n})" for n, t in tokens)
    present = f"Các token đang cắm: {labels}." if labels else "Không có token nào đang cắm."
    if slot is not None:
        for number, token in tokens:
            if number == slot:
                return token
        raise UserError("Không có token nào trong khe {slot}. {present}", hint=_TOKEN_HINT, slot=slot,
                        present=present)
    if label:
        for _, token in tokens:
            if token.label.strip() == label.strip():
                return token
        raise UserError("Không tìm thấy token “{label}”. {present}", hint=_TOKEN_HINT, label=label,
                        present=present)
    if len(tokens) == 1:
        return tokens[0][1]
    if not tokens:
        raise UserError("Không có token nào đang cắm vào máy.", hint=_TOKEN_HINT)
    raise UserError("Đang cắm nhiều token; cần chọn một. {present}", present=present,
                    hint="Chọn khe (slot) hoặc tên của token cần dùng để ký.")


def _pin_error(token: Any, *, locked: bool = False) -> PinError:
    try:
        flags = token.flags
    except p11err.PKCS11Error:
        flags = TokenFlag(0)
    if locked or flags & TokenFlag.USER_PIN_LOCKED:
        return PinError("Token đã bị khóa do nhập sai mã PIN quá số lần cho phép.",
                        hint="Liên hệ nơi cấp chứng thư số để mở khóa token; "
                             "không thử thêm mã PIN.", locked=True)
    final_try = bool(flags & TokenFlag.USER_PIN_FINAL_TRY)
    if final_try:
        tries = "Token báo chỉ còn 1 lần thử: nhập sai lần nữa token sẽ bị khóa."
    elif flags & TokenFlag.USER_PIN_COUNT_LOW:
        tries = "Token báo đã có lần nhập sai trước đó, số lần thử còn lại đã giảm."
    else:
        tries = ""
    return PinError("Mã PIN không đúng. Token sẽ bị khóa sau {attempts} lần nhập sai liên tiếp. "
                    "{tries}", hint="Kiểm tra bàn phím (Caps Lock, bộ gõ tiếng Việt) rồi nhập lại.",
                    final_try=final_try, attempts=PIN_ATTEMPTS, tries=tries)


def _login(token: Any, pin: str | None) -> Any:
    if token.flags & TokenFlag.USER_PIN_LOCKED:
        raise _pin_error(token, locked=True)
    try:
        return token.open(user_pin=pkcs11.PROTECTED_AUTH if pin is None else pin)
    except p11err.PinLocked as exc:
        raise _pin_error(token, locked=True) from exc
    except (p11err.PinIncorrect, p11err.PinInvalid, p11err.PinLenRange) as exc:
        raise _pin_error(token) from exc
    except p11err.PinExpired as exc:
        raise UserError("Mã PIN của token đã hết hạn.",
                        hint="Đổi mã PIN bằng phần mềm quản lý token rồi thử lại.") from exc
    except p11err.PKCS11Error as exc:
        raise UserError("Không mở được phiên làm việc với token “{label}”.", hint=_TOKEN_HINT,
                        label=token.label.strip()) from exc


def _pick(objects: list[Any], what: str, label: str | None) -> Any:
    if label is not None:
        objects = [o for o in objects if o[Attribute.LABEL] == label]
    if len(objects) == 1:
        return objects[0]
    if not objects:
        raise UserError("Không tìm thấy {what} trên token{named}.", what=what,
                        named=f" với nhãn “{label}”" if label else "",
                        hint="Kiểm tra token đúng là token ký số đã được cấp chứng thư.")
    names = ", ".join(f"“{o[Attribute.LABEL]}”" for o in objects)
    raise UserError("Token có nhiều {what} ({names}); cần chọn một.", what=what, names=names,
                    hint="Chọn nhãn (label) của khóa ký trong phần Cài đặt.")


def _signing_objects(session: Any, key_label: str | None,
                     cert_label: str | None) -> tuple[Any, asn1_x509.Certificate,
                                                      tuple[asn1_x509.Certificate, ...]]:
    keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                     Attribute.SIGN: True}))
    key = _pick(keys, "khóa ký", key_label)
    cert_objs = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
    if cert_label is not None:
        cert_obj = _pick(cert_objs, "chứng thư số", cert_label)
    else:
        key_id = key[Attribute.ID]
        cert_obj = _pick([c for c in cert_objs if c[Attribute.ID] == key_id], "chứng thư số", None)
    certs = {bytes(c[Attribute.VALUE]): c for c in cert_objs}
    cert = asn1_x509.Certificate.load(bytes(cert_obj[Attribute.VALUE]))
    chain = tuple(asn1_x509.Certificate.load(der) for der in certs
                  if der != bytes(cert_obj[Attribute.VALUE]))
    return key, cert, chain


def read_certificate(module_path: str, token_label: str | None, slot: int | None = None,
                     key_label: str | None = None, cert_label: str | None = None) -> CertificateInfo:
    """The signing certificate on a token, read without logging in (certificates are public)."""
    token = _find_token(_load_module(module_path), token_label, slot)
    try:
        session = token.open()
    except p11err.PKCS11Error as exc:
        raise UserError("Không mở được phiên làm việc với token “{label}”.", hint=_TOKEN_HINT,
                        label=token.label.strip()) from exc
    try:
        certs = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
        if cert_label is None and key_label is not None:
            cert_label = key_label
        if cert_label is not None:
            chosen = _pick(certs, "chứng thư số", cert_label)
        else:
            # Without a login the private key is hidden: the signing certificate is the one that is
            # not a CA (no other certificate on the token names it as issuer).
            parsed = [(c, asn1_x509.Certificate.load(bytes(c[Attribute.VALUE]))) for c in certs]
            leaves = [c for c, cert in parsed if not cert.ca]
            chosen = _pick(leaves, "chứng thư số", None)
        return CertificateInfo.from_asn1(asn1_x509.Certificate.load(bytes(chosen[Attribute.VALUE])))
    except p11err.PKCS11Error as exc:
        raise UserError("Không đọc được chứng thư số trên token “{label}”.", hint=_TOKEN_HINT,
                        label=token.label.strip()) from exc
    finally:
        session.close()


def open_source(module_path: str, token_label: str | None, pin: str | None, key_label: str | None,
                cert_label: str | None, *, slot: int | None = None) -> SignerSource:
    lib = _load_module(module_path)
    token = _find_token(lib, token_label, slot)
    session = _login(token, pin)
    label = token.label.strip()
    try:
        key, cert, chain = _signing_objects(session, key_label, cert_label)
        key_id = bytes(key[Attribute.ID]) or None
        signer = PKCS11Signer(session, signing_cert=cert, ca_chain=chain,
                              key_id=key_id, key_label=None if key_id else key[Attribute.LABEL])
        _ = signer.signing_cert  # loads the key handle now, so problems surface before signing
        return SignerSource(signer, cert, "pkcs11", chain=chain, closer=session.close)
    except p11err.PKCS11Error as exc:
        session.close()
        raise UserError("Không đọc được khóa ký hoặc chứng thư số trên token “{label}”.",
                        hint=_TOKEN_HINT, label=label) from exc
    except BaseException:
        session.close()
        raise
