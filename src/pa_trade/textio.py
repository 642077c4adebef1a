"""Getting text out of the files analysts download: bytes, encodings, lines, delimiters."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from pa_trade.errors import DataError, InputError

DELIMITERS = (";", ",", "\t")
# a cell may be as long as a line: csv's default limit (128 KB) would fail on a long one
csv.field_size_limit(2**31 - 1)
_DELIMITER_NAMES = {";": "';'", ",": "','", "\t": "tab"}


HEAD_BYTES = 256 * 1024  # enough to detect a layout, its delimiter and its number style
FINGERPRINT_PART = 1 << 20
SEPARATOR = " › "  # between an archive and a member in names: Expo_2023.zip › Enero.csv
STREAM_LIMIT = 4 << 30  # what a pipe may give: beyond it, no analyst's file


@dataclass
class SourceFile:
    """One input: its name for messages, and its bytes, held (stdin, tests), on disk, or
    behind `opener` (a member of an archive, a compressed file), decompressed as it is read.

    Big files are never read whole unless a reader asks for `data` or `lines`: fast readers
    stream them from `path` or `open()`. `fingerprint` and `identity`, when given, stand for
    the content (the same file twice) and for the file where it lies (the cache of parsed
    files); `known_size` is the size of the content when `opener` gives it.
    """

    name: str
    held: bytes | None = field(default=None, repr=False)
    path: Path | None = None
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False)
    known_size: int | None = None
    fingerprint: str | None = None
    identity: str | None = None

    @property
    def data(self) -> bytes:
        """All the bytes (read from disk, or decompressed, on first use)."""
        if self.held is None:
            if self.opener is not None:
                with self.opener() as stream:
                    self.held = stream.read()
            else:
                assert self.path is not None
                self.held = self.path.read_bytes()
        return self.held

    @cached_property
    def size(self) -> int:
        if self.held is not None:
            return len(self.held)
        if self.known_size is not None:
            return self.known_size
        return self.path.stat().st_size

    def open(self) -> BinaryIO:
        """A binary stream of the content."""
        if self.held is not None:
            return io.BytesIO(self.held)
        if self.opener is not None:
            return self.opener()
        return open(self.path, "rb")  # noqa: SIM115 (the caller closes it)

    @cached_property
    def head(self) -> bytes:
        """The first bytes, for detection."""
        if self.held is not None:
            return self.held[:HEAD_BYTES]
        with self.open() as stream:
            return stream.read(HEAD_BYTES)

    @cached_property
    def head_lines(self) -> list[str]:
        """Whole lines of the head, decoded (the last, maybe cut, line dropped)."""
        if self.size <= HEAD_BYTES:
            return self.lines
        head = self.head
        cut = head.rfind(b"\n")
        text, _ = decode(head[: cut + 1] if cut > 0 else head, self.name)
        return split_lines(text)

    @cached_property
    def digest(self) -> str:
        """A quick fingerprint of the content: files that differ in it differ.

        Small files are hashed whole; big ones by size, head and tail; archive members by
        what the archive says of them (`fingerprint`, their CRC-32 and size). Two big files
        with the same quick fingerprint are told apart by `content_digest`.
        """
        if self.fingerprint is not None:
            return self.fingerprint
        sha = hashlib.sha256()
        if self.size <= 8 * FINGERPRINT_PART:
            sha.update(self.data)
            return sha.hexdigest()
        sha.update(str(self.size).encode())
        with self.open() as stream:
            sha.update(stream.read(FINGERPRINT_PART))
            stream.seek(-FINGERPRINT_PART, io.SEEK_END)
            sha.update(stream.read(FINGERPRINT_PART))
        return sha.hexdigest()

    @cached_property
    def content_digest(self) -> str:
        """A fingerprint of every byte (BLAKE2b, streamed), for when `digest` is not enough:
        two big files of the same size, head and tail."""
        if self.fingerprint is not None or self.size <= 8 * FINGERPRINT_PART:
            return self.digest
        blake = hashlib.blake2b(digest_size=32)
        with self.open() as stream:
            while block := stream.read(FINGERPRINT_PART * 4):
                blake.update(block)
        return blake.hexdigest()

    @cached_property
    def decoded(self) -> tuple[str, str]:
        """(text, encoding name) after detecting UTF-8 / UTF-8 with BOM / UTF-16 / Windows-1252."""
        return decode(self.data, self.name)

    @cached_property
    def head_encoding(self) -> str:
        """The encoding as far as the head tells (the whole file is not decoded for it)."""
        if self.size <= HEAD_BYTES:
            return self.encoding
        cut = self.head.rfind(b"\n")
        return decode(self.head[: cut + 1] if cut > 0 else self.head, self.name)[1]

    @property
    def text(self) -> str:
        return self.decoded[0]

    @property
    def encoding(self) -> str:
        return self.decoded[1]

    @cached_property
    def lines(self) -> list[str]:
        """Physical lines; index i is line i + 1 in the file."""
        return split_lines(self.text)


def read_source(path: str) -> SourceFile:
    """Read a file, or stdin for '-', into a SourceFile; InputError when it cannot be read."""
    if path == "-":
        if sys.stdin.isatty():
            raise InputError("--data -: standard input is a terminal; pipe a file in")
        return SourceFile("<stdin>", sys.stdin.buffer.read())
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file or folder")
    if p.is_dir():
        raise InputError(f"{path}: is a folder, expected a file")
    if not p.is_file():
        return _read_stream(path, p)
    try:
        with open(p, "rb") as stream:
            head = stream.read(HEAD_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(head) <= HEAD_BYTES:
        return SourceFile(str(path), head, p)
    return SourceFile(str(path), path=p)


def _read_stream(path: str, p: Path) -> SourceFile:
    """A pipe, a process substitution (`<(...)`) or a device, read once: it cannot be read
    again from its start. Binary content is refused from its first bytes (/dev/zero would
    never end); text is read up to STREAM_LIMIT."""
    try:
        with open(p, "rb") as stream:
            head = stream.read(HEAD_BYTES)
            if looks_binary(head):
                raise DataError(f"{path}: not a text file (binary content); expected a CSV "
                                f"table")
            rest = stream.read(STREAM_LIMIT - len(head) + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(head) + len(rest) > STREAM_LIMIT:
        raise DataError(f"{path}: more than {STREAM_LIMIT >> 30} GB from a pipe or a device; "
                        f"save it to a file and read that")
    return SourceFile(str(path), head + rest)


def looks_binary(data: bytes) -> bool:
    """True for content no statistics office's CSV would have (NUL bytes, many control bytes)."""
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return controls > max(4, len(head) // 100)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode a file's bytes; returns (text, encoding). DataError for empty or binary content."""
    if not data.strip():
        raise DataError(f"{name}: the file is empty")
    if looks_binary(data):
        raise DataError(f"{name}: not a text file (binary content); expected a CSV table")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{name}: starts with a UTF-8 mark but is not UTF-8 ({exc.reason})"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{name}: starts with a UTF-16 mark but is not UTF-16 ({exc.reason})"
            ) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        # bytes cp1252 leaves undefined (0x81, 0x8D, ...) are still valid Latin-1
        return data.decode("latin-1"), "Latin-1"


def split_lines(text: str) -> list[str]:
    """Split on CRLF, LF or lone CR, never on the other characters str.splitlines() honours."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits these lines most consistently into more than one field."""
    best, best_score = None, 0.0
    for delim in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        # many lines with the same field count beat a few long ones
        typical = max(set(counts), key=counts.count)
        score = counts.count(typical) * typical
        if score > best_score:
            best, best_score = delim, score
    return best or ","


def delimiter_name(delim: str) -> str:
    return _DELIMITER_NAMES.get(delim, repr(delim))
