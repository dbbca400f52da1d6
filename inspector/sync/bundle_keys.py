"""Bundle encryption with age (`pyrage`, the Rust implementation): the payload is one age file
encrypted to the X25519 keys of its recipients — the audience, and the source itself, so that the
writer can read its bundle back from the stick and check everything before "safe to remove".

age beats the hand-made framing it replaces (chunked AES-256-GCM with our own nonce, AAD and key
wrapping): it is a small, reviewed, specified format (per-file key wrapped per recipient with
X25519 + HKDF + ChaCha20-Poly1305, a header MAC, the STREAM construction with a final-chunk flag
so truncation and reordering are detected), with interoperable implementations; nothing of it is
ours to get wrong. Each identity's X25519 key is still derived from its Ed25519 key (`sync.keys`):
nothing new to store or back up. The manifest (signed by the source) names the recipients and
the plaintext's size and hashes; age authenticates the ciphertext, the manifest's hashes bind the
plaintext to the signature.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

import pyrage
from cryptography.hazmat.primitives import serialization

from inspector.sync.keys import Signer
from inspector.sync.wire import WireError

ENCRYPTION_ALG = "age-x25519"
CHUNK_SIZE = 1024 * 1024  # how much plaintext is handled at a time (blob pieces)
AGE_CHUNK = 64 * 1024  # age STREAM chunk: each is sealed with a 16-byte tag
AGE_NONCE = 16
AGE_HEADER_MAX = 1024  # the header beyond the recipients' stanzas (version line, grease, MAC)
AGE_STANZA_MAX = 160
_RAW = serialization.Encoding.Raw

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bad(message: str, **params: Any) -> WireError:
    return WireError(message, hint="Xuất lại gói từ máy gửi rồi chép lại vào USB.", code="bundle",
                     **params)


# -- bech32 (BIP 173), as age spells its keys -----------------------------------------------------
def _polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def bech32(hrp: str, data: bytes) -> str:
    acc, bits, words = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[w] for w in words + checksum)


def recipient(x25519_public: bytes) -> pyrage.x25519.Recipient:
    return pyrage.x25519.Recipient.from_str(bech32("age", x25519_public))


def identity(signer: Signer) -> pyrage.x25519.Identity:
    raw = signer.x25519_private().private_bytes(_RAW, serialization.PrivateFormat.Raw,
                                                serialization.NoEncryption())
    return pyrage.x25519.Identity.from_str(bech32("age-secret-key-", raw).upper())


def encryption(recipients: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
    """The manifest's `encryption`: the age recipients (id and X25519 key), in order."""
    return {"alg": ENCRYPTION_ALG, "recipients": [{"id": rid, "x25519": key.hex()} for rid, key in recipients]}


def require_recipient(manifest: dict[str, Any], signer: Signer) -> None:
    """This identity must be one of the bundle's recipients (a clear message rather than age's)."""
    enc = manifest["encryption"]
    if enc is None:
        raise bad("Gói này không có dữ liệu mã hóa.")
    if signer.device_id not in [r["id"] for r in enc["recipients"]]:
        raise WireError("Gói này không được gửi cho máy này nên không mở được.", code="audience",
                        hint="Kiểm tra lại: gói xuất cho máy chủ trung tâm chỉ nhập được ở máy chủ.")


