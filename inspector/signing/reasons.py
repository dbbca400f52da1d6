"""Vietnamese explanations for pyHanko's verdicts, written for an inspector, not a PKI expert."""

from __future__ import annotations

from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESSubIndic

BROKEN = "Không đọc được chữ ký trong ô “{name}”: dữ liệu chữ ký bị hỏng hoặc không đúng chuẩn."

_MODIFICATIONS = {
    "OTHER": "nội dung trang, hình ảnh hoặc cấu trúc tệp đã bị sửa",
    "ANNOTATIONS": "có thêm ghi chú (annotation) trên trang",
    "FORM_FILLING": "có thêm chữ ký hoặc dữ liệu biểu mẫu",
}


def modification_text(level: str | None) -> str:
    detail = _MODIFICATIONS.get(level or "OTHER", "có thay đổi không xác định")
    return f"Tài liệu đã bị sửa sau khi ký theo cách không được phép ({detail})."


def trust_problem_text(indic: AdESSubIndic | None, have_roots: bool, *, subject: str,
                       at_proven_time: bool = False) -> str:
    """The rest of a sentence starting with "Chứng thư của người ký " (or the TSA's)."""
    if not have_roots:
        return ("chưa được kiểm tra nguồn gốc vì chưa cấu hình chứng thư gốc tin cậy "
                "(thư mục chứng thư gốc trống).")
    when = "tại thời điểm của dấu thời gian" if at_proven_time else "tại thời điểm kiểm tra"
    if indic in (AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
                 AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE, None):
        return ("không nối được tới chứng thư gốc tin cậy nào đã cấu hình: có thể do tổ chức "
                "không được công nhận cấp, hoặc thiếu chứng thư gốc của nơi cấp.")
    if indic in (AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
                 AdESIndeterminate.EXPIRED):
        return (f"đã hết hạn {when}; không có dấu thời gian chứng minh chữ ký được tạo khi "
                "chứng thư còn hiệu lực.")
    if indic in (AdESIndeterminate.NOT_YET_VALID, AdESFailure.NOT_YET_VALID):
        return f"chưa có hiệu lực {when}."
    if indic in (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE,
                 AdESIndeterminate.REVOKED_CA_NO_POE):
        return "đã bị thu hồi."
    if indic in (AdESIndeterminate.SIG_CONSTRAINTS_FAILURE,
                 AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE):
        return ("không được cấp cho mục đích ký số tài liệu (thiếu quyền sử dụng khóa phù hợp) "
                f"hoặc {subject} vi phạm ràng buộc của nơi cấp.")
    if indic in (AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
                 AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE):
        return "dùng thuật toán mật mã đã lỗi thời, không còn được chấp nhận."
    return f"không được xác nhận là tin cậy (mã lỗi {getattr(indic, 'name', indic)})."
