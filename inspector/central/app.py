"""The HTTP face of the central server: a Starlette app, run by uvicorn.

All database and file work runs on one dedicated thread that owns the SQLite connection (the
`Runtime`); the event loop only moves bytes. A request is authenticated from its headers before
its body is read, so an unknown device cannot make the server read (or store) anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import queue
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inspector.central.errors import ApiError, refuse
from inspector.central.openapi import spec
from inspector.central.schema import DeviceRecord
from inspector.central.server import Central, Sizes, wire_refusal
from inspector.central.uploads import MAX_CHUNK, storage_error
from inspector.clock import Clock
from inspector.errors import UserError
from inspector.store.db import Store, connect
from inspector.sync.httpsig import digest_matches
from inspector.sync.wire import MAX_BATCH_BYTES, WireError

T = TypeVar("T")
LogSink = Callable[[dict[str, Any]], None]
SMALL_BODY = 4 * 1024 * 1024
QUEUED_PIECES = 64  # body pieces (≈ 64 KiB each) waiting for the disk, per upload


class Runtime:
    """The one thread that owns the server database, and the Central living on it."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None, sizes: Sizes | None = None) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="central-db")
        # file writes and hashing of upload chunks (they release the GIL): the event loop keeps
        # parsing the next request meanwhile
        self.io = ThreadPoolExecutor(max_workers=4, thread_name_prefix="central-io")
        # request authentication reads with its own connection, so it never waits for a write
        self.reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="central-auth")
        self.central: Central = self.executor.submit(
            lambda: Central(data_dir, clock=clock, sizes=sizes)).result()
        self.reader_store: Store = self.reader.submit(
            lambda: Store(self.central.store.path, connect(self.central.store.path))).result()

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self.executor.submit(fn))

    async def io_call(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self.io.submit(fn))

    async def read(self, fn: Callable[[Store], T]) -> T:
        return await asyncio.wrap_future(self.reader.submit(lambda: fn(self.reader_store)))

    def call(self, fn: Callable[[], T]) -> T:
        """Run on the database thread from any other thread (tests, admin in the same process)."""
        return self.executor.submit(fn).result()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.executor.submit(self.central.close).result()
        with contextlib.suppress(Exception):
            self.reader.submit(self.reader_store.close).result()
        for pool in (self.executor, self.io, self.reader):
            pool.shutdown(wait=True)


def stderr_log(record: dict[str, Any]) -> None:
    sys.stderr.write(json.dumps(record, ensure_ascii=False) + "\n")


class JsonLog:
    """One JSON line per request: method, path, status, device, duration."""

    def __init__(self, app: ASGIApp, sink: LogSink) -> None:
        self.app = app
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        finally:
            state = scope.get("state") or {}
            self.sink({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "method": scope["method"], "path": scope["path"], "status": status,
                       "device": state.get("device"),
                       "duration_ms": round((time.perf_counter() - start) * 1000, 2)})


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise refuse(413, "too_large", "Dữ liệu gửi lên vượt giới hạn ({limit} byte).", limit=limit)
    parts: list[bytes] = []
    size = 0
    async for piece in request.stream():
        size += len(piece)
        if size > limit:
            raise refuse(413, "too_large", "Dữ liệu gửi lên vượt giới hạn ({limit} byte).", limit=limit)
        parts.append(piece)
    return b"".join(parts)


def _target(request: Request) -> str:
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    query: bytes = request.scope.get("query_string", b"")
    return raw.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")


