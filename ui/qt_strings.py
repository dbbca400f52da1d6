"""Vietnamese for Qt's own strings (standard buttons, text context menus, dialogs).

Qt ships no Vietnamese qtbase translation, so without this a Vietnamese window would show
"OK", "Cancel" or "Copy". The table is small and covers what our widgets display.
"""

from __future__ import annotations

from PySide6.QtCore import QTranslator

QT_VI: dict[str, str] = {
    "OK": "Đồng ý", "&OK": "Đồng ý", "Cancel": "Hủy", "&Cancel": "Hủy", "Close": "Đóng", "&Close": "Đóng",
    "Save": "Lưu", "&Save": "Lưu", "Save All": "Lưu tất cả", "Open": "Mở", "&Open": "Mở",
    "Yes": "Có", "&Yes": "Có", "No": "Không", "&No": "Không", "Yes to &All": "Có với tất cả",
    "N&o to All": "Không với tất cả", "Apply": "Áp dụng", "Discard": "Bỏ", "Don't Save": "Không lưu",
    "Close without Saving": "Đóng không lưu", "Help": "Trợ giúp", "Reset": "Đặt lại",
    "Restore Defaults": "Khôi phục mặc định", "Abort": "Dừng", "Retry": "Thử lại", "Ignore": "Bỏ qua",
    "Show Details...": "Xem chi tiết…", "Hide Details...": "Ẩn chi tiết…",
    "&Undo": "&Hoàn tác", "&Redo": "&Làm lại", "Cu&t": "Cắ&t", "&Copy": "&Sao chép", "&Paste": "&Dán",
    "Delete": "Xóa", "Select All": "Chọn tất cả", "Copy &Link Location": "Sao chép địa chỉ liên kết",
    "Look in:": "Tìm trong:", "File &name:": "Tên tệp:", "Files of type:": "Loại tệp:",
    "Back": "Quay lại", "Forward": "Tiếp", "Parent Directory": "Thư mục cha", "Create New Folder": "Tạo thư mục",
    "List View": "Dạng danh sách", "Detail View": "Dạng chi tiết", "All Files (*)": "Mọi tệp (*)",
    "Name": "Tên", "Size": "Kích thước", "Type": "Loại", "Date Modified": "Ngày sửa",
    "&Choose": "&Chọn", "Choose": "Chọn",
}


class QtStringsTranslator(QTranslator):
    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        # None (a null QString) means "not translated here": Qt then keeps its own text.
        return QT_VI.get(source)
