"""Refusals of the central server: an HTTP status, a stable code, and a Vietnamese message."""

from __future__ import annotations

from typing import Any

from inspector.errors import UserError


class ApiError(Exception):
    """A refused request. Raising one guarantees the server state was not changed by it."""

    def __init__(self, status: int, code: str, error: UserError, *,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        self.status = status
        self.code = code
        self.error = error
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(f"{status} {code}: {error.render()}")

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.error.message(), "hint": self.error.hint(),
                **self.extra}


def refuse(status: int, code: str, message: str, *, hint: str = "",
           headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None,
           **params: Any) -> ApiError:
    return ApiError(status, code, UserError(message, hint=hint, **params), headers=headers, extra=extra)
