"""One app per data directory: never two writers on one database.

The first start takes a lock file in the data directory (QLockFile: it holds the process id, so
the lock of a crashed app is recognised as stale and taken over) and listens on a local socket
named after the directory. A second start on the same directory finds the lock held, asks the
running app to bring its window forward and exits; if the running app does not answer, it says
plainly that the data directory is already open.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

LOCK_NAME = "inspector.lock"
REQUEST = b"show\n"
REPLY = b"shown\n"
ANSWER_TIMEOUT_MS = 5000  # a running app busy starting up answers once its event loop runs


class Claim(Enum):
    PRIMARY = "primary"            # this process owns the data directory
    FORWARDED = "forwarded"        # the running app was asked to come forward and answered
    ALREADY_OPEN = "already_open"  # another process holds it and did not answer


def server_name(data_dir: Path) -> str:
    """A local socket name per data directory and user (the same folder reached by two paths is one)."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (service accounts, some containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    key = f"{os.path.realpath(data_dir)}\n{user}".encode()
    return "inspector-" + hashlib.sha256(key).hexdigest()[:24]


class InstanceGuard(QObject):
    """Claim the data directory before anything opens its database; keep the claim until `release`."""

    activation_requested = Signal()  # a second start asked this app to show its window

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.name = server_name(data_dir)
        self.lock = QLockFile(str(data_dir / LOCK_NAME))
        self.lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self.server: QLocalServer | None = None

    def claim(self, *, forward: bool = True, answer_timeout_ms: int = ANSWER_TIMEOUT_MS) -> Claim:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.lock.tryLock(0):
            self._listen()
            return Claim.PRIMARY
        if self.lock.error() != QLockFile.LockError.LockFailedError:
            # The folder cannot hold a lock file (read-only, no permission): opening the database
            # will fail the same way and say so; there is no second writer to protect against.
            return Claim.PRIMARY
        if forward and self._ask_forward(answer_timeout_ms):
            return Claim.FORWARDED
        if self.lock.tryLock(200):  # the other app was just closing
            self._listen()
            return Claim.PRIMARY
        return Claim.ALREADY_OPEN

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.lock.isLocked():
            self.lock.unlock()

    # -- the running app --------------------------------------------------------------------
    def _listen(self) -> None:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.name)  # a crashed app's socket file; we hold the lock now
        if server.listen(self.name):
            server.newConnection.connect(self._on_connection)
            self.server = server

    def _on_connection(self) -> None:
        server = self.server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            if socket is not None:
                socket.readyRead.connect(lambda s=socket: self._on_request(s))
                socket.disconnected.connect(socket.deleteLater)

    def _on_request(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(REQUEST):
            self.activation_requested.emit()
            socket.write(REPLY)
            socket.flush()
        socket.disconnectFromServer()

    # -- a second start ---------------------------------------------------------------------
    def _ask_forward(self, timeout_ms: int) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(min(timeout_ms, 1500)):
            return False
        socket.write(REQUEST)
        if not socket.waitForBytesWritten(1000):
            return False
        answer = b""
        while REPLY not in answer and socket.waitForReadyRead(timeout_ms):
            answer += bytes(socket.readAll().data())
        socket.abort()
        return REPLY in answer
