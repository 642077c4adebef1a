"""A cache of parsed files: canonical flows (Parquet) and their load report (JSON).

Keyed by the file (path, size, modification and change times, inode and a fingerprint of its
content; for a
member of an archive, the archive's path, size and time and the member's name, CRC and size),
pa-trade's reader version, the layout the file is read in and only those of the options asked
that change what that layout's reader gives (an import valuation for DANE's IMPO microdata,
not for EXPO or a tidy file): one file is parsed once for every command that reads it alike.
A changed file or a new reader misses it. Only files big enough to be worth it are cached; a
cache that cannot be written is skipped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from pa_trade.readers.report import LoadReport, SetAside

# bump whenever a reader's output for the same file would change
READER_VERSION = "10"  # 10: tidy files summed over tariff codes when none are needed
MIN_BYTES = 1 << 20


def folder() -> Path:
    from pa_trade.paths import user_cache_dir

    return user_cache_dir() / "flows"


# the options (of readers.load's) each layout's reader reads; any other gives the same flows
OPTIONS = {
    "dane-expo": ("number_style", "products", "codes"),
    "dane-impo": ("number_style", "products", "valuations", "codes"),
    "tidy": ("products",),
    "dane-cuadro": ("number_style", "reporter"),
    "mexico-se": ("number_style", "reporter"),
    "sunat-cuadro": ("number_style", "reporter"),
    "imf-dots": ("number_style",),
    "imf-sdmx-csv": ("number_style",),
    "imf-sdmx-ml": ("number_style",),
}
# Stata and SPSS microdata: the layout is known only once the file is open
BINARY_OPTIONS = ("layout", "number_style", "products", "valuations", "codes")


def key(src, asked: dict) -> str | None:
    """The cache key of a file read with the options `asked` (readers.load's, and the
    input's "kind"), or None when not cached (too small, standard input, or no layout: the
    reader then says why)."""
    if src.size is None or src.size < MIN_BYTES:
        return None
    if src.identity is not None:
        where = [src.identity]
    elif src.path is not None:
        stat = src.path.stat()
        # the inode's change time moves with any write, even one that keeps size and mtime
        where = [str(src.path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns,
                 stat.st_ino, stat.st_dev]
    else:
        return None  # standard input: nothing stays the same between runs
    relevant = _relevant(src, asked, where)
    if relevant is None:
        return None
    return _hashed([*where, src.digest, relevant])


def _hashed(parts: list) -> str:
    from pa_trade import __version__

    parts = [READER_VERSION, __version__, *parts]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _relevant(src, asked: dict, where: list) -> list | None:
    """[kind, layout, (option, value) ...]: what decides the reading of `src` beside its
    content; None when its layout cannot be told (the reader will refuse it)."""
    kind = asked.get("kind", "text")
    if kind in ("stata", "spss"):
        return [kind, *((name, asked.get(name)) for name in BINARY_OPTIONS)]
    if kind == "parquet" or asked.get("layout") == "parquet":
        return [kind, "parquet"]
    layout = asked.get("layout") or _layout_of(src, where)
    if layout is None:
        return None
    return [kind, layout, *((name, asked.get(name)) for name in OPTIONS.get(layout, ()))]


def _layout_of(src, where: list) -> str | None:
    """The layout detected in a file (None: none), remembered beside its parsed flows: a
    run that finds them cached imports no reader to tell it again."""
    from pa_trade.errors import DataError
    from pa_trade.readers import LAYOUTS

    memo = folder() / (_hashed([*where, src.digest, "layout"]) + ".layout")
    try:
        said = memo.read_text(encoding="utf-8")
        if said in LAYOUTS:
            return said
    except OSError:
        pass
    from pa_trade.readers import detect_layout

    try:
        layout = detect_layout(src)
    except DataError:
        return None
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_name(f"{memo.name}.{os.getpid()}")
        partial.write_text(layout, encoding="utf-8")
        os.replace(partial, memo)
    except OSError:
        pass  # not remembered: told again next time
    return layout


# the canonical table's text columns: read from Parquet as dictionaries, then as text
TEXT_COLUMNS = ("reporter", "partner", "months", "flow", "valuation", "source", "hs_code")


DAMAGED = "damaged"  # what get() answers for an entry that is there but cannot be read


def get(cache_key: str | None, name: str):
    """(flows, report) cached under `cache_key`; None when there is none; DAMAGED when an
    entry is there but cannot be read (cut short, of another shape): it is removed, for the
    caller to read the file again. The report keeps today's file name."""
    if cache_key is None:
        return None
    base = folder() / cache_key
    paths = [base.with_suffix(".json"), base.with_suffix(".parquet")]
    if not all(path.exists() for path in paths):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from pa_trade import flows

        meta = json.loads(paths[0].read_text(encoding="utf-8"))
        # one file, read by pyarrow directly: pandas' read_parquet and pyarrow's datasets
        # add a first-call cost that a warm run notices
        table = pq.ParquetFile(paths[1], read_dictionary=TEXT_COLUMNS).read()
        # a column of a few distinct texts is decoded once per text, then spread out
        for column in TEXT_COLUMNS:
            if column in flows.CATEGORICAL:  # pandas makes a categorical of the dictionary
                continue
            at = table.schema.get_field_index(column)
            table = table.set_column(at, column, pc.cast(table.column(at), pa.large_string()))
        frame = flows.normalise_frame(table.to_pandas(split_blocks=True, self_destruct=True))
        meta["set_aside"] = [SetAside(**row) for row in meta["set_aside"]]
        meta["file"] = name
        report = LoadReport(**meta)
    except Exception:  # noqa: BLE001 (anything a damaged entry may raise: it is rebuilt)
        for path in paths:
            try:
                path.unlink()
            except OSError:
                pass
        return DAMAGED
    return frame, report


def put(cache_key: str | None, frame, report: LoadReport) -> None:
    """Store a parsed file; any failure to write leaves the cache as it was."""
    if cache_key is None:
        return
    base = folder() / cache_key
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        partial = base.with_suffix(f".parquet.{os.getpid()}")
        frame.to_parquet(partial, index=False)
        os.replace(partial, base.with_suffix(".parquet"))
        meta = dataclasses.asdict(report)
        partial = base.with_suffix(f".json.{os.getpid()}")
        partial.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, base.with_suffix(".json"))
    except (OSError, ValueError, ImportError):
        return


def usage() -> tuple[int, int]:
    """(files parsed and kept, bytes) in the cache of parsed files."""
    from pa_trade.paths import kept_in

    return kept_in(folder(), ".parquet")


def clear() -> tuple[int, int]:
    """Remove every parsed file kept -> (files, bytes freed). Always safe: a file is parsed
    again the next time it is read."""
    from pa_trade.paths import remove_kept

    return remove_kept(folder(), ".parquet", "the parsed files kept")
