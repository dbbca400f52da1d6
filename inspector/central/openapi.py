"""The OpenAPI 3.1 description of the central server, served at /openapi.json (hand-written)."""

from __future__ import annotations

from typing import Any

from inspector.sync.wire import PROTOCOL

_SIGNED: list[dict[str, list[str]]] = [{"deviceSignature": []}]
_ERROR = {"description": "Refused; nothing was changed",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_AUTH_ERRORS = {"401": _ERROR, "403": _ERROR, "408": _ERROR, "413": _ERROR, "503": _ERROR}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _op(summary: str, *, signed: bool = True, body: dict[str, Any] | None = None,
        responses: dict[str, Any] | None = None, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**(responses or {}),
                                                            **(_AUTH_ERRORS if signed else {})}}
    if signed:
        op["security"] = _SIGNED
    if body is not None:
        op["requestBody"] = {"required": True, **body}
    if params:
        op["parameters"] = params
    return op


_CHAINS = {"type": "array", "description": "[device id, epoch, last seq the client holds]",
           "items": {"type": "array", "prefixItems": [
               {"type": "string", "pattern": "^[0-9a-f]{32}$"}, {"type": "integer", "minimum": 1},
               {"type": "integer", "minimum": 0}]}}
_NDJSON = {"content": {"application/x-ndjson": {"schema": {
    "type": "string", "description": "Event batch: a header line with the chain ranges and their"
                                     " signed heads, then one canonical JSON event per line"}}}}
_UPLOAD_ID = [{"name": "upload_id", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}]
_OFFSET = {"Upload-Offset": {"schema": {"type": "integer"}}, "Upload-Length": {"schema": {"type": "integer"}}}


def spec(*, raw_upload: bool = False) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/health": {"get": _op("Liveness and the server id", signed=False,
                               responses={"200": {"description": "ok"}})},
        "/ready": {"get": _op("Readiness for a load balancer: the database answers, the blob volume is"
                              " writable with room", signed=False,
                              responses={"200": {"description": "ready"}, "503": {"description": "not ready"}})},
        "/openapi.json": {"get": _op("This description", signed=False,
                                     responses={"200": {"description": "OpenAPI document"}})},
        "/sync/v1/enroll": {"post": _op(
            "Exchange a one-time enrollment token for a registration (signed with the new key)",
            signed=False, body=_json({"type": "object", "required": [
                "token", "public_key", "x25519_public", "label", "epoch", "protocol"]}),
            responses={"200": {"description": "Registered: server id, server keys (pin them), epoch"},
                       "401": _ERROR, "403": _ERROR, "409": _ERROR, "422": _ERROR, "426": _ERROR,
                       "429": _ERROR})},
        "/sync/v1/session": {"post": _op(
            "Open a sync: server time, the server's head of each chain, limits",
            body=_json({"type": "object", "properties": {"protocol": {"const": PROTOCOL},
                                                         "chains": _CHAINS}}),
            responses={"200": {"description": "Session"}, "426": _ERROR})},
        "/sync/v1/events": {"post": _op(
            "Push events (idempotent by device, epoch, seq and hash); the ack follows COMMIT. 403: the"
            " device may not write an event (author or team; quarantined), 409: fork, 422: gap,"
            " invalid, or an event time beyond the server's clock + 5 min (`clock`)",
            body=_NDJSON, responses={"200": {"description": "Acked heads and missing blobs"},
                                     "409": _ERROR, "422": _ERROR})},
        "/sync/v1/blobs/missing": {"post": _op(
            "Have/want: which of these blobs the server still needs",
            body=_json({"type": "object", "properties": {"have": {"type": "array", "maxItems": 10000}}}),
            responses={"200": {"description": "{want: [sha256…]}"}})},
        "/sync/v1/uploads": {"post": _op(
            "Start or resume the upload of one blob (one upload per SHA-256)",
            body=_json({"type": "object", "required": ["sha256", "size"]}),
            responses={"200": {"description": "Already stored, or an upload to resume"},
                       "201": {"description": "Upload created"}, "409": _ERROR, "413": _ERROR})},
        "/sync/v1/uploads/{upload_id}": {
            "head": _op("The server's offset of an upload", params=_UPLOAD_ID,
                        responses={"200": {"description": "Offset", "headers": _OFFSET}, "404": _ERROR}),
            "patch": _op("Append one chunk at Upload-Offset; Content-Digest is the chunk checksum."
                         " 423: another request holds this upload",
                         params=_UPLOAD_ID, body={"content": {"application/offset+octet-stream": {}}},
                         responses={"204": {"description": "New offset", "headers": _OFFSET},
                                    "409": _ERROR, "423": _ERROR, "460": _ERROR, "422": _ERROR,
                                    "404": _ERROR, "507": _ERROR}),
        },
        "/sync/v1/changes": {"get": _op(
            "One page of reference data (the server's own signed event chain) after a cursor",
            params=[{"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}}],
            responses={"200": {"description": "Event batch (may be empty); X-Next-Cursor, X-More",
                               **_NDJSON}})},
        "/sync/v1/receipt": {"post": _op(
            "A receipt signed by the server: what it holds for this device",
            body=_json({"type": "object", "properties": {"chains": _CHAINS}}),
            responses={"200": {"description": "{receipt, sig}"}})},
    }
    if raw_upload:
        paths["/bench/raw"] = {"post": _op("Benchmark baseline: stream a body to disk, no checks",
                                           signed=False, body={"content": {"application/octet-stream": {}}},
                                           responses={"200": {"description": "bytes received"}})}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Inspector central server", "version": f"sync protocol {PROTOCOL}",
                 "description": "See docs/sync-protocol.md for the protocol and its guarantees."},
        "paths": paths,
        "components": {
            "securitySchemes": {"deviceSignature": {
                "type": "apiKey", "in": "header", "name": "Signature",
                "description": "RFC 9421 Ed25519 signature over @method, @request-target and"
                               " content-digest, with created, nonce and keyid (the device id)"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string"}, "message": {"type": "string"}, "hint": {"type": "string"}}}},
        },
    }
