"""The HTTP face of the central server: a Starlette app, run by uvicorn (`central.serve`).

Endpoints are plain module-level functions; what they share lives in `app.state` (the
`Runtime`: writer thread, readers, limits). A device's signature is checked by the
authentication middleware from the headers alone, before any body is read, so an unknown
device cannot make the server read (or store) anything. Every refusal is an exception turned
into a JSON answer with a Vietnamese message by the app's exception handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
from collections.abc import AsyncIterator

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from inspector.central.console.routes import console_routes
from inspector.central.console.web import ConsoleState, SecurityHeaders, html_http_errors, make_state
from inspector.central.errors import ApiError, refuse
from inspector.central.middleware import (
    EXCEPTION_HANDLERS,
    Guard,
    JsonLog,
    LogSink,
    error_response,
    lifespan,
    stderr_log,
)
from inspector.central.openapi import spec
from inspector.central.readiness import readiness
from inspector.central.runtime import Runtime, ServerLimits
from inspector.central.schema import DeviceRecord
from inspector.central.uploads import MAX_CHUNK, Ticket, open_part, storage_error
from inspector.sync.httpsig import digest_matches
from inspector.sync.wire import MAX_BATCH_BYTES

SMALL_BODY = 4 * 1024 * 1024
ENROLL_BODY = 64 * 1024
QUEUED_PIECES = 64  # body pieces (≈ 64 KiB each) waiting for the disk, per upload
SIGNED_PREFIX = "/sync/v1/"
UNSIGNED = frozenset({"/sync/v1/enroll"})

__all__ = ["LogSink", "ServerLimits", "create_app", "stderr_log"]


# -- what every endpoint uses -------------------------------------------------------------------
def runtime_of(request: HTTPConnection) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


class DeviceUser(BaseUser):
    """The enrolled device a request is signed by."""

    def __init__(self, device: DeviceRecord) -> None:
        self.device = device

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.device.device_id


def device_of(request: Request) -> DeviceRecord:
    user = request.user
    if not isinstance(user, DeviceUser):  # the middleware signs every /sync/v1 path but enroll
        raise refuse(401, "unsigned", "Yêu cầu không có chữ ký hợp lệ của thiết bị.")
    return user.device


def _target(conn: HTTPConnection) -> str:
    raw: bytes = conn.scope.get("raw_path") or conn.scope["path"].encode()
    query: bytes = conn.scope.get("query_string", b"")
    return raw.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")


class _Refused(AuthenticationError):
    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


class SignatureBackend(AuthenticationBackend):
    """RFC 9421 device signatures (`sync.httpsig`), checked on a reader connection."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        path = conn.scope["path"]
        if not path.startswith(SIGNED_PREFIX) or path in UNSIGNED:
            return None
        runtime = runtime_of(conn)
        headers = {k.lower(): v for k, v in conn.headers.items()}
        method, target = conn.scope["method"], _target(conn)
        try:
            device = await runtime.read(lambda store: runtime.central.auth.check(store, method, target, headers))
        except ApiError as exc:
            raise _Refused(exc) from exc
        conn.scope.setdefault("state", {})["device"] = device.device_id
        return AuthCredentials(["device"]), DeviceUser(device)


def _on_auth_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    if isinstance(exc, _Refused):
        return error_response(exc.error)
    return error_response(refuse(401, "unsigned", "Yêu cầu không có chữ ký hợp lệ của thiết bị."))


