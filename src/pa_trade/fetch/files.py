"""The files a fetch writes (raw answers, fetched flows): whole or not at all, and a failure
as one line that says where and why (InputError, exit 3).

A read-only folder, a full disk or a path through a file must not end in a traceback nor
leave a partial file behind: `write_atomically` writes a hidden partial file next to the
target and renames it over the target; on any error the partial file is removed.
`ensure_writable_folder` checks a folder before a download, so that a fetch does not ask a
server for answers it cannot keep.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from pa_trade.errors import InputError

_REASONS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "no such folder",
    errno.EISDIR: "is a folder",
}


def reason(exc: OSError, path: Path | None = None) -> str:
    """Why a write failed, in a few words: 'disk full', 'read-only file system', ..."""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and path is not None:
        # a file where a folder should be: name it
        blocking = next((p for p in (path, *path.parents) if p.is_file()), None)
        if blocking is not None:
            return f"{blocking} is a file, not a folder"
    return _REASONS.get(exc.errno) or exc.strerror or type(exc).__name__


def write_atomically(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Put `data` (bytes, or chunks of bytes written as they come) in `path` in one step:
    readers see the old file or the new, never half.

    A path that exists and is not a regular file (/dev/stdout, a FIFO, /dev/full) is written
    into, never replaced. InputError ('PATH: cannot write (disk full)') when it cannot be
    written; no partial file stays behind.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        try:
            with path.open("wb") as handle:
                for chunk in _chunks(data):
                    handle.write(chunk)
        except OSError as exc:
            raise InputError(f"{path}: cannot write ({reason(exc, path)})") from None
        return
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    descriptor = None
    try:
        # 0o666 less the umask, as any new file: the partial file becomes the file
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_BINARY", 0), 0o666)
        for chunk in _chunks(data):
            write_all(descriptor, chunk)
        closing, descriptor = descriptor, None
        os.close(closing)  # a full disk may be reported only here
        os.replace(partial, path)
    except BaseException as exc:  # chunks made as they are written may fail, or Ctrl-C
        if descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(descriptor)
        with contextlib.suppress(OSError):
            os.unlink(partial)
        if isinstance(exc, OSError):
            raise InputError(f"{path}: cannot write ({reason(exc, path)})") from None
        raise


def _chunks(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    return (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data


def write_all(descriptor: int, data: bytes) -> None:
    """Write all of `data` to an open file descriptor (os.write may take only part)."""
    rest = memoryview(data)
    while rest:
        rest = rest[os.write(descriptor, rest):]


def ensure_writable_folder(folder: Path, what: str) -> None:
    """Create `folder` if needed and make (and remove) a file in it; InputError naming
    `what` the folder is for when that fails: 'cannot write the cache of ... in FOLDER (...)'.

    Tried rather than judged from permission bits, which do not stop root nor tell a
    read-only file system."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{secrets.token_hex(4)}.part"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        with contextlib.suppress(OSError):
            os.unlink(probe)
    except OSError as exc:
        raise InputError(f"cannot write {what} in {folder} ({reason(exc, folder)}); make it "
                         f"writable, or set PA_TRADE_HOME to another folder") from None
