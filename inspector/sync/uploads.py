"""Uploading evidence after the events: have/want, then resumable chunked uploads.

A resumed upload always starts at the offset the *server* reports (from starting the upload
again, from a 409, or from HEAD), never at one the client remembers. Each chunk carries its
SHA-256 (the signed Content-Digest); the server checks it (460 on mismatch, the chunk is simply
sent again) and hashes the whole file at the end (422: the upload starts over, once, after the
local file has been re-verified — a corrupt local file is reported and never uploaded). A 423
means an earlier request of this device still holds the upload on the server (say, one the
client gave up on): it waits a moment and asks for the offset again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from inspector import canonical
from inspector.errors import UserError
from inspector.sync import state, steps
from inspector.sync.keys import b64
from inspector.sync.progress import Progress, SyncCancelled, SyncProgress
from inspector.sync.retry import wait_or_cancel
from inspector.sync.steps import SyncContext
from inspector.sync.transport import Transport, TransportError
from inspector.sync.wire import chunked

MAX_CHECKSUM_RETRIES = 5
MAX_BUSY_RETRIES = 20
PARALLEL_UPLOADS = 3


class BlobUploader:
    """Runs uploads on its own threads; every database write happens on the calling thread."""

    def __init__(self, ctx: SyncContext, http: Transport, *, chunk_size: int) -> None:
        self.ctx = ctx
        self.http = http
        self.chunk_size = max(1024, chunk_size)
        self.sent_bytes = 0

    def _mark(self, shas: list[str]) -> None:
        if shas:
            now = self.ctx.now()
            self.ctx.write(lambda c: steps.mark_blobs(c, shas, now))

    def wanted(self, hint: list[str]) -> list[tuple[str, int, dict[str, Any] | None]]:
        """(sha256, size, the upload the server started for it) for every blob it lacks."""
        vault, store = self.ctx.vault, self.ctx.store
        local = [s for s in dict.fromkeys(state.unsent_blobs(store.conn) + hint) if vault.path_for(s).is_file()]
        local = [s for s in local if not store.scalar(
            "SELECT 1 FROM sync_blobs WHERE sha256 = ? AND server_has = 1", (s,))]
        sizes = {s: size for s in local if (size := vault.size_of(s)) is not None}
        want: list[tuple[str, int, dict[str, Any] | None]] = []
        for page in chunked(local, 5000):
            data = self.http.json("POST", "/sync/v1/blobs/missing",
                                  canonical.encode({"have": [[s, sizes[s]] for s in page]}))
            started: dict[str, Any] = data["uploads"] if isinstance(data.get("uploads"), dict) else {}
            page_want = [s for s in data.get("want", []) if s in sizes]
            want += [(s, sizes[s], started.get(s)) for s in page_want]
            self._mark([s for s in page if s not in set(page_want)])
        return want

    def upload_all(self, hint: list[str], progress: Progress,
                   cancel: threading.Event) -> tuple[int, int, list[str]]:
        """Upload every wanted blob, three at a time: while the server flushes one and hashes another,
        the next one is read, hashed and sent. Results are recorded on the calling thread."""
        want = self.wanted(hint)
        total_bytes = sum(size for _, size, _ in want)
        done = 0
        warnings: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def report(_: int = 0) -> None:
            with lock:
                progress(SyncProgress("blobs", f"Đang tải minh chứng: xong {done}/{len(want)} tệp"
                                      f" ({self.sent_bytes // 1024} KB/{total_bytes // 1024} KB).",
                                      blobs_done=done, blobs_total=len(want),
                                      bytes_sent=self.sent_bytes, bytes_total=total_bytes))

        if want:
            progress(SyncProgress("blobs", f"Cần tải {len(want)} tệp minh chứng ({total_bytes // 1024} KB).",
                                  blobs_total=len(want), bytes_total=total_bytes))
        with ThreadPoolExecutor(max_workers=PARALLEL_UPLOADS, thread_name_prefix="upload") as pool:
            futures = {pool.submit(self.upload, sha, size, report, cancel, stop, lock, started): sha
                       for sha, size, started in want}
            try:
                for future in as_completed(futures):
                    sha = futures[future]
                    if future.result():
                        self._mark([sha])
                        done += 1
                        report()
                    else:
                        warnings.append(f"Một ảnh hoặc tệp minh chứng ({sha[:12]}…) trong máy bị hỏng"
                                        " (nội dung không còn như lúc lưu); không gửi. Hãy kiểm tra kho"
                                        " minh chứng (Công cụ › Kiểm tra toàn vẹn dữ liệu).")
            except BaseException:
                stop.set()  # the other upload stops at its next chunk; the server keeps its offset
                raise
        return done, self.sent_bytes, warnings

    def _offset(self, upload_id: str) -> int:
        response = self.http.request("HEAD", f"/sync/v1/uploads/{upload_id}", b"", accept={200, 404})
        return int(response.headers.get("upload-offset", "0")) if response.status_code == 200 else 0

    def _start(self, sha: str, size: int) -> tuple[str | None, int]:
        data = self.http.json("POST", "/sync/v1/uploads", canonical.encode({"sha256": sha, "size": size}))
        if data.get("present"):
            return None, size
        return str(data["upload_id"]), int(data["offset"])

    def upload(self, sha: str, size: int, report: Callable[[int], None], cancel: threading.Event,
               stop: threading.Event, lock: threading.Lock,
               started: dict[str, Any] | None = None) -> bool:
        """Send one blob from the server's offset; False if the local file turned out corrupt.
        Runs on an upload thread: it never touches the database."""
        restarted = False
        busy = 0
        while True:
            upload_id: str | None
            if started is not None and started.get("present") is False and started.get("size") == size:
                upload_id, offset = str(started["upload_id"]), int(started["offset"])
            elif started is not None and started.get("present") is True:
                return True
            else:
                upload_id, offset = self._start(sha, size)
            started = None  # a restart asks the server again
            if upload_id is None:
                return True
            checksum_failures = 0
            with self.ctx.vault.open_blob(sha) as fh:  # plaintext, decrypted on the fly
                while True:
                    if cancel.is_set() or stop.is_set():
                        raise SyncCancelled()
                    fh.seek(offset)
                    chunk = fh.read(min(self.chunk_size, size - offset))
                    whole = offset == 0 and len(chunk) == size
                    response = self.http.request(
                        "PATCH", f"/sync/v1/uploads/{upload_id}", chunk,
                        headers={"Upload-Offset": str(offset),
                                 "Content-Type": "application/offset+octet-stream"},
                        accept={204, 404, 409, 422, 423, 460},
                        # a chunk that is the whole file: its SHA-256 is the file's name, no hashing
                        digest_header=f"sha-256=:{b64(bytes.fromhex(sha))}:" if whole else None)
                    status = response.status_code
                    if status == 204:
                        new = int(response.headers["upload-offset"])
                        with lock:
                            self.sent_bytes += max(0, new - offset)
                        offset = new
                        if response.headers.get("upload-complete") == "?1":
                            return True
                        report(offset)
                    elif status == 409:
                        offset = int(response.headers["upload-offset"])  # the server's offset wins
                    elif status == 423:  # an earlier request of ours still holds it on the server
                        busy += 1
                        if busy > MAX_BUSY_RETRIES:
                            raise TransportError(UserError(
                                "Máy chủ đang bận ghi tệp minh chứng này.", hint="Đồng bộ lại sau ít phút."),
                                retryable=True)
                        wait_or_cancel(cancel, min(2.0, 0.1 * busy))
                        offset = self._offset(upload_id)
                    elif status == 460:
                        if whole and not self.ctx.vault.verify(sha, size):
                            return False  # the local file no longer matches its name
                        checksum_failures += 1
                        if checksum_failures > MAX_CHECKSUM_RETRIES:
                            raise TransportError(UserError(
                                "Đường truyền liên tục làm hỏng dữ liệu khi tải minh chứng.",
                                hint="Thử lại với mạng khác, hoặc dùng gói dữ liệu qua USB."),
                                retryable=True)
                    elif status == 404:
                        break  # the server forgot the upload (expired): start it again
                    else:  # 422: the whole file did not hash to its name on the server
                        if not self.ctx.vault.verify(sha, size) or restarted:
                            return False
                        restarted = True
                        break
