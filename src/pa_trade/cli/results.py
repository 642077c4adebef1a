"""The cache of results: what a command printed, kept so that the same command on the same
files prints it again without reading them.

A warm run of `products` or `flows` on millions of customs lines still spends seconds
reading the cache of parsed files and computing again what it computed last time; the same
command line, in the same folder, on input files that have not changed, has one answer.
The key is everything that decides what is printed: the command line as typed, the working
folder, pa-trade's version and its own files (code and built-in tables, by size and time),
the environment that changes words, widths or colours ($PA_TRADE_*, the locale, $COLUMNS,
$NO_COLOR, $TERM), the terminal's width and whether stdout and stderr are terminals. An
entry is used only while every input named (each --data file, every file under a --data
folder or the default data folder, --blocs, --ftas) keeps its size, modification and change
times and inode, as the cache of parsed files checks them: a changed, added or removed file
misses it; the listing is taken before the run and must be the same after it. Python's and
the output libraries' versions are in the key. What is replayed is what was written, in
order: the load report and notes on stderr, the result on stdout or in the --output file
(written again, whole or not at all).

Only runs that read at least MIN_BYTES of input and end without error are kept; --no-cache
neither reads nor writes an entry; standard input and --plot are never cached. The entries
take MAX_BYTES at most (the least recently used go first); `pa-trade cache clear` removes
them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pathlib import Path

# hashlib, json and pathlib are imported where they are used: `pa-trade --help` imports
# this module

MIN_BYTES = 1 << 20
TRAILER = b"pa-trade result 1\n"  # ends every entry; a new layout of entries, a new number
CHUNK = 1 << 20

# the parameters naming files a command reads; and those naming files it writes besides
# its result (never replayed: the run is not cached)
INPUT_PARAMETERS = ("data_paths", "blocs_path", "blocs_file", "ftas_path")
SIDE_OUTPUTS = ("plot_path",)
# environment that changes the words, widths or colours of what is printed
ENVIRONMENT = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "COLUMNS", "LINES", "NO_COLOR",
               "TERM")

_recording: Recording | None = None


def folder() -> Path:
    from pa_trade.paths import user_cache_dir

    return user_cache_dir() / "results"


def kept(command):
    """Decorate a command's function (below @click.command) so that its results are kept
    and replayed; the command itself is unchanged."""
    @functools.wraps(command)
    def run(*args, **params):
        context = click.get_current_context()
        entry = _entry(context, params)
        if entry is None:
            return command(*args, **params)
        if entry.replay():
            return None
        global _recording
        _recording = Recording(entry)  # holds the inputs as they were before the run
        try:
            result = command(*args, **params)
            _recording.keep()
            return result
        finally:
            _recording.discard()
            _recording = None
    return run


def recording() -> Recording | None:
    """The recording of this run's output, when its result is to be kept."""
    return _recording


def unkept() -> None:
    """This run writes what the cache of results cannot replay (Parquet files): not kept."""
    if _recording is not None:
        _recording.failed = True


def _entry(context, params: dict) -> Entry | None:
    """The entry a run would be kept under; None when the run is not to be cached."""
    from pa_trade.cli.common import NO_CACHE

    if context.meta.get(NO_CACHE) or any(params.get(name) for name in SIDE_OUTPUTS):
        return None
    data_paths = list(params.get("data_paths") or ())
    argv = (context.find_root().obj or {}).get("argv")
    if argv is None:
        return None
    if not data_paths:
        from pa_trade.readers import default_data_paths

        data_paths = default_data_paths()
    if "-" in data_paths:  # standard input, given or in $PA_TRADE_DATA
        return None
    named = [*data_paths, *(str(params[name]) for name in INPUT_PARAMETERS[1:]
                           if params.get(name))]
    entry = Entry(named)
    if not entry.worth_keeping(entry.before()):
        return None  # never kept, so never there: no key to compute
    entry.find(_key(argv))
    return entry


def _key(argv: list[str]) -> str:
    import hashlib
    import json
    import shutil

    from pa_trade import __version__
    from pa_trade.readers.cache import READER_VERSION

    environment = {name: value for name, value in os.environ.items()
                   if name.startswith("PA_TRADE_") or name in ENVIRONMENT}
    streams = [getattr(stream, "isatty", lambda: False)() if stream is not None else None
               for stream in (sys.stdout, sys.stderr)]
    parts = [TRAILER.decode(), __version__, READER_VERSION, _own_files(), _libraries(),
             os.getcwd(), argv, sorted(environment.items()),
             tuple(shutil.get_terminal_size((80, 24))), streams,
             getattr(sys.stdout, "encoding", None)]
    return hashlib.sha256(json.dumps(parts, default=str).encode(
        "utf-8", "surrogateescape")).hexdigest()[:32]


