"""How a path becomes the things to read: files, folders, standard input, archives and the
binary formats DANE ships, each named as the user will find it.

DANE ships a year of microdata as a ZIP of monthly ZIPs, each holding the same month three
times (`Enero.csv`, `Enero.dta`, `Enero.sav`). Archives are read in place: members are
streamed and decompressed as they are read, never unpacked to disk; a nested ZIP is held in
memory (DANE's monthly ZIPs are a few MB). Every member is named by its path through the
archives, `Expo_2023.zip › 01. Enero 2023.zip › Enero.csv`, in the load report and in the
`source` of its flows. The same month in several formats is one *bundle*: `load` reads one
member of it (see readers.load).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pa_trade.errors import DataError, InputError
from pa_trade.textio import SEPARATOR, SourceFile, read_source

if TYPE_CHECKING:  # zipfile is imported when an archive is met: a run on CSVs needs none
    import zipfile
    from contextlib import ExitStack

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
# what each suffix holds; a .gz holds what its inner suffix says (Enero.csv.gz)
KINDS = {
    **{suffix: "text" for suffix in TEXT_SUFFIXES},
    ".dta": "stata",
    ".sav": "spss",
    ".zsav": "spss",
    ".xlsx": "workbook",
    ".xlsm": "workbook",
    ".xls": "workbook",
    ".zip": "zip",
    ".parquet": "parquet",  # the canonical table (readers.parquet)
}
DATA_SUFFIXES = set(KINDS) | {".gz"}
# the order in which the formats of one month are tried: the first with values is used
BUNDLE_ORDER = {"text": 0, "stata": 1, "spss": 2}
FORMAT_NAMES = {"text": "CSV", "stata": "Stata (.dta)", "spss": "SPSS (.sav)"}
MAGIC = {
    b"PK\x03\x04": "zip",
    b"\x1f\x8b": "gzip",
    b"<stata_dta>": "stata",
    b"$FL2": "spss",
    b"$FL3": "spss",
    b"\xd0\xcf\x11\xe0": "workbook",  # OLE2: Excel 97-2003 (.xls)
    b"PAR1": "parquet",
}


@dataclass
class Input:
    """One thing to read: its bytes, what kind of content they are, and where it was found.

    `in_folder`: found inside a folder or an archive, not named by the user (a member of no
    known layout is then skipped with a note). `bundle`: the inputs sharing it are the same
    data in several formats (read one). `position`: what the report calls a place in it.
    """

    source: SourceFile
    kind: str  # text, stata, spss, workbook, parquet
    in_folder: bool = False
    bundle: str | None = None
    position: str = "line"
    number_style: str | None = None  # how a workbook's sheet writes its numbers

    @property
    def name(self) -> str:
        return self.source.name


@dataclass
class Expansion:
    """The inputs under some paths, and the members skipped as no data file (named)."""

    inputs: list[Input] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # files named twice, read once
    files: set[str] = field(default_factory=set)  # resolved paths of the files expanded


def kind_of_name(name: str) -> str | None:
    """The kind a file name says (text, stata, spss, workbook, zip, parquet), looking
    through .gz; None for a name of no data file."""
    suffixes = [s.lower() for s in PurePosixPath(name).suffixes]
    if not suffixes:
        return None
    if suffixes[-1] == ".gz":
        return KINDS.get(suffixes[-2]) if len(suffixes) > 1 else "text"
    return KINDS.get(suffixes[-1])


def kind_of_content(head: bytes) -> str | None:
    """The kind the first bytes show, for content without a name (standard input)."""
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:1] in (b"\x71", b"\x72", b"\x73") and head[1:2] in (b"\x01", b"\x02"):
        return "stata"  # the binary header of Stata 12 and older (formats 113-115)
    return None


def stem_of(name: str) -> str:
    """'Enero' for 'Enero.csv', 'Enero.csv.gz' or 'ENERO.DTA' (case folded)."""
    base = PurePosixPath(name).name
    for _ in range(2):
        suffix = PurePosixPath(base).suffix.lower()
        if suffix in DATA_SUFFIXES:
            base = base[: -len(suffix)]
    return base.casefold()


@dataclass
class _Place:
    """Where members are found: a folder on disk or an archive (and its own place)."""

    name: str  # as shown: the path given, then ' › member' for each level
    identity: str  # stable across runs, for the cache: the file on disk and the members


def expand(paths: Iterable[str], stack: ExitStack) -> Expansion:
    """Every input under `paths` (files, folders, '-', archives), in order.

    Archives stay open in `stack` while their members are read. Raises InputError for a path
    that is missing or cannot be read, and for a folder without data files.
    """
    found = Expansion()
    for path in paths:
        if path == "-":
            _expand_stdin(found, stack)
            continue
        p = Path(path)
        if p.is_dir():
            files = sorted(
                f for f in _walk(p, found)
                if f.suffix.lower() in DATA_SUFFIXES and kind_of_name(f.name) is not None
            )
            if not files:
                raise InputError(f"{path}: folder has no data files (*.csv, *.txt, *.tsv, "
                                 f"*.zip, *.gz, *.dta, *.sav, *.xlsx, *.xls, *.parquet)")
            for file in files:
                if _first_time(file, str(file), found):
                    _expand_file(str(file), found, stack, in_folder=True)
        elif p.exists():
            if _first_time(p, path, found):
                _expand_file(path, found, stack, in_folder=False)
        else:
            raise InputError(f"{path}: no such file or folder")
    _mark_bundles(found.inputs)
    return found


def _first_time(file: Path, name: str, found: Expansion) -> bool:
    """False, said in `found.duplicates`, for a file already expanded under another spelling
    of its path (Expo.zip and ./Expo.zip, or a folder and a file in it)."""
    resolved = str(file.resolve())
    if resolved in found.files:
        found.duplicates.append(f"{name} (given twice)")
        return False
    found.files.add(resolved)
    return True


def _walk(folder: Path, found: Expansion) -> Iterator[Path]:
    """Files under `folder`, hidden ones left out. Links to folders are followed, each folder
    once (a link back to one already read is named, not followed: no loop); a folder that
    cannot be read is an InputError, as a file that cannot be read is."""
    import os

    def refuse(error: OSError) -> None:
        raise InputError(f"{error.filename}: cannot read the folder "
                         f"({error.strerror or error})")

    visited = {os.path.realpath(folder)}
    for top, dirs, names in os.walk(folder, onerror=refuse, followlinks=True):
        kept = []
        for name in sorted(dirs):
            if name.startswith("."):
                continue
            real = os.path.realpath(os.path.join(top, name))
            if real in visited:
                found.skipped.append(f"{os.path.join(top, name)}: a link to a folder read "
                                     f"already, not followed")
                continue
            visited.add(real)
            kept.append(name)
        dirs[:] = kept
        for name in names:
            path = Path(top, name)
            if not name.startswith(".") and path.is_file():
                yield path


def _expand_file(path: str, found: Expansion, stack: ExitStack, in_folder: bool) -> None:
    kind = kind_of_name(path)
    if kind is None or kind == "text" and not path.lower().endswith(".gz"):
        # plain text, or a name that says nothing (a file named by the user is read as text)
        found.inputs.append(Input(read_source(path), "text", in_folder))
        return
    import zipfile
    p = Path(path)
    try:
        stat = p.stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    identity = f"{p.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    place = _Place(path, identity)
    if path.lower().endswith(".gz"):
        _expand_gzip(place, lambda: open(p, "rb"), read_source(path).digest, kind, found,  # noqa: SIM115
                     stack, in_folder)
    elif kind == "zip":
        try:
            archive = stack.enter_context(zipfile.ZipFile(p))
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{path}: cannot be opened as a ZIP archive: damaged, or a download "
                            f"cut short? ({exc})") from None
        before = len(found.inputs)
        _expand_zip(place, archive, found, stack)
        if len(found.inputs) == before and not in_folder:
            held = [_member_name(i) for i in archive.infolist() if not i.is_dir()]
            shown = ", ".join(held[:5]) + (f" and {len(held) - 5} more" if len(held) > 5 else "")
            raise InputError(f"{path}: the archive holds no data file (*.csv, *.txt, *.zip, "
                             f"*.dta, *.sav, *.xlsx, *.xls){': it holds ' + shown if held else ''}")
    else:
        source = read_source(path)
        found.inputs.append(Input(source, kind, in_folder, position=_position(kind)))


def _position(kind: str) -> str:
    return "line" if kind == "text" else "row"


def _expand_stdin(found: Expansion, stack: ExitStack) -> None:
    import gzip
    import io
    import zipfile

    source = read_source("-")
    data, kind = source.held, kind_of_content(source.head)
    if kind == "gzip":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"<stdin>: not a gzip stream that can be read ({exc})") from None
        kind = kind_of_content(data[:64]) or "text"
    if kind == "zip":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise DataError(f"<stdin>: not a ZIP archive that can be read ({exc})") from None
        if "[Content_Types].xml" in archive.namelist():  # an Excel workbook is a ZIP too
            kind = "workbook"
        else:
            _expand_zip(_Place("<stdin>", ""), stack.enter_context(archive), found, stack)
            return
    source = source if data is source.held else SourceFile("<stdin>", data)
    kind = kind or "text"
    found.inputs.append(Input(source, kind, position=_position(kind)))


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: names without the UTF-8 flag are CP437 for
    zipfile, but Spanish Windows writes them in its own code page."""
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = name.encode("cp437")
        for encoding in ("utf-8", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    return name


def _expand_zip(place: _Place, archive: zipfile.ZipFile, found: Expansion,
                stack: ExitStack) -> None:
    """The members of an archive, nested archives opened in memory."""
    import io
    import zipfile

    for info in sorted(archive.infolist(), key=lambda i: _member_name(i)):
        member = _member_name(info)
        parts = PurePosixPath(member).parts
        if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue
        name = place.name + SEPARATOR + member
        identity = f"{place.identity}{SEPARATOR}{member}:{info.CRC}:{info.file_size}"
        kind = kind_of_name(member)
        if kind is None:
            found.skipped.append(f"{name}: not a data file (no known layout)")
            continue

        def opener(info=info):
            return archive.open(info)

        if member.lower().endswith(".gz"):
            import gzip

            try:  # held in memory: a gzip inside a ZIP has no size to read cheaply
                data = gzip.decompress(archive.read(info))
            except (OSError, EOFError) as exc:
                raise DataError(f"{name}: not a gzip file that can be read ({exc})") from None
            if kind == "zip":
                inner = zipfile.ZipFile(io.BytesIO(data))
                stack.enter_context(inner)
                _expand_zip(_Place(name, identity), inner, found, stack)
            else:
                kind = kind or "text"
                source = SourceFile(name, data, fingerprint=_fingerprint(info),
                                    identity=identity + ":gz")
                found.inputs.append(Input(source, kind, True, position=_position(kind)))
        elif kind == "zip":
            try:
                inner = zipfile.ZipFile(io.BytesIO(archive.read(info)))
            except (zipfile.BadZipFile, OSError) as exc:
                raise DataError(f"{name}: not a ZIP archive that can be read ({exc})") from None
            stack.enter_context(inner)
            _expand_zip(_Place(name, identity), inner, found, stack)
        else:
            source = SourceFile(name, opener=opener, known_size=info.file_size,
                                fingerprint=_fingerprint(info), identity=identity)
            found.inputs.append(Input(source, kind, True, position=_position(kind)))


def _fingerprint(info: zipfile.ZipInfo) -> str:
    """A member's content as the archive records it: its CRC-32 and size."""
    import hashlib

    return hashlib.sha256(f"zip:{info.CRC}:{info.file_size}".encode()).hexdigest()


def _expand_gzip(place: _Place, opener: Callable, fingerprint: str, kind: str | None,
                 found: Expansion, stack: ExitStack, in_folder: bool) -> None:
    """A gzip-compressed file: its content, decompressed as it is read."""
    import gzip
    import zipfile

    def decompressed():
        return gzip.GzipFile(fileobj=opener(), mode="rb")

    if kind == "zip":
        import io

        with decompressed() as stream:
            archive = stack.enter_context(zipfile.ZipFile(io.BytesIO(stream.read())))
        _expand_zip(place, archive, found, stack)
        return
    source = SourceFile(place.name, opener=decompressed, known_size=_gzip_size(opener),
                        fingerprint=fingerprint, identity=place.identity + ":gz")
    try:
        source.head  # noqa: B018 (a damaged file fails here, with its name)
    except (OSError, EOFError) as exc:
        raise DataError(f"{place.name}: not a gzip file that can be read ({exc})") from None
    kind = kind or "text"
    found.inputs.append(Input(source, kind, in_folder, position=_position(kind)))


def _gzip_size(opener: Callable) -> int | None:
    """The size gzip records in its last four bytes (modulo 4 GB), or None when unknown."""
    import io

    try:
        with opener() as stream:
            stream.seek(-4, io.SEEK_END)
            return int.from_bytes(stream.read(4), "little")
    except (OSError, ValueError):
        return None


def _mark_bundles(inputs: list[Input]) -> None:
    """Give the same bundle to inputs in one place with the same stem that are the same data
    in several formats (csv, dta, sav): only when a binary format is among them."""
    groups: dict[tuple[str, str], list[Input]] = {}
    for item in inputs:
        if item.kind in BUNDLE_ORDER and item.name != "<stdin>":
            where = item.name.rsplit(SEPARATOR, 1)[0] if SEPARATOR in item.name else str(
                Path(item.name).parent)
            inner = item.name.rsplit(SEPARATOR, 1)[-1]
            folder = str(PurePosixPath(inner.replace("\\", "/")).parent)
            groups.setdefault((f"{where}|{folder}", stem_of(inner)), []).append(item)
    for (where, stem), members in groups.items():
        if len(members) > 1 and any(m.kind != "text" for m in members):
            for member in members:
                member.bundle = f"{where}|{stem}"