@contextlib.asynccontextmanager
async def received(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The request body, at most `limit` bytes, held within the server's body budget for as long
    as the caller works with it (`ServerLimits.buffered_body_bytes`)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise refuse(413, "too_large", "Dữ liệu gửi lên vượt giới hạn ({limit} byte).", limit=limit)
    size = int(declared) if declared is not None else limit
    async with runtime_of(request).body_budget().reserve(size):
        parts: list[bytes] = []
        total = 0
        async for piece in request.stream():
            total += len(piece)
            if total > limit:
                raise refuse(413, "too_large", "Dữ liệu gửi lên vượt giới hạn ({limit} byte).", limit=limit)
            parts.append(piece)
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        del parts
        yield body


async def _drain(request: Request, limit: int) -> None:
    """Read and drop a body we refuse, so the client reads our answer on a healthy connection."""
    with contextlib.suppress(ClientDisconnect, ApiError):
        seen = 0
        async for piece in request.stream():
            seen += len(piece)
            if seen > limit:
                break


def _checked(request: Request, body: bytes) -> None:
    if not digest_matches(request.headers.get("content-digest", ""), hashlib.sha256(body).digest()):
        raise refuse(401, "digest", "Nội dung yêu cầu không khớp chữ ký (bị thay đổi trên đường truyền).")


def client_address(request: Request) -> str:
    return str(request.scope.get("state", {}).get("client_address") or (
        request.client.host if request.client else "?"))


# -- endpoints ----------------------------------------------------------------------------------
async def health(request: Request) -> Response:
    """Liveness: the database answers on the loop's own read-only connection (see `lifespan`)."""
    return JSONResponse(runtime_of(request).central.health(request.app.state.health_store.conn))


async def ready(request: Request) -> Response:
    """Readiness, for a load balancer: 200 when this process can take sync traffic, else 503 with
    what is wrong (the database does not answer a read within a few seconds, the blob volume is
    not writable or nearly full, the process is at its request limit)."""
    runtime = runtime_of(request)
    report = await readiness(runtime)
    return JSONResponse(report, 200 if report["status"] == "ready" else 503)


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


async def enroll(request: Request) -> Response:
    runtime = runtime_of(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    address = client_address(request)
    async with received(request, ENROLL_BODY) as body:
        result = await runtime.write(lambda: runtime.central.enroll(headers, body, address))
    request.scope.setdefault("state", {})["device"] = result["device_id"]
    return JSONResponse(result)


async def session(request: Request) -> Response:
    device, runtime = device_of(request), runtime_of(request)
    async with received(request, SMALL_BODY) as body:
        _checked(request, body)
        return JSONResponse(await runtime.read(lambda store: runtime.central.session(device, body, store.conn)))


async def push(request: Request) -> Response:
    device, runtime = device_of(request), runtime_of(request)
    async with received(request, MAX_BATCH_BYTES) as body:
        _checked(request, body)
        return JSONResponse(await runtime.write(lambda: runtime.central.push(device, body)))


async def blobs_missing(request: Request) -> Response:
    device, runtime = device_of(request), runtime_of(request)
    async with received(request, SMALL_BODY) as body:
        _checked(request, body)
        return JSONResponse(await runtime.write(lambda: runtime.central.want(device, body)))


async def start_upload(request: Request) -> Response:
    device, runtime = device_of(request), runtime_of(request)
    async with received(request, ENROLL_BODY) as body:
        _checked(request, body)
        result = await runtime.write(lambda: runtime.central.start_upload(device, body))
    return JSONResponse(result, 200 if result["present"] or result["offset"] else 201)


async def upload_offset(request: Request) -> Response:
    device, runtime = device_of(request), runtime_of(request)
    upload_id = request.path_params["upload_id"]
    offset, size = await runtime.read(lambda store: runtime.central.uploads.offset(store.conn, device, upload_id))
    return Response(status_code=200, headers={"Upload-Offset": str(offset), "Upload-Length": str(size)})


async def _take(receive: MemoryObjectReceiveStream[bytes]) -> list[bytes]:
    """The next body pieces waiting for the disk (at least one; none when the body ended)."""
    try:
        pieces = [await receive.receive()]
    except anyio.EndOfStream:
        return []
    while True:
        try:
            pieces.append(receive.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream):
            return pieces


async def _stream_chunk(request: Request, ticket: Ticket) -> tuple[int, bytes]:
    """Stream the body into the locked partial file at the ticket's offset, hashing it on the way.
    Disk writes and hashing run on a worker thread fed through a bounded memory stream: when the
    disk is slower than the network the stream fills and reading the socket waits (back-pressure)."""
    send, receive = anyio.create_memory_object_stream[bytes](QUEUED_PIECES)
    digest = hashlib.sha256()

    def write_all() -> int:
        position = ticket.offset
        with receive:
            while pieces := anyio.from_thread.run(_take, receive):
                for piece in pieces:
                    os.pwrite(ticket.fd, piece, position)
                    digest.update(piece)
                    position += len(piece)
        return position - ticket.offset

    writer = asyncio.ensure_future(anyio.to_thread.run_sync(write_all))
    received_bytes = 0
    try:
        async with send:
            async for piece in request.stream():
                received_bytes += len(piece)
                if received_bytes > ticket.length:
                    raise refuse(413, "too_long", "Khối dữ liệu dài hơn khai báo.")
                await send.send(piece)
    finally:
        try:
            written = await writer
        except OSError as exc:  # disk full or failing: 507, the acknowledged offset is unchanged
            raise storage_error(exc) from exc
    return written, digest.digest()


async def upload_chunk(request: Request) -> Response:
    """One chunk, under the upload's lock (`upload_locks`) from the offset check to the
    acknowledgement; the body streams into the partial file, the writer thread acknowledges it."""
    device, runtime = device_of(request), runtime_of(request)
    uploads = runtime.central.uploads
    upload_id = request.path_params["upload_id"]
    raw_offset, raw_length = request.headers.get("upload-offset", ""), request.headers.get("content-length", "")
    if not (raw_offset.isdigit() and raw_length.isdigit() and len(raw_offset) <= 18 and len(raw_length) <= 18):
        await _drain(request, MAX_CHUNK)
        raise refuse(400, "offset", "Thiếu vị trí tải lên (Upload-Offset) hoặc độ dài khối.")
    offset, length = int(raw_offset), int(raw_length)
    streamed = False
    try:
        lease = await runtime.io_call(lambda: uploads.lock(upload_id))
        try:
            with open_part(uploads.path(upload_id)) as fd:
                ticket = await runtime.read(lambda store: uploads.begin(store.conn, device, upload_id, offset,
                                                                        length, fd, lease))
                streamed = True
                written, digest = await _stream_chunk(request, ticket)
                claimed = request.headers.get("content-digest", "")
                settled = await runtime.io_call(lambda: uploads.settle(ticket, written, digest, claimed))
                result = await runtime.write(lambda: uploads.record(ticket, written, settled))
        finally:
            with anyio.CancelScope(shield=True):  # a cut connection still frees the upload at once
                await runtime.io_call(lambda: uploads.unlock(lease))
    except ApiError as exc:
        if exc.status == 423:
            uploads.stats.busy += 1
        if not streamed:  # refused before reading the body: read it away, answer on a sound connection
            await _drain(request, MAX_CHUNK)
        raise
    return Response(status_code=204, headers={
        "Upload-Offset": str(result.offset), "Upload-Length": str(result.size),
        "Upload-Complete": "?1" if result.complete else "?0"})


async def changes(request: Request) -> Response:
    device, runtime = device_of(request), runtime_of(request)
    since, limit = request.query_params.get("since", "0"), request.query_params.get("limit", "500")
    if not (since.isdigit() and limit.isdigit() and len(since) <= 18 and len(limit) <= 18):
        raise refuse(422, "invalid", "Tham số trang dữ liệu không hợp lệ.")
    data, cursor, more = await runtime.read(
        lambda store: runtime.central.changes(device, int(since), int(limit), store.conn))
    return Response(data, 200, media_type="application/x-ndjson",
                    headers={"X-Next-Cursor": str(cursor), "X-More": "1" if more else "0"})


async def receipt(request: Request) -> Response:
    device, runtime = device_of(request), runtime_of(request)
    async with received(request, SMALL_BODY) as body:
        _checked(request, body)
        return JSONResponse(await runtime.read(lambda store: runtime.central.receipt(device, body, store.conn)))


async def raw(request: Request) -> Response:
    """Benchmark baseline: store the body like a plain PUT would (kept: a stored upload keeps
    its bytes), without any of the protocol's checks."""
    runtime = runtime_of(request)
    path = runtime.central.vault.tmp / f"raw-{secrets.token_hex(8)}"
    size = 0
    with path.open("wb") as fh:
        async for piece in request.stream():
            fh.write(piece)
            size += len(piece)
        await runtime.io_call(lambda: os.fsync(fh.fileno()))
    return JSONResponse({"received": size})


ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/ready", ready, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/sync/v1/enroll", enroll, methods=["POST"]),
    Route("/sync/v1/session", session, methods=["POST"]),
    Route("/sync/v1/events", push, methods=["POST"]),
    Route("/sync/v1/blobs/missing", blobs_missing, methods=["POST"]),
    Route("/sync/v1/uploads", start_upload, methods=["POST"]),
    Route("/sync/v1/uploads/{upload_id}", upload_offset, methods=["HEAD"]),
    Route("/sync/v1/uploads/{upload_id}", upload_chunk, methods=["PATCH"]),
    Route("/sync/v1/changes", changes, methods=["GET"]),
    Route("/sync/v1/receipt", receipt, methods=["POST"]),
]
RAW_ROUTE = Route("/bench/raw", raw, methods=["POST"])


def create_app(runtime: Runtime, *, log: LogSink = stderr_log, raw_upload: bool = False,
               trusted_proxies: tuple[str, ...] = (), console: ConsoleState | None = None) -> ASGIApp:
    """The ASGI app: JSON request log around the Starlette app and its middleware. The office
    console's pages live under `/` (`central.console`), the device API under `/sync/v1`."""
    app = Starlette(
        routes=[*ROUTES, *([RAW_ROUTE] if raw_upload else []), *console_routes()],
        middleware=[Middleware(Guard, limits=runtime.limits, trusted_proxies=frozenset(trusted_proxies)),
                    Middleware(SecurityHeaders),
                    Middleware(AuthenticationMiddleware, backend=SignatureBackend(), on_error=_on_auth_error)],
        exception_handlers={**EXCEPTION_HANDLERS, HTTPException: html_http_errors(EXCEPTION_HANDLERS[HTTPException])},
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.console = console or make_state(runtime)
    app.state.openapi = spec(raw_upload=raw_upload)
    return JsonLog(app, log)
