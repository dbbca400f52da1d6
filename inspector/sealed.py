"""The laptop's vault: every file encrypted and authenticated on its own, names keyed.

File format (one file = one blob):

    MAGIC "INSPVLT" 0x01 | salt (16 random bytes) | chunk₀ | chunk₁ | … | chunkₙ
    chunk = AES-256-GCM(file key, nonce = u88 index ‖ final flag, plaintext ≤ 64 KiB,
                        aad = MAGIC ‖ salt)

The file key is HKDF-SHA256(vault key, salt, "inspector/vault-file/v1"): a fresh key per file, so
counter nonces never repeat. The final flag on the last chunk (the STREAM construction, as in age
and Tink) makes truncation, reordering and appending detectable; every chunk is checked before
its bytes are returned. An empty file is one empty final chunk.

Names: the file of plaintext SHA-256 `s` is stored as HMAC-SHA256(name key, s) in hex. Dedupe
keeps working (same content, same name) and the content address used by events, sync and
receipts stays the plaintext's SHA-256, while a directory listing no longer confirms that a
known photo is on the laptop. Reading a whole file checks its SHA-256 too, so a file swapped
between two names is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inspector.errors import StorageError
from inspector.keys import DataKeys
from inspector.vault import DEFAULT_MAX_SIZE, Vault, _Sink, check_sha

MAGIC = b"INSPVLT\x01"
SALT = 16
HEADER = len(MAGIC) + SALT
PLAIN_CHUNK = 64 * 1024
TAG = 16
SEALED_CHUNK = PLAIN_CHUNK + TAG


class CorruptBlob(ValueError):
    """A vault file that does not decrypt and authenticate (damaged, truncated or not ours)."""


def _file_key(vault_key: bytes, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"inspector/vault-file/v1").derive(vault_key)
    return AESGCM(key)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def plain_size(sealed_size: int) -> int:
    """The plaintext size of a sealed file of `sealed_size` bytes (ValueError if impossible)."""
    body = sealed_size - HEADER
    if body < TAG:
        raise CorruptBlob("too short")
    chunks = -(-body // SEALED_CHUNK)
    size = body - chunks * TAG
    if size < 0 or (chunks > 1 and size <= (chunks - 1) * PLAIN_CHUNK):
        raise CorruptBlob("impossible length")
    return size


class _SealingSink(_Sink):
    def __init__(self, out: BinaryIO, vault_key: bytes) -> None:
        super().__init__(out)
        salt = os.urandom(SALT)
        self.aead = _file_key(vault_key, salt)
        self.aad = MAGIC + salt
        self.index = 0
        self.pending = bytearray()
        out.write(self.aad)

    def write(self, chunk: bytes) -> None:
        self.pending += chunk
        # Keep at least one byte back: the last chunk must be sealed with the final flag.
        while len(self.pending) > PLAIN_CHUNK:
            self._seal(bytes(self.pending[:PLAIN_CHUNK]), final=False)
            del self.pending[:PLAIN_CHUNK]

    def _seal(self, data: bytes, *, final: bool) -> None:
        self.out.write(self.aead.encrypt(_nonce(self.index, final), data, self.aad))
        self.index += 1

    def close(self) -> None:
        self._seal(bytes(self.pending), final=True)
        self.pending.clear()


class SealedReader(io.RawIOBase):
    """Seekable plaintext view of a sealed file; each chunk is authenticated before use."""

    def __init__(self, path: Path, vault_key: bytes) -> None:
        self._fh = path.open("rb")
        try:
            header = self._fh.read(HEADER)
            if len(header) != HEADER or not header.startswith(MAGIC):
                raise CorruptBlob("not a sealed vault file")
            self._aad = header
            self._aead = _file_key(vault_key, header[len(MAGIC):])
            self._size = plain_size(os.fstat(self._fh.fileno()).st_size)
        except BaseException:
            self._fh.close()
            raise
        self._chunks = max(1, -(-self._size // PLAIN_CHUNK))
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def _chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        self._fh.seek(HEADER + index * SEALED_CHUNK)
        sealed = self._fh.read(SEALED_CHUNK)
        try:
            data = self._aead.decrypt(_nonce(index, index == self._chunks - 1), sealed, self._aad)
        except InvalidTag:
            raise CorruptBlob(f"chunk {index} does not authenticate") from None
        self._cached = (index, data)
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._pos >= self._size:
            if self._size == 0 and self._pos == 0:
                self._chunk(0)  # an empty file still has its authenticated final chunk
            return 0
        index, inner = divmod(self._pos, PLAIN_CHUNK)
        data = self._chunk(index)[inner:inner + len(buffer)]
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


class SealedVault(Vault):
    def __init__(self, root: Path, keys: DataKeys, max_size: int = DEFAULT_MAX_SIZE, *,
                 read_only: bool = False) -> None:
        self._vault_key = keys.vault
        self._name_key = keys.names
        super().__init__(root, max_size, read_only=read_only)

    def name_for(self, sha256: str) -> str:
        return hmac.new(self._name_key, check_sha(sha256).encode("ascii"), hashlib.sha256).hexdigest()

    def _sink(self, out: BinaryIO) -> _Sink:
        return _SealingSink(out, self._vault_key)

    def open_blob(self, sha256: str) -> BinaryIO:
        return io.BufferedReader(SealedReader(self.path_for(sha256), self._vault_key),
                                 buffer_size=PLAIN_CHUNK)

    def size_of(self, sha256: str) -> int | None:
        try:
            return plain_size(self.path_for(sha256).stat().st_size)
        except FileNotFoundError:
            return None
        except CorruptBlob:
            return None

    def read_bytes(self, sha256: str) -> bytes:
        try:
            data = super().read_bytes(sha256)
        except CorruptBlob as exc:
            raise StorageError("Tệp minh chứng {sha}… bị hỏng (không giải mã được).",
                               hint="Chạy “Kiểm tra toàn vẹn dữ liệu”, rồi lấy lại tệp từ bản sao lưu.",
                               sha=sha256[:12]) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StorageError("Tệp minh chứng {sha}… không khớp mã băm của nó.",
                               hint="Chạy “Kiểm tra toàn vẹn dữ liệu”, rồi lấy lại tệp từ bản sao lưu.",
                               sha=sha256[:12])
        return data
