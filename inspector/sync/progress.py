"""What a long sync reports while it runs, and how it is stopped (shared by every sync step)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from inspector.errors import CancelledByUser


class SyncCancelled(CancelledByUser):
    def __init__(self) -> None:
        super().__init__("Đã dừng đồng bộ theo yêu cầu; phần đã gửi được máy chủ giữ lại.",
                         hint="Chạy đồng bộ lại để tiếp tục từ chỗ đã dừng.")


@dataclass(frozen=True)
class SyncProgress:
    phase: str  # session | events | blobs | refdata | receipt | done
    message: str
    events_sent: int = 0
    events_total: int = 0
    blobs_done: int = 0
    blobs_total: int = 0
    bytes_sent: int = 0
    bytes_total: int = 0


Progress = Callable[[SyncProgress], None]


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise SyncCancelled()
