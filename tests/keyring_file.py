"""A file-backed `keyring` backend for the tests only: CI machines have no Secret Service.

Selected through PYTHON_KEYRING_BACKEND by tests/conftest.py (so subprocesses use it too); the
file lives in a temporary directory of the test session. Never used by the product.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock
from keyring.backend import KeyringBackend

PATH_ENV = "INSPECTOR_TEST_KEYRING"
BACKEND = "tests.keyring_file.FileKeyring"


def use_file_keyring(directory: Path) -> None:
    """Select this backend for this process and its children (tests and benchmarks only)."""
    os.environ["PYTHON_KEYRING_BACKEND"] = BACKEND
    os.environ[PATH_ENV] = str(directory / "keyring.json")
    for name in ("INSPECTOR_PASSPHRASE", "INSPECTOR_RECOVERY_KEY", "INSPECTOR_KEY_STORE"):
        os.environ.pop(name, None)


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ[PATH_ENV])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._path().read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    @contextmanager
    def _changing(self) -> Iterator[dict[str, str]]:
        """Read, change and write back the file under a lock: several threads (two laptops in one
        test) and processes (a test and its server) write it at once; none may lose another's key."""
        path = self._path()
        with FileLock(str(path) + ".lock"):
            data = self._load()
            yield data
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._changing() as data:
            data[f"{service}/{username}"] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._changing() as data:
            data.pop(f"{service}/{username}", None)