# the libraries whose versions can change what is printed (numbers, tables, workbooks)
LIBRARIES = ("pandas", "pyarrow", "numpy", "click", "tabulate", "xlsxwriter",
             "python-calamine", "pyreadstat")


def _libraries() -> list:
    """Python's version and the libraries': an upgrade keeps no result of the one before."""
    from importlib import metadata

    found = [sys.version]
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} absent")
    return found


def _own_files() -> str:
    """pa-trade's code and built-in tables, by name, size and time: a checkout edited, or
    another copy installed, keeps no result of the one before."""
    import hashlib
    import json
    from pathlib import Path

    import pa_trade
    from pa_trade.paths import data_dir

    places = {Path(pa_trade.__file__).resolve().parent, data_dir()}
    found = [entry for place in sorted(places) for entry in _listing(place)
             if "__pycache__" not in entry[0]]
    return hashlib.sha256(json.dumps(found).encode()).hexdigest()


def _listing(path: Path) -> list:
    """[name, "file", size, modification and change times, inode, quick fingerprint] of a
    file, or [name, "folder", size, times, inode] of a folder and the rows of every file
    under it (a folder's times move when an entry is added or removed); [name, "missing"],
    "stream" (a pipe or device) or "unreadable" otherwise."""
    import stat as kinds

    try:
        stat = path.stat()
    except OSError:
        return [[str(path), "missing"]]
    if not (kinds.S_ISREG(stat.st_mode) or kinds.S_ISDIR(stat.st_mode)):
        return [[str(path), "stream"]]  # a pipe or device: never the same twice
    is_folder = kinds.S_ISDIR(stat.st_mode)
    row = [str(path.resolve()), "folder" if is_folder else "file", stat.st_size,
           stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
    if not is_folder:
        from pa_trade.errors import InputError
        from pa_trade.textio import read_source

        try:  # the parse cache's quick fingerprint: a file rewritten within a tick differs
            row.append(read_source(str(path)).digest)
        except (OSError, InputError):
            return [[str(path), "unreadable"]]
        return [row]
    rows = [row]
    seen = {(stat.st_dev, stat.st_ino)}
    # links followed, as the readers follow them (readers.inputs), each folder once
    for base, folders, files in os.walk(path, followlinks=True):
        kept_folders = []
        for name in sorted(folders):
            try:
                inside = os.stat(os.path.join(base, name))
            except OSError:
                rows.append([os.path.join(base, name), "missing"])
                continue
            if (inside.st_dev, inside.st_ino) not in seen:
                seen.add((inside.st_dev, inside.st_ino))
                kept_folders.append(name)
                rows.append([os.path.join(base, name), "folder", inside.st_size,
                             inside.st_mtime_ns, inside.st_ctime_ns, inside.st_ino])
        folders[:] = kept_folders
        for name in sorted(files):
            rows.extend(_listing(type(path)(base, name)))
    return rows


class Entry:
    """One kept result, in one file `KEY.result` (replaced whole: a reader sees the old entry
    or the new): the bytes of the result, then its description in JSON (what was written,
    in order, and the inputs' listing it holds for), then the description's length and
    TRAILER."""

    def __init__(self, named: list[str]):
        self.named = named
        self.path: Path | None = None
        self._before: list | None = None

    def find(self, key: str) -> None:
        """Where the entry of `key` is kept."""
        self.path = folder() / f"{key}.result"

    @staticmethod
    def worth_keeping(inputs: list) -> bool:
        """Whether a run on `inputs` (a listing) may be kept: MIN_BYTES of files at least,
        every path there, no pipe or device."""
        size = sum(row[2] for row in inputs if row[1] == "file")
        return size >= MIN_BYTES and not any(
            row[1] in ("stream", "unreadable", "missing") for row in inputs)

    def inputs(self) -> list:
        """The listing of the inputs now."""
        from pathlib import Path

        return [row for path in self.named for row in _listing(Path(path))]

    def before(self) -> list:
        """The listing of the inputs before the run (taken once)."""
        if self._before is None:
            self._before = self.inputs()
        return self._before

    def replay(self) -> bool:
        """Write again what the run wrote; False (nothing written) when there is no entry, or
        it holds for other inputs, or cannot be read, or an --output folder is gone (the
        command then says so itself)."""
        import json

        try:
            handle = self.path.open("rb")
        except OSError:
            return False
        with handle:
            try:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(size - len(TRAILER) - 8)
                length = int.from_bytes(handle.read(8), "little")
                if handle.read() != TRAILER:
                    return False
                payload_bytes = size - len(TRAILER) - 8 - length
                handle.seek(payload_bytes)
                description = json.loads(handle.read(length))
                if (description.get("payload_bytes") != payload_bytes
                        or description["inputs"] != self.before()):
                    return False
                events = description["events"]
                if any(event[0] == "result" and event[4] not in (None, "-")
                       and not os.path.isdir(os.path.dirname(event[4]) or ".")
                       for event in events):
                    return False
            except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
                return False
            with contextlib.suppress(OSError):
                os.utime(self.path)  # used now: the last to be removed when space is short
            from pa_trade.cli.common import emit_kept, say

            for event in events:
                if event[0] == "said":
                    say(event[1])
                else:
                    _, kind, start, size, output_path, plain = event[:6]
                    emit_kept(_chunks(handle, start, size), kind, output_path, plain)
        return True


def _chunks(handle, start: int, size: int):
    """`size` bytes from `start` of an open entry (the one checked: another run replacing
    the entry meanwhile changes nothing read)."""
    handle.seek(start)
    while size > 0:
        chunk = handle.read(min(CHUNK, size))
        if not chunk:
            raise OSError("the kept result is cut short")
        size -= len(chunk)
        yield chunk


class Recording:
    """What a run writes, as it writes it: lines said on stderr, and the bytes of its result
    copied into the entry as they go out."""

    def __init__(self, entry: Entry):
        self.entry = entry
        entry.before()  # the inputs as the run finds them
        self.events: list = []
        self.written = 0
        self.partial = entry.path.with_name(f"{entry.path.name}.{os.getpid()}")
        self.handle = None
        self.failed = False

    def said(self, text: str) -> None:
        self.events.append(["said", text])

    def result(self, chunks, kind: str, output_path: str | None, plain: bool = False):
        """`chunks` (bytes) passed on unchanged, and kept as they go; `plain`: a text
        without terminal escapes, which click would write as it is."""
        start = self.written
        for chunk in chunks:
            self._keep_bytes(chunk)
            yield chunk
        self.events.append(["result", kind, start, self.written - start, output_path, plain])

    def _keep_bytes(self, chunk: bytes) -> None:
        if self.failed:
            return
        try:
            if self.handle is None:
                self.partial.parent.mkdir(parents=True, exist_ok=True)
                self.handle = self.partial.open("wb")
            self.handle.write(chunk)
            self.written += len(chunk)
        except OSError:
            self.failed = True  # a cache that cannot be written is skipped

    def keep(self) -> None:
        """Store the entry, when the inputs were big enough to be worth it and are as they
        were before the run (a file changed meanwhile, or written into a --data folder by
        the run itself, would make the result another file's)."""
        import json

        inputs = self.entry.before()
        if self.failed or not self.entry.worth_keeping(inputs) or self.entry.inputs() != inputs:
            return
        # ASCII: a file name that is no UTF-8 (kept by Python as surrogates) is escaped too
        description = json.dumps({"inputs": inputs, "events": self.events,
                                  "payload_bytes": self.written}).encode("ascii")
        self._keep_bytes(b"")
        if self.failed:
            return
        try:
            self.handle.write(description + len(description).to_bytes(8, "little") + TRAILER)
            self.handle.close()
            os.replace(self.partial, self.entry.path)
        except OSError:
            return
        _sweep(self.partial.parent)
        _make_room(self.partial.parent, keep=self.entry.path)


    def discard(self) -> None:
        """Remove what was not kept (a failed run, or one not worth keeping)."""
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.close()
        with contextlib.suppress(OSError):
            self.partial.unlink()


def _sweep(base: Path) -> None:
    """Remove what runs cut short left behind (`| head` ends a run at once): entries being
    written, a day old."""
    import time

    for path in base.glob("*.result.*"):
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > 86400:
                path.unlink()


MAX_BYTES = 4 << 30  # the results kept, at most; the least recently used go first


def _make_room(base: Path, keep: Path) -> None:
    """Remove the least recently used results until those kept take MAX_BYTES at most."""
    entries = []
    for path in base.glob("*.result"):
        with contextlib.suppress(OSError):
            stat = path.stat()
            entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= MAX_BYTES:
            return
        if path != keep:
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size


def usage() -> tuple[int, int]:
    """(results kept, bytes) in the cache of results."""
    from pa_trade.paths import kept_in

    return kept_in(folder(), ".result")


def clear() -> tuple[int, int]:
    """Remove every result kept -> (results, bytes freed)."""
    from pa_trade.paths import remove_kept

    return remove_kept(folder(), ".result", "the results kept")
