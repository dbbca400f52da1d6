"""One error hierarchy for the whole product.

User-facing errors carry a Vietnamese message template, what to do next, and where the problem is
(a file, a field path, a row). The template is the translation key: the UI renders it through the
translator, the CLI and logs render the Vietnamese source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Translate = Callable[[str], str]


def _identity(text: str) -> str:
    return text


def _render(template: str, params: dict[str, Any], tr: Translate) -> str:
    # Always format: a template without parameters may still escape braces ("{{…}}").
    return tr(template).format(**params)


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class InspectorError(Exception):
    """Base of every error raised on purpose by the core.

    Pickled by value (its attributes), not by calling `__init__` again: errors raised in the
    signing worker process (`inspector.worker`) reach the app's process with their message
    template, hint and parameters intact, whatever the subclass's `__init__` takes.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class UserError(InspectorError):
    """Something the user can act on: bad input, a missing record, a refused action.

    Raising one guarantees that nothing was changed.
    """

    def __init__(self, message: str, *, hint: str = "", where: str = "", **params: Any) -> None:
        self.template = message
        self.hint_template = hint
        self.where = where
        self.params = params
        super().__init__(self.render())

    def message(self, tr: Translate = _identity) -> str:
        return _render(self.template, self.params, tr)

    def hint(self, tr: Translate = _identity) -> str:
        return _render(self.hint_template, self.params, tr) if self.hint_template else ""

    def render(self, tr: Translate = _identity) -> str:
        parts = []
        if self.where:
            parts.append(f"{self.where}: ")
        parts.append(self.message(tr))
        hint = self.hint(tr)
        if hint:
            parts.append(f" {hint}")
        return "".join(parts)


class NotFoundError(UserError):
    """A record the user named does not exist."""


class RefusedError(UserError):
    """The action is not allowed in the current state (sealed inspection, locked version...)."""


class CancelledByUser(UserError):
    """The user stopped a long operation; what was done so far is kept. Not a failure to retry."""


class StorageError(UserError):
    """The disk or the file system refused: full disk, no permission, unreadable file."""


@dataclass(frozen=True)
class Problem:
    """One precise complaint about an input: where it is and what is wrong."""

    where: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, tr: Translate = _identity) -> str:
        return _render(self.template, self.params, tr)

    def render(self, tr: Translate = _identity) -> str:
        return f"{self.where}: {self.message(tr)}" if self.where else self.message(tr)


class ValidationError(UserError):
    """An input file or form failed validation; every problem found is listed."""

    def __init__(self, source: str, problems: Iterable[Problem], *, hint: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(
            "Tệp {source} không hợp lệ ({count} lỗi); không có gì được nhập.",
            hint=hint or "Sửa các lỗi được liệt kê rồi thử lại.",
            source=source,
            count=len(self.problems),
        )

    def render(self, tr: Translate = _identity) -> str:
        head = super().render(tr)
        lines = [head] + [f"  - {p.render(tr)}" for p in self.problems]
        return "\n".join(lines)


class IntegrityError(InspectorError):
    """Stored data does not match its own hashes or its event log."""


class BugError(InspectorError):
    """An internal invariant was broken: a defect in our code, never the user's fault."""