def create_app(runtime: Runtime, *, log: LogSink = stderr_log, raw_upload: bool = False) -> ASGIApp:
    central = runtime.central
    described = spec(raw_upload=raw_upload)

    async def signed(request: Request, limit: int, *, read: bool = True) -> tuple[DeviceRecord, bytes]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        device = await runtime.read(lambda store: central.auth.check(
            store, request.method, _target(request), headers))
        request.state.device = device.device_id
        body = await read_body(request, limit) if read else b""
        return device, body

    def digest_ok(request: Request, body: bytes) -> bool:
        return digest_matches(request.headers.get("content-digest", ""), hashlib.sha256(body).digest())

    def endpoint(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return JSONResponse(exc.body(), exc.status, headers=exc.headers)
            except WireError as exc:
                refusal = wire_refusal(exc)
                return JSONResponse(refusal.body(), refusal.status)
            except UserError as exc:
                return JSONResponse({"error": "refused", "message": exc.message(), "hint": exc.hint()}, 400)
            except ClientDisconnect:
                return Response(status_code=400)
            except Exception:
                logging.getLogger("inspector.central").exception("unexpected error")
                return JSONResponse({"error": "internal", "message": "Lỗi không mong đợi ở máy chủ."}, 500)
        return wrapped

    def checked(request: Request, body: bytes) -> None:
        if not digest_ok(request, body):
            raise refuse(401, "digest", "Nội dung yêu cầu không khớp chữ ký (bị thay đổi trên đường truyền).")

    @endpoint
    async def health(request: Request) -> Response:
        return JSONResponse(await runtime.run(central.health))

    @endpoint
    async def openapi(request: Request) -> Response:
        return JSONResponse(described)

    @endpoint
    async def enroll(request: Request) -> Response:
        body = await read_body(request, 64 * 1024)
        headers = {k.lower(): v for k, v in request.headers.items()}
        address = request.client.host if request.client else "?"
        result = await runtime.run(lambda: central.enroll(headers, body, address))
        request.state.device = result["device_id"]
        return JSONResponse(result)

    def json_call(fn: Callable[[DeviceRecord, bytes], dict[str, Any]], limit: int = SMALL_BODY) -> Any:
        @endpoint
        async def handler(request: Request) -> Response:
            device, body = await signed(request, limit)
            checked(request, body)
            return JSONResponse(await runtime.run(lambda: fn(device, body)))
        return handler

    @endpoint
    async def start_upload(request: Request) -> Response:
        device, body = await signed(request, 64 * 1024)
        checked(request, body)
        data = json.loads(body) if body else None
        if not isinstance(data, dict) or set(data) != {"sha256", "size"}:
            raise refuse(422, "invalid", "Yêu cầu tải tệp không hợp lệ.")
        result = await runtime.run(lambda: central.uploads.start(device.device_id, data["sha256"], data["size"]))
        return JSONResponse(result, 200 if result["present"] or result["offset"] else 201)

    @endpoint
    async def upload_offset(request: Request) -> Response:
        await signed(request, 0)
        upload_id = request.path_params["upload_id"]
        offset, size = await runtime.run(lambda: central.uploads.offset(upload_id))
        return Response(status_code=200, headers={"Upload-Offset": str(offset), "Upload-Length": str(size)})

    upload_locks: dict[str, asyncio.Lock] = {}

    @endpoint
    async def upload_chunk(request: Request) -> Response:
        """The body streams straight into the partial file (hashed on the way), like a plain
        upload would; the database thread then checks, flushes and acknowledges it."""
        await signed(request, 0, read=False)
        upload_id = request.path_params["upload_id"]
        raw_offset, raw_length = request.headers.get("upload-offset", ""), request.headers.get(
            "content-length", "")
        if not (raw_offset.isdigit() and raw_length.isdigit()):
            raise refuse(400, "offset", "Thiếu vị trí tải lên (Upload-Offset) hoặc độ dài khối.")
        offset, length = int(raw_offset), int(raw_length)
        lock = upload_locks.setdefault(upload_id, asyncio.Lock())
        async with lock:
            try:
                ticket = await runtime.read(lambda store: central.uploads.begin(
                    store.conn, upload_id, offset, length))
            except ApiError:
                await read_body(request, MAX_CHUNK)  # keep the connection usable for the answer
                raise
            digest = hashlib.sha256()
            received = 0
            parts: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

            def consume(fh: BinaryIO) -> None:  # on an io thread: disk and hashing off the loop
                while (part := parts.get()) is not None:
                    fh.write(part)
                    digest.update(part)
                    ticket.absorb(part)

            with ticket.path.open("r+b") as fh:
                fh.seek(offset)
                writer = runtime.io.submit(consume, fh)
                try:
                    async for piece in request.stream():
                        received += len(piece)
                        if received > length:
                            raise refuse(413, "too_long", "Khối dữ liệu dài hơn khai báo.")
                        parts.put(piece)
                        while parts.qsize() > QUEUED_PIECES:  # back-pressure: bounded memory
                            await asyncio.sleep(0.002)
                finally:
                    parts.put(None)
                    try:
                        await asyncio.wrap_future(writer)
                    except OSError as exc:  # disk full or failing: 507, the offset is unchanged
                        raise storage_error(exc) from exc
            claimed = request.headers.get("content-digest", "")
            stored = await runtime.io_call(lambda: central.uploads.settle(
                ticket, received, digest.digest(), claimed))
            result = await runtime.run(lambda: central.uploads.record(ticket, received, stored))
        if not lock.locked():
            upload_locks.pop(upload_id, None)
        return Response(status_code=204, headers={
            "Upload-Offset": str(result.offset), "Upload-Length": str(result.size),
            "Upload-Complete": "?1" if result.complete else "?0"})

    @endpoint
    async def changes(request: Request) -> Response:
        device, _ = await signed(request, 0)
        since, limit = request.query_params.get("since", "0"), request.query_params.get("limit", "500")
        if not (since.isdigit() and limit.isdigit()):
            raise refuse(422, "invalid", "Tham số trang dữ liệu không hợp lệ.")
        data, cursor, more = await runtime.run(lambda: central.changes(device, int(since), int(limit)))
        return Response(data, 200, media_type="application/x-ndjson",
                        headers={"X-Next-Cursor": str(cursor), "X-More": "1" if more else "0"})

    @endpoint
    async def raw(request: Request) -> Response:
        """Benchmark baseline: store the body like a plain PUT would (kept: a stored upload keeps
        its bytes), without any of the protocol's checks."""
        path = central.vault.tmp / f"raw-{secrets.token_hex(8)}"
        size = 0
        with path.open("wb") as fh:
            async for piece in request.stream():
                fh.write(piece)
                size += len(piece)
            await runtime.run(lambda: os.fsync(fh.fileno()))
        return JSONResponse({"received": size})

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/sync/v1/enroll", enroll, methods=["POST"]),
        Route("/sync/v1/session", json_call(central.session), methods=["POST"]),
        Route("/sync/v1/events", json_call(central.push, MAX_BATCH_BYTES), methods=["POST"]),
        Route("/sync/v1/blobs/missing", json_call(central.want), methods=["POST"]),
        Route("/sync/v1/uploads", start_upload, methods=["POST"]),
        Route("/sync/v1/uploads/{upload_id}", upload_offset, methods=["HEAD"]),
        Route("/sync/v1/uploads/{upload_id}", upload_chunk, methods=["PATCH"]),
        Route("/sync/v1/changes", changes, methods=["GET"]),
        Route("/sync/v1/receipt", json_call(central.receipt), methods=["POST"]),
    ]
    if raw_upload:
        routes.append(Route("/bench/raw", raw, methods=["POST"]))
    return JsonLog(Starlette(routes=routes), log)


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8765, *,
          clock: Clock | None = None, raw_upload: bool = False) -> None:
    """`inspector central serve`: run until interrupted (`raw_upload`: benchmarks only)."""
    import uvicorn

    runtime = Runtime(data_dir, clock=clock)
    try:
        config = uvicorn.Config(create_app(runtime, raw_upload=raw_upload), host=host, port=port,
                                access_log=False,
                                log_level="warning", lifespan="off")
        uvicorn.Server(config).run()
    finally:
        runtime.close()