def age_chunks(payload: int) -> int:
    return max(1, -(-payload // AGE_CHUNK))


def ciphertext_bounds(payload: int, recipients: int) -> tuple[int, int]:
    """The size an age file of `payload` plaintext bytes to `recipients` keys can have."""
    body = AGE_NONCE + payload + 16 * age_chunks(payload)
    return body + 40 + 90 * recipients, body + AGE_HEADER_MAX + AGE_STANZA_MAX * recipients


class _Counting:
    """A write-only view that counts what passes (age writes its file through it)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.count = 0
        self.error: BaseException | None = None  # age reports a failed write as its own error

    def write(self, data: bytes) -> int:
        try:
            self.out.write(data)
        except BaseException as exc:
            self.error = exc
            raise
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


class _Plaintext:
    """A read() view of the plaintext pieces (age pulls its input through it)."""

    def __init__(self, pieces: Iterator[bytes], progress: Callable[[int], None] | None) -> None:
        self._pieces = pieces
        self._current = b""
        self._pos = 0
        self._progress = progress
        self.error: BaseException | None = None  # e.g. a blob that no longer matches its name

    def read(self, n: int = -1) -> bytes:
        try:
            return self._read(n)
        except BaseException as exc:
            self.error = exc
            raise

    def _read(self, n: int) -> bytes:
        out = bytearray()
        while n < 0 or len(out) < n:
            if self._pos >= len(self._current):
                piece = next(self._pieces, None)
                if piece is None:
                    break
                self._current, self._pos = piece, 0
                continue
            end = len(self._current) if n < 0 else min(len(self._current), self._pos + n - len(out))
            out += self._current[self._pos:end]  # copies only what is handed over
            self._pos = end
        if self._progress is not None and out:
            self._progress(len(out))
        return bytes(out)


def encrypt_to(out: BinaryIO, pieces: Iterator[bytes], recipients: Sequence[bytes],
               progress: Callable[[int], None] | None = None) -> int:
    """Encrypt the plaintext pieces as one age file to `out`; returns the bytes written."""
    sink, source = _Counting(out), _Plaintext(pieces, progress)
    try:
        pyrage.encrypt_io(source, sink, [recipient(k) for k in recipients])
    except BaseException as exc:
        cause = sink.error or source.error
        if cause is not None:  # the disk, or our own reading: the caller explains those
            raise cause from None
        raise WireError("Không mã hóa được gói dữ liệu.", hint="Xuất lại gói.") from exc
    return sink.count


class _Window:
    """`length` bytes of an open file from `offset` (the age file inside the bundle)."""

    def __init__(self, fh: BinaryIO, offset: int, length: int) -> None:
        fh.seek(offset)
        self._fh = fh
        self._left = length

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._fh.read(n)
        self._left -= len(data)
        return data


_END = object()


class AgeReader:
    """The decrypted payload as a pull stream. age pushes plaintext (chunk by chunk, each
    authenticated before it is released) from a worker thread into a small bounded queue; the
    reader takes exactly what it asks for. Closing early stops the worker at its next write."""

    def __init__(self, fh: BinaryIO, offset: int, length: int, signer: Signer) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=8)
        self._closed = threading.Event()
        self._buffer = b""
        self._pos = 0
        self._done = False
        self._window = _Window(fh, offset, length)
        self._identity = identity(signer)
        self._thread = threading.Thread(target=self._run, name="age-decrypt", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped()

    def _run(self) -> None:
        reader = self

        class Sink:  # age writes ~8 KiB at a time: hand them over in pieces of about a MiB
            def __init__(self) -> None:
                self.pending = bytearray()

            def write(self, data: bytes) -> int:
                self.pending += data
                if len(self.pending) >= CHUNK_SIZE:
                    self.flush()
                return len(data)

            def flush(self) -> None:
                if self.pending:
                    reader._put(bytes(self.pending))
                    self.pending.clear()

        sink = Sink()
        try:
            pyrage.decrypt_io(self._window, sink, [self._identity])
            sink.flush()
        except _Stopped:
            return
        except BaseException as exc:  # handed to the reading thread, which turns it into a message
            try:
                self._put(exc)
            except _Stopped:
                return
            return
        try:
            self._put(_END)
        except _Stopped:
            return

    def _more(self) -> None:
        item = self._queue.get()
        if item is _END:
            self._done = True
            raise bad("Dữ liệu của gói ngắn hơn khai báo.")
        if isinstance(item, BaseException):
            self._done = True
            raise bad("Dữ liệu của gói đã bị thay đổi, bị cắt hoặc không được mã hóa cho máy này.") from item
        assert isinstance(item, bytes)
        self._buffer = self._buffer[self._pos:] + item
        self._pos = 0

    def read(self, n: int) -> bytes:
        """Exactly n bytes (or a WireError)."""
        out = bytearray()
        while len(out) < n:
            if self._pos >= len(self._buffer):
                self._more()
            take = min(n - len(out), len(self._buffer) - self._pos)
            out += self._buffer[self._pos:self._pos + take]
            self._pos += take
        return bytes(out)

    def finish(self) -> None:
        """The plaintext ended exactly here, and age authenticated its last chunk."""
        if self._pos != len(self._buffer):
            raise bad("Dữ liệu của gói dài hơn khai báo.")
        while not self._done:
            item = self._queue.get()
            if item is _END:
                self._done = True
            elif isinstance(item, BaseException):
                self._done = True
                raise bad("Dữ liệu của gói đã bị thay đổi, bị cắt hoặc không được mã hóa cho máy này.") from item
            elif item:
                raise bad("Dữ liệu của gói dài hơn khai báo.")

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=10)


class _Stopped(Exception):
    """The reader went away: the worker stops writing."""
